import { describe, expect, it } from 'vitest';
import { validateAddress, validateProfileChanges, type AddressInput } from '../src/services/profile-rules.js';

const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

describe('validateProfileChanges', () => {
  it('changes nothing when nothing is given (null counts as left out)', () => {
    expect(validateProfileChanges({})).toEqual({ changes: {}, errors: [] });
    expect(validateProfileChanges({ name: null, phone: null })).toEqual({ changes: {}, errors: [] });
  });

  it('takes a name, trimmed, and leaves the phone alone', () => {
    expect(validateProfileChanges({ name: '  Ada King  ' })).toEqual({ changes: { name: 'Ada King' }, errors: [] });
  });

  it('takes a phone, trimmed, and leaves the name alone', () => {
    expect(validateProfileChanges({ phone: ' +1 415 555 0100 ' })).toEqual({ changes: { phone: '+1 415 555 0100' }, errors: [] });
  });

  it('removes the phone when given an empty (or blank) one', () => {
    expect(validateProfileChanges({ phone: '' })).toEqual({ changes: { phone: null }, errors: [] });
    expect(validateProfileChanges({ phone: '   ' })).toEqual({ changes: { phone: null }, errors: [] });
  });

  it('accepts names of 1 to 200 characters', () => {
    expect(validateProfileChanges({ name: 'X' }).errors).toEqual([]);
    expect(validateProfileChanges({ name: 'x'.repeat(200) }).errors).toEqual([]);
  });

  it.each(['', '   ', 'x'.repeat(201)])('refuses the name %j on "name"', (name) => {
    expect(validateProfileChanges({ name })).toEqual({ changes: {}, errors: [invalid('name')] });
  });

  it.each(['+1 415 555 0100', '(415) 555-0100', '+1 (415) 555-0100', '415.555.0100', '+44 20 7946 0958', '123456', '123456789012345'])('accepts the phone %j', (phone) => {
    expect(validateProfileChanges({ phone })).toEqual({ changes: { phone }, errors: [] });
  });

  it.each([
    ['five digits', '12345'],
    ['sixteen digits', '1234567890123456'],
    ['letters', '555-CALL-NOW'],
    ['an extension', '415 555 0100 ext 2'],
    ['a plus sign alone', '+'],
    ['a plus sign in the middle', '415+5550100'],
    ['no digit first', '-4155550100'],
    ['two opening parentheses first', '((415) 555 0100'],
    ['too many separators', '1 - 2 - 3 - 4 - 5 - 6 - 7 - 8'],
  ])('refuses a phone with %s on "phone"', (_, phone) => {
    expect(validateProfileChanges({ phone })).toEqual({ changes: {}, errors: [invalid('phone')] });
  });

  it.each([
    ['an ESC sequence', 'Ada\u001B[2J', 'U+001B'],
    ['DEL', 'Ada\u007F', 'U+007F'],
    ['a C1 control', '\u0085Ada', 'U+0085'],
  ])('refuses a name with %s on "name", naming the character', (_, name, codePoint) => {
    expect(validateProfileChanges({ name })).toEqual({
      changes: {},
      errors: [{ code: 'INVALID_INPUT', field: 'name', message: `The name must not contain control characters (${codePoint}).` }],
    });
  });

  it('refuses a name with a bidirectional control or an invisible character, and keeps the joiners scripts need', () => {
    expect(validateProfileChanges({ name: 'Ada\u2067' }).errors).toEqual([{ code: 'INVALID_INPUT', field: 'name', message: 'The name must not contain bidirectional text controls (U+2067).' }]);
    expect(validateProfileChanges({ name: 'Ada\uFEFF' }).errors).toEqual([{ code: 'INVALID_INPUT', field: 'name', message: 'The name must not contain invisible formatting characters (U+FEFF).' }]);
    expect(validateProfileChanges({ name: 'Mehr\u200Cnaz' })).toEqual({ changes: { name: 'Mehr\u200Cnaz' }, errors: [] });
  });

  it('refuses a control character in the phone as such, even a trailing one trimming would drop', () => {
    for (const [phone, codePoint] of [
      ['+1 415\u0007 555 0100', 'U+0007'],
      ['+1 415 555 0100\n', 'U+000A'],
      ['\t+1 415 555 0100', 'U+0009'],
    ]) {
      expect(validateProfileChanges({ phone })).toEqual({
        changes: {},
        errors: [{ code: 'INVALID_INPUT', field: 'phone', message: `The phone number must not contain control characters (${codePoint}).` }],
      });
    }
  });

  it('reports both problems at once and changes nothing', () => {
    expect(validateProfileChanges({ name: '', phone: 'call me' })).toEqual({ changes: {}, errors: [invalid('name'), invalid('phone')] });
  });
});

