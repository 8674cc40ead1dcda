import { describe, expect, it } from 'vitest';
import { requestIdFrom } from '../src/http/request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['test-123', 'a', 'A.b_c-9', 'x'.repeat(128), '6f1c2d3e-0000-4000-8000-000000000000'])('keeps the sane id %s', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it.each([undefined, '', 'x'.repeat(129), 'two words', 'semi;colon', 'new\nline', 'é', '<script>', 'a/b'])('makes a UUID instead of %j', (id) => {
    expect(requestIdFrom(id)).toMatch(UUID);
  });

  it('makes a new one every time', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});
