import { describe, expect, it } from 'vitest';
import { DrizzleQueryError } from 'drizzle-orm';
import { createLogger, errorFields, prettyLine } from '../src/logger.js';
import { isSecretFieldName, redactText, REDACTED } from '../src/log-redaction.js';

function captured(level: Parameters<typeof createLogger>[1] = 'debug', format: Parameters<typeof createLogger>[2] = 'json') {
  const lines: string[] = [];
  return { lines, logger: createLogger('orders', level, format, (line) => lines.push(line)) };
}

describe('createLogger', () => {
  it('writes one JSON line per event: time, level, service, the fields and the message', () => {
    const { lines, logger } = captured();
    logger.info('order placed', { orderId: 'o-1', lines: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      service: 'orders',
      orderId: 'o-1',
      lines: 2,
      message: 'order placed',
    });
  });

  it('drops lines below its level', () => {
    const { lines, logger } = captured('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['warn', 'error']);
    const silent = captured('silent');
    silent.logger.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('gives children that add their fields to every line', () => {
    const { lines, logger } = captured();
    const request = logger.child({ requestId: 'req-1' });
    request.debug('request finished', { operation: 'Cart' });
    request.child({ orderId: 'o-1' }).warn('retrying');
    logger.info('no request');
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { requestId: 'req-1', operation: 'Cart', message: 'request finished' },
      { requestId: 'req-1', orderId: 'o-1', message: 'retrying' },
      { message: 'no request' },
    ]);
    expect(JSON.parse(lines[2]!)).not.toHaveProperty('requestId');
  });

  it("never writes a key twice: fields named like the line's own keys are renamed", () => {
    const { lines, logger } = captured();
    logger.error('failed', { message: 'from the field', level: 'x', service: 'y', time: 1 });
    expect(lines[0]!.match(/"message":/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', service: 'orders', message: 'failed', _message: 'from the field', _level: 'x', _service: 'y', _time: 1 });
  });

  it('leaves printf-like characters in a message alone', () => {
    const { lines, logger } = captured();
    logger.info('100% of %s and %d');
    expect(JSON.parse(lines[0]!).message).toBe('100% of %s and %d');
  });

  it('writes readable lines in the pretty format', () => {
    const { lines, logger } = captured('info', 'pretty');
    logger.child({ requestId: 'req-1' }).warn('slow answer', { durationMs: 1200, subgraph: { name: 'products' } });
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: orders slow answer \{"requestId":"req-1","durationMs":1200,"subgraph":\{"name":"products"\}\}$/);
  });
});

describe('prettyLine', () => {
  it('passes a line that is not JSON through', () => {
    expect(prettyLine('plain text')).toBe('plain text');
  });
});

describe('redaction', () => {
  const CARD = '4242424242424242';
  const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

  it("replaces secret fields at any depth, by name, without touching the caller's object", () => {
    const { lines, logger } = captured();
    const fields = {
      body: { variables: { input: { email: 'a@example.com', password: 'hunter2 secret', cardNumber: CARD, cvc: '123' } } },
      headers: { Authorization: `Bearer ${JWT}`, 'x-greencart-service-token': 'abc' },
    };
    logger.warn('refused', fields);
    const line = JSON.parse(lines[0]!);
    expect(line.body.variables.input).toEqual({ email: 'a@example.com', password: REDACTED, cardNumber: REDACTED, cvc: REDACTED });
    expect(line.headers).toEqual({ Authorization: REDACTED, 'x-greencart-service-token': REDACTED });
    expect(fields.body.variables.input.password).toBe('hunter2 secret');
  });

  it('replaces tokens, card numbers and quoted secrets inside text: messages, errors, stacks, child fields', () => {
    const { lines, logger } = captured();
    logger.child({ note: `card ${CARD}` }).error(`failed for Bearer ${JWT}`, {
      error: `Unexpected token in JSON: {"query":"mutation { login(input: { password: \\"hunter2\\" }) }", "cvc":"4821"}`,
      stack: `Error: 4000 0000 0000 0002 declined\n    at charge (file.ts:1:1)`,
      jwt: `token was ${JWT}.`,
    });
    const text = lines.join('\n');
    for (const secret of [CARD, JWT, 'hunter2', '4821', '4000 0000 0000 0002']) expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
  });

  it('leaves ids, counts and other digits alone', () => {
    const { lines, logger } = captured();
    const fields = { orderId: '00000000-0000-4000-8000-000000000001', number: 'GC-000123', durationMs: 4242424242424242, sku: 'SKU-1234567890123', phone: '+1 555 0100' };
    logger.info('order placed', fields);
    expect(JSON.parse(lines[0]!)).toMatchObject(fields);
  });

  it('knows secret field names whatever their case or separators', () => {
    for (const name of ['password', 'newPassword', 'card_number', 'CVC', 'authorization', 'accessToken', 'x-greencart-service-token', 'SERVICE_TOKEN_SECRET', 'privateKeyPem'])
      expect(isSecretFieldName(name), name).toBe(true);
    for (const name of ['email', 'orderId', 'requestId', 'operation', 'status']) expect(isSecretFieldName(name), name).toBe(false);
  });

  it('redacts text on its own', () => {
    expect(redactText(`Authorization: Bearer ${JWT}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('password=hunter2 and more')).toBe(`password=${REDACTED} and more`);
    expect(redactText('4242 4242 4242 4241')).toBe('4242 4242 4242 4241');
  });
});

describe('errorFields', () => {
  it("logs a failed SQL statement's text and the database's reason, never its parameters (what customers typed, their addresses)", () => {
    const reason = new Error('invalid byte sequence for encoding "UTF8": 0x00');
    const failed = new DrizzleQueryError('select "id" from "customers" where lower("email") = $1 and "client_address" = $2', ['ann@example.com', '203.0.113.7'], reason);
    const fields = errorFields(failed);
    expect(fields.error).toBe('Failed query: select "id" from "customers" where lower("email") = $1 and "client_address" = $2');
    expect(fields.reason).toBe(reason.message);
    expect(JSON.stringify(fields)).not.toContain('ann@example.com');
    expect(JSON.stringify(fields)).not.toContain('203.0.113.7');
    expect(String(fields.stack)).toMatch(/^Error: Failed query: select/);
  });

  it('logs any other error with its message and stack', () => {
    const error = new Error('boom');
    expect(errorFields(error)).toEqual({ error: 'boom', stack: error.stack });
  });
});
