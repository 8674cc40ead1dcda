import { describe, expect, it } from 'vitest';
import { MAX_QUERY_PARAMETERS, queryParameters, readRequestTarget } from '../src/http/request-target.js';

const served = (target: string, host = 'shop.example.com') => {
  const read = readRequestTarget(target, host);
  return 'refusal' in read ? `refused: ${read.refusal}` : `${read.path}${read.search.size ? `?${read.search}` : ''}`;
};

describe('readRequestTarget', () => {
  it('serves an origin-form target as its path and canonical query string', () => {
    expect(served('/graphql?query=%7B%20me%20%7B%20id%20%7D%20%7D')).toBe('/graphql?query=%7B+me+%7B+id+%7D+%7D');
    expect(served('/health')).toBe('/health');
  });

  it('keeps a path that looks like an authority (//host/x) a path on this server', () => {
    expect(served('//127.0.0.1:4999/invoices/x/print')).toBe('//127.0.0.1:4999/invoices/x/print');
  });

  it('serves an absolute-form target that names this server (its Host) as its path alone', () => {
    expect(served('http://shop.example.com/invoices/x/print?expires=1', 'shop.example.com')).toBe('/invoices/x/print?expires=1');
    expect(served('HTTP://SHOP.example.com/graphql', 'shop.EXAMPLE.com')).toBe('/graphql');
  });

  it('refuses an absolute-form target naming another host, another scheme, credentials, and the other forms', () => {
    expect(served('http://127.0.0.1:4999/invoices/x/print', 'shop.example.com')).toMatch(/^refused: A request target in absolute form must name this server/);
    expect(served('http://127.0.0.1:4999/x', undefined as unknown as string)).toMatch(/^refused/);
    expect(served('ftp://shop.example.com/x')).toMatch(/^refused/);
    expect(served('http://user:secret@shop.example.com/x')).toMatch(/^refused/);
    expect(served('*')).toMatch(/^refused: The request target must be a path/);
    expect(served('shop.example.com:443')).toMatch(/^refused: The request target must be a path/);
  });

  it(`refuses more than ${MAX_QUERY_PARAMETERS} parameters, and a parameter named twice`, () => {
    const many = Array.from({ length: MAX_QUERY_PARAMETERS }, (_, index) => `p${index}=1`).join('&');
    expect(served(`/graphql?${many}`)).not.toMatch(/^refused/);
    expect(served(`/graphql?${many}&one=more`)).toBe(`refused: The query string has more than ${MAX_QUERY_PARAMETERS} parameters.`);
    expect(served(`/graphql?${'a&'.repeat(1000)}query=x`)).toMatch(/more than 32 parameters/);
    expect(served('/graphql?query=a&query=b')).toBe('refused: The query string names the parameter "query" more than once.');
  });
});

describe('queryParameters', () => {
  it('reads parameters as URLSearchParams does, into a record without a prototype', () => {
    const parameters = queryParameters('query=%7B+me+%7D&__proto__=x&variables[a]=1');
    expect(parameters.query).toBe('{ me }');
    expect(Object.getPrototypeOf(parameters)).toBeNull();
    expect(parameters['__proto__']).toBe('x');
    expect(parameters['variables[a]']).toBe('1');
  });
});
