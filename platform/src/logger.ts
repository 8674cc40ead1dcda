/** A small structured logger: one JSON line per event on stderr, filtered by LOG_LEVEL. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** `json` for machines (the default); `pretty` for a person at a terminal (`npm start` sets it there). */
export type LogFormat = 'json' | 'pretty';

/** Where log lines go: stderr, or (in tests) a collector. */
export type LogSink = (line: string) => void;
const toStderr: LogSink = (line) => process.stderr.write(`${line}\n`);

export function createLogger(service: string, level: LogLevel = 'info', format: LogFormat = 'json', sink: LogSink = toStderr): Logger {
  const threshold = LEVELS[level];
  const write = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[at] < threshold) return;
    const time = new Date().toISOString();
    const line =
      format === 'json'
        ? JSON.stringify({ time, level: at, service, message, ...fields })
        : `${time.slice(11, 19)} ${at.toUpperCase().padEnd(5)} ${service.padEnd(8)} ${message}${Object.entries(fields ?? {})
            .map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
            .join('')}`;
    sink(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Fields that describe an error for a log line (never for a client). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const original = (error as { originalError?: unknown }).originalError;
    const cause = original instanceof Error ? original : error;
    return { error: cause.message, stack: cause.stack };
  }
  return { error: String(error) };
}