describe('validateAddress', () => {
  const valid: AddressInput = { line1: '1 Infinite Loop', line2: 'Floor 2', city: 'Cupertino', postalCode: '95014', country: 'US' };

  it('accepts a valid address', () => {
    expect(validateAddress(valid)).toEqual({ address: { line1: '1 Infinite Loop', line2: 'Floor 2', city: 'Cupertino', postalCode: '95014', country: 'US' }, errors: [] });
  });

  it('trims every field', () => {
    const { address, errors } = validateAddress({ line1: '  10 Downing St ', line2: '  Flat 1 ', city: ' London ', postalCode: ' SW1A 2AA ', country: ' gb ' });
    expect(errors).toEqual([]);
    expect(address).toEqual({ line1: '10 Downing St', line2: 'Flat 1', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' });
  });

  it.each(['us', 'Us', 'uS', 'US'])('accepts the country %j and stores it in upper case', (country) => {
    expect(validateAddress({ ...valid, country }).address?.country).toBe('US');
  });

  it.each([
    ['left out', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('stores line2 as null when it is %s', (_, line2) => {
    expect(validateAddress({ ...valid, line2 }).address).toEqual({ ...valid, line2: null });
  });

  it('does not keep isDefault in the validated address', () => {
    expect(validateAddress({ ...valid, isDefault: true }).address).not.toHaveProperty('isDefault');
  });

  it.each([
    ['line1', { line1: '' }],
    ['line1', { line1: '   ' }],
    ['line1', { line1: 'x'.repeat(201) }],
    ['line2', { line2: 'x'.repeat(201) }],
    ['city', { city: '' }],
    ['city', { city: 'x'.repeat(101) }],
    ['postalCode', { postalCode: '' }],
    ['postalCode', { postalCode: '95014#' }],
    ['postalCode', { postalCode: '-95014' }],
    ['postalCode', { postalCode: '1'.repeat(21) }],
    ['country', { country: '' }],
    ['country', { country: 'U' }],
    ['country', { country: 'USA' }],
    ['country', { country: 'XX' }],
    ['country', { country: 'UK' }],
    ['country', { country: 'EU' }],
    ['country', { country: 'U1' }],
  ] as Array<[string, Partial<AddressInput>]>)('refuses %s in %j', (field, change) => {
    expect(validateAddress({ ...valid, ...change })).toEqual({ errors: [invalid(field)] });
  });

  it.each([
    ['line1', 'The first line', { line1: '1 Infinite\u001B[8m Loop' }, 'U+001B'],
    ['line1', 'The first line', { line1: '1 Infinite Loop\r\n' }, 'U+000D'],
    ['line2', 'The second line', { line2: 'Floor\u00012' }, 'U+0001'],
    ['city', 'The city', { city: 'Cuper\u007Ftino' }, 'U+007F'],
    ['city', 'The city', { city: 'Cupertino\u0090' }, 'U+0090'],
    ['postalCode', 'The postal code', { postalCode: '95014\u0000' }, 'U+0000'],
  ] as Array<[string, string, Partial<AddressInput>, string]>)('refuses a control character in %s, saying so', (field, label, change, codePoint) => {
    expect(validateAddress({ ...valid, ...change })).toEqual({
      errors: [{ code: 'INVALID_INPUT', field, message: `${label} must not contain control characters (${codePoint}).` }],
    });
  });

  it('refuses a bidirectional control in an address line, but not an invisible joiner', () => {
    expect(validateAddress({ ...valid, line1: '1 Infinite \u202DLoop' }).errors).toEqual([
      { code: 'INVALID_INPUT', field: 'line1', message: 'The first line must not contain bidirectional text controls (U+202D).' },
    ]);
    expect(validateAddress({ ...valid, line1: 'Kh\u200Dan Street 1' }).errors).toEqual([]);
  });

  it('accepts the longest values allowed', () => {
    const { errors } = validateAddress({ line1: 'x'.repeat(200), line2: 'y'.repeat(200), city: 'z'.repeat(100), postalCode: 'A1-'.repeat(6) + 'B2', country: 'de' });
    expect(errors).toEqual([]);
  });

  it('accepts GB, the ISO code for the United Kingdom, and other assigned codes', () => {
    for (const country of ['GB', 'DE', 'JP', 'BR', 'ZA', 'AX', 'SS']) expect(validateAddress({ ...valid, country }).errors).toEqual([]);
  });

  it('reports every problem at once, in input order', () => {
    const { address, errors } = validateAddress({ line1: '', line2: 'x'.repeat(201), city: '', postalCode: '!', country: 'XX' });
    expect(address).toBeUndefined();
    expect(errors).toEqual([invalid('line1'), invalid('line2'), invalid('city'), invalid('postalCode'), invalid('country')]);
  });
});
