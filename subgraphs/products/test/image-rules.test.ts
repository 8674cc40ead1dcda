import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, ConcurrencyLimitFull } from '../src/images/concurrency-limit.js';
import { imagePath, offeredWidths, parseImageFile, SERVED_FORMATS, servedWidth } from '../src/images/image-ladder.js';
import { sniffImageFormat } from '../src/images/image-processing.js';
import { newUploadToken, uploadTokenHash } from '../src/images/upload-tokens.js';

const [WEBP, AVIF, JPEG] = SERVED_FORMATS;

describe('the width ladder', () => {
  it("offers the steps narrower than the original, and the original's width", () => {
    expect(offeredWidths(2000)).toEqual([160, 320, 640, 960, 1280, 1920, 2000]);
    expect(offeredWidths(1920)).toEqual([160, 320, 640, 960, 1280, 1920]);
    expect(offeredWidths(700)).toEqual([160, 320, 640, 700]);
    expect(offeredWidths(100)).toEqual([100]);
  });

  it('serves the next step up for a width between steps, and never more than the original', () => {
    expect(servedWidth(2000, 320)).toBe(320);
    expect(servedWidth(2000, 321)).toBe(640);
    expect(servedWidth(2000, 1)).toBe(160);
    expect(servedWidth(2000, 1921)).toBe(2000);
    expect(servedWidth(700, 650)).toBe(700);
    expect(servedWidth(700, 5000)).toBe(700);
    expect(servedWidth(700, null)).toBe(700);
    expect(servedWidth(100, 160)).toBe(100);
  });

  it("names a size in a path with the image's version, and reads back only such names", () => {
    const image = { id: '00000000-0000-4000-8000-00000000000a', contentHash: 'ab'.repeat(32) };
    expect(imagePath(image, 640, WEBP!)).toBe(`/images/${image.id}/${'ab'.repeat(10)}/640.webp`);
    expect(parseImageFile('640.webp')).toEqual({ width: 640, format: WEBP });
    expect(parseImageFile('160.avif')).toEqual({ width: 160, format: AVIF });
    expect(parseImageFile('1920.jpg')).toEqual({ width: 1920, format: JPEG });
    for (const file of ['640.png', '0640.webp', '0.webp', '640', '640.webp.jpg', '-1.jpg', '640.WEBP', '9999999.jpg']) expect(parseImageFile(file), file).toBeUndefined();
  });
});

describe("what an upload's first bytes say it is", () => {
  it('knows JPEG, PNG, WebP and AVIF by their magic numbers, and nothing else', () => {
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe('png');
    expect(sniffImageFormat(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toBe('webp');
    const ftyp = (major: string, ...compatible: string[]) => {
      const box = Buffer.concat([Buffer.alloc(4), Buffer.from(`ftyp${major}`), Buffer.alloc(4), ...compatible.map((brand) => Buffer.from(brand))]);
      box.writeUInt32BE(box.length, 0);
      return box;
    };
    expect(sniffImageFormat(ftyp('avif', 'mif1', 'miaf'))).toBe('avif');
    expect(sniffImageFormat(ftyp('mif1', 'avif'))).toBe('avif');
    expect(sniffImageFormat(ftyp('heic', 'mif1'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('GIF89a……'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('upload tokens', () => {
  it('are 256 random bits in base64url, kept only as their SHA-256', () => {
    const first = newUploadToken();
    const second = newUploadToken();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.token).not.toBe(second.token);
    expect(first.tokenHash).toBe(uploadTokenHash(first.token));
    expect(first.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.tokenHash).not.toContain(first.token);
  });
});

describe('the resize limit', () => {
  it('runs at most its limit of tasks at once, and every task in the end', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const tasks = Array.from({ length: 5 }, (_, index) =>
      limit.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return index;
      }),
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(running).toBe(2);
    // Each finished task lets the next waiting one start, never more than two at once.
    for (let finished = 0; finished < 5; finished++) {
      releases.shift()!();
      await settle();
      expect(running).toBe(Math.min(2, 5 - finished - 1));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });

  it('refuses at once a task past the ones that may wait, and takes tasks again as the queue drains', async () => {
    const limit = new ConcurrencyLimit(1, 2);
    const releases: Array<() => void> = [];
    const held = () => limit.run(() => new Promise<void>((resolve) => releases.push(resolve)));
    const accepted = [held(), held(), held()];
    await expect(held()).rejects.toThrow(ConcurrencyLimitFull);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    releases.shift()!();
    await settle();
    // One finished, one waiting moved up: there is room for one more to wait.
    accepted.push(held());
    await expect(held()).rejects.toThrow(ConcurrencyLimitFull);
    // The four accepted ones run in turn as each before them finishes.
    for (let finished = 0; finished < 3; finished++) {
      releases.shift()!();
      await settle();
    }
    await Promise.all(accepted);
  });
});
