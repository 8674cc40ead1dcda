import { z } from 'zod';

/** Raised when the environment is unusable; lists every bad variable at once. */
export class EnvironmentError extends Error {}

/** Multi-line PEM keys are often passed with literal "\n" in env files and compose files. */
const pem = z.string().transform((value) => value.replace(/\\n/g, '\n')).optional();

/** Variables every GreenCart process understands, with safe local defaults. */
export const commonEnvironment = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Set by `npm start` for the processes it supervises. */
  GREENCART_SUPERVISED: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  HOST: z.string().default('127.0.0.1'),
  GREENCART_DATA_DIR: z.string().optional(),
  SERVICE_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().default('greencart-accounts'),
  JWT_AUDIENCE: z.string().default('greencart'),
  // Accounts publishes its keys here; the gateway and the other subgraphs verify against them.
  JWKS_URL: z.string().url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWKS_CACHE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  JWKS_REFETCH_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  // Set: export traces over OTLP/HTTP there (such as http://jaeger:4318); the SDK reads the other OTEL_* variables itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
};

/** The internal port that serves `/metrics` (0: any free one), each service's own default. */
export const metricsPort = (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** The PostgreSQL server; each subgraph keeps its own database on it. */
export const databaseServerUrl = z.string().url().optional();

/** A subgraph's database name (its own variable, so one environment can serve every process). */
export const databaseName = (defaultName: string) => z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default(defaultName);

export { pem as pemVariable };

/** Reads and checks the environment once; throws an EnvironmentError naming every problem. */
export function readEnvironment<Shape extends z.ZodRawShape>(shape: Shape, source: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<Shape>> {
  // An empty value means unset (compose files pass `${SECRET:-}` through as an empty string).
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = z.object(shape).safeParse(given);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new EnvironmentError(`Invalid environment:\n${problems.join('\n')}`);
}
