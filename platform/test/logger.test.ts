import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from '../src/logger.js';

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
    expect(JSON.parse(lines[0]!)).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'info', service: 'orders', orderId: 'o-1', lines: 2, message: 'order placed' });
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

  it('never writes a key twice: fields named like the line\'s own keys are renamed', () => {
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
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN  orders   slow answer requestId=req-1 durationMs=1200 subgraph=\{"name":"products"\}$/);
  });
});

describe('prettyLine', () => {
  it('passes a line that is not JSON through', () => {
    expect(prettyLine('plain text')).toBe('plain text');
  });
});
