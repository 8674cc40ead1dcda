import type { Express, Request, Response } from 'express';
import { ConcurrencyLimitFull } from '../images/concurrency-limit.js';
import { isUuid, mayCall, refuse, SERVICE_TOKEN_HEADER, type Logger, type ServiceCredentials } from '@greencart/platform';
import type { ProductsDatabase } from '../db/database.js';
import { ProductImageRepository } from '../db/product-image-repository.js';
import { offeredWidths, parseImageFile, URL_HASH_LENGTH } from '../images/image-ladder.js';
import { ProductImageService, type ImageVariants, type UploadRefusal } from '../services/product-image-service.js';

/** Served images never change at their URL (a changed image gets a new one), so anyone may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HASH_PREFIX = new RegExp(`^[0-9a-f]{${URL_HASH_LENGTH}}$`);

/** Answers only the gateway (the manifest's callers of `endpoint`), proven by its service token; false when refused. */
async function fromCaller(req: Request, res: Response, credentials: ServiceCredentials, endpoint: 'images' | 'imageUploads'): Promise<boolean> {
  const caller = await credentials.verify(req.get(SERVICE_TOKEN_HEADER));
  if (!caller) {
    refuse(res, 401, 'This service answers only other GreenCart services.', 'UNAUTHENTICATED');
    return false;
  }
  if (!mayCall(caller, 'products', endpoint)) {
    refuse(res, 403, 'Images are forwarded by the gateway only.', 'FORBIDDEN');
    return false;
  }
  return true;
}

/**
 * Reads a request's body, keeping at most `keep` bytes and counting the rest: `overflowed` when more
 * came. Reading stops (and the connection is dropped) past `drainAtMost`, so nobody can make the
 * process read without end; below it the rest is read and dropped, so the sender gets the answer.
 */
async function readBody(req: Request, keep: number, drainAtMost: number): Promise<{ bytes: Buffer; overflowed: boolean }> {
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (read < keep) chunks.push(chunk.subarray(0, keep - read));
    read += chunk.length;
    if (read > drainAtMost) break;
  }
  return { bytes: Buffer.concat(chunks), overflowed: read > keep };
}

const answerRefusal = (res: Response, refusal: UploadRefusal) => refuse(res, refusal.status, refusal.message, refusal.code);

/**
 * Image bytes and uploads, forwarded by the gateway (the manifest's gateway_routes):
 * `GET /images/:imageId/:version/:file` serves one size of an image, made on its first request and
 * kept; `PUT /image-uploads/:uploadId/:token` takes an upload's bytes for a URL that
 * createProductImageUpload gave out.
 */
export function imageRoutes(deps: { database: ProductsDatabase; credentials: ServiceCredentials; variants: ImageVariants; logger: Logger }) {
  return (app: Express) => {
    app.get('/images/:imageId/:version/:file', async (req, res) => {
      if (!(await fromCaller(req, res, deps.credentials, 'images'))) return;
      const { imageId, version, file } = req.params;
      const wanted = parseImageFile(file);
      const image = isUuid(imageId) && HASH_PREFIX.test(version) && wanted ? await new ProductImageRepository(deps.database.db).findById(imageId) : undefined;
      // Another version's URL is no URL: an image's bytes never change at one.
      if (!image || !wanted || !image.contentHash.startsWith(version)) return refuse(res, 404, 'No such image.', 'NOT_FOUND');
      const widths = offeredWidths(image.width);
      if (!widths.includes(wanted.width)) {
        return refuse(res, 404, `This image is served ${widths.join(', ')} pixels wide; ProductImage.url gives the URL of each.`, 'NOT_FOUND');
      }
      const etag = `"${version}-${wanted.width}-${wanted.format.extension}"`;
      res.set({ 'cache-control': IMMUTABLE, etag, 'x-content-type-options': 'nosniff' });
      if (
        req
          .get('if-none-match')
          ?.split(',')
          .some((tag) => tag.trim().replace(/^W\//, '') === etag)
      )
        return void res.status(304).end();
      let bytes: Buffer | undefined;
      try {
        bytes = await deps.variants.bytes(image, wanted.width, wanted.format.format);
      } catch (error) {
        if (!(error instanceof ConcurrencyLimitFull)) throw error;
        // Too many new sizes asked for at once: a quick, retryable answer that no cache keeps.
        res.set({ 'cache-control': 'no-store', 'retry-after': '1' });
        return refuse(res, 503, 'Busy making image sizes; try again in a moment.', 'SERVICE_UNAVAILABLE');
      }
      if (!bytes) return refuse(res, 404, 'No such image.', 'NOT_FOUND');
      res.type(wanted.format.contentType).send(bytes);
    });

    app.put('/image-uploads/:uploadId/:token', async (req, res) => {
      if (!(await fromCaller(req, res, deps.credentials, 'imageUploads'))) return;
      const service = new ProductImageService(deps.database.db, deps.variants);
      const { uploadId, token } = req.params;
      const maxBytes = deps.variants.settings.limits.maxBytes;
      const checked = await service.checkUpload(uploadId, token);
      if (checked.refusal) {
        await readBody(req, 0, maxBytes);
        return answerRefusal(res, checked.refusal);
      }
      const declared = checked.upload.byteSize;
      if (Number(req.get('content-length')) > declared) {
        await readBody(req, 0, maxBytes);
        return answerRefusal(res, { status: 413, code: 'UPLOAD_LARGER_THAN_DECLARED', message: `The upload was declared as ${declared} bytes; its Content-Length is larger.` });
      }
      const body = await readBody(req, declared, maxBytes);
      if (body.overflowed) return answerRefusal(res, { status: 413, code: 'UPLOAD_LARGER_THAN_DECLARED', message: `The upload was declared as ${declared} bytes; more were sent.` });
      const outcome = await service.receiveUpload({ uploadId, token, contentType: req.get('content-type'), bytes: body.bytes });
      if (outcome.refusal) {
        deps.logger.info('refused an image upload', { uploadId, code: outcome.refusal.code });
        return answerRefusal(res, outcome.refusal);
      }
      const { image } = outcome;
      res.status(201).json({ image: { id: image.id, productId: image.productId, position: image.position, width: image.width, height: image.height, altText: image.altText } });
    });
  };
}
