import { z } from 'zod';
import { JWKS_PATH } from './http/jwks-route.js';
import { environmentNameOf, subgraphOf, userTokenIssuerOf } from './service-manifest.js';

/** Raised when the environment is unusable; lists every bad variable at once. */
export class EnvironmentError extends Error {}

/** Multi-line PEM keys are often passed with literal "\n" in env files and compose files. */
const pem = z
  .string()
  .transform((value) => value.replace(/\\n/g, '\n'))
  .optional();

/** Variables every GreenCart process understands, with safe local defaults. */
export const commonEnvironment = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Set by `npm start` for the processes it supervises. */
  GREENCART_SUPERVISED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  HOST: z.string().default('127.0.0.1'),
  GREENCART_DATA_DIR: z.string().optional(),
  // This service's own key for service tokens (docs/operations.md, Service keys); its callers' public keys: readCallerPublicKeys.
  SERVICE_PRIVATE_KEY: pem,
  // The shared secret it replaced would let any service speak for another: a setting of it must not pass unnoticed.
  SERVICE_TOKEN_SECRET: z
    .never({ errorMap: () => ({ message: 'removed: each service now signs with its own key, SERVICE_PRIVATE_KEY, and its callees get its public key (see docs/operations.md, Service keys)' }) })
    .optional(),
  JWT_ISSUER: z.string().default('greencart-accounts'),
  JWT_AUDIENCE: z.string().default('greencart'),
  // The user_token_issuer of the manifest (accounts) publishes its keys here; every other service
  // verifies against them. Unset: its routing URL's origin, read when the environment is.
  JWKS_URL: z
    .string()
    .url()
    .default(() => issuerKeysUrl()),
  JWKS_CACHE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  JWKS_REFETCH_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  // Set: export traces over OTLP/HTTP there (such as http://jaeger:4318); the SDK reads the other OTEL_* variables itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
};

/** Where the manifest's token issuer publishes its keys by default (a manifest without one: the first port). */
function issuerKeysUrl(): string {
  const issuer = userTokenIssuerOf();
  return `${issuer ? new URL(issuer.routingUrl).origin : 'http://127.0.0.1:4001'}${JWKS_PATH}`;
}

/** Whether to seed the demo data (catalogue, shoppers, their order history) a fresh database needs for a first look. */
export const seedDemoData = z
  .enum(['true', 'false'])
  .default('true')
  .transform((value) => value === 'true');

/** The internal port that serves `/metrics` (0: any free one), each service's own default. */
export const metricsPort = (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort);

/**
 * Where a sibling subgraph listens (its `<NAME>_URL`, an origin such as http://orders:4002); unset,
 * the origin of its routing_url in the service manifest.
 */
export function siblingUrl(service: string) {
  const subgraph = subgraphOf(service);
  if (!subgraph) throw new Error(`${service} is no subgraph of the service manifest`);
  return z.string().url().default(new URL(subgraph.routingUrl).origin);
}

/** The PostgreSQL server; each subgraph keeps its own database on it. */
export const databaseServerUrl = z.string().url().optional();

/** A subgraph's database name (its own variable, so one environment can serve every process). */
export const databaseName = (defaultName: string) =>
  z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default(defaultName);

export { pem as pemVariable };

/** The variable holding a caller's service public keys, such as `ORDERS_SERVICE_PUBLIC_KEYS` (several during a rotation). */
export const callerPublicKeysVariable = (caller: string) => `${environmentNameOf(caller)}_SERVICE_PUBLIC_KEYS`;

/** Each caller's public keys from `<CALLER>_SERVICE_PUBLIC_KEYS` (unset: the data folder's); the callers come from the manifest. */
export function readCallerPublicKeys(callers: readonly string[], source: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env = readEnvironment(Object.fromEntries(callers.map((caller) => [callerPublicKeysVariable(caller), pem])), source);
  return Object.fromEntries(callers.map((caller) => [caller, env[callerPublicKeysVariable(caller)]]));
}

/** Reads and checks the environment once; throws an EnvironmentError naming every problem. */
export function readEnvironment<Shape extends z.ZodRawShape>(shape: Shape, source: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<Shape>> {
  // An empty value means unset (compose files pass `${SECRET:-}` through as an empty string).
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = z.object(shape).safeParse(given);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new EnvironmentError(`Invalid environment:\n${problems.join('\n')}`);
}
