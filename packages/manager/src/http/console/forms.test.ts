/** What the console's forms decide, as the normal module the browser also runs (/console/forms.js). */
import { describe, expect, it } from 'vitest';
import { NAME } from '@tessera/core';
import { apiError, parseMonths, parseNodes } from './forms.js';

describe('parseNodes', () => {
  it('parses "query=3,storage=5" and refuses what is not role=number', () => {
    expect(parseNodes('query=3, storage=5', NAME)).toEqual({ query: 3, storage: 5 });
    expect(parseNodes(' query = 1 ,', NAME)).toEqual({ query: 1 });
    expect(() => parseNodes('query=three', NAME)).toThrow(/"query=three" is not role=number/);
    expect(() => parseNodes('Query=3', NAME)).toThrow(/is not role=number/);
    expect(() => parseNodes('', NAME)).toThrow(/at least one role/);
  });

  it("takes role names by the pattern it is given (core's, from the page)", () => {
    expect(() => parseNodes(`${'a'.repeat(33)}=1`, NAME)).toThrow(/is not role=number/);
    expect(parseNodes(`${'a'.repeat(32)}=1`, NAME)).toEqual({ ['a'.repeat(32)]: 1 });
    expect(() => parseNodes('query_2=1', /^[a-z]+$/)).toThrow(/is not role=number/);
  });
});

describe('parseMonths', () => {
  it('takes nothing (the default) or a whole number from 1 to 120', () => {
    expect(parseMonths('  ')).toBeNull();
    expect(parseMonths(' 6 ')).toBe(6);
    expect(parseMonths('120')).toBe(120);
    for (const bad of ['0', '121', '1.5', '-1', 'six']) expect(() => parseMonths(bad), bad).toThrow(/whole number from 1 to 120/);
  });
});

describe('apiError', () => {
  it('turns an API error body into "CODE: message"', () => {
    expect(apiError(401, { error: { code: 'UNAUTHORIZED', message: 'The admin token is wrong.', requestId: 'req_1' } })).toBe(
      'UNAUTHORIZED: The admin token is wrong.',
    );
    expect(apiError(400, { error: { message: 'No code.' } })).toBe('No code.');
  });

  it('says the HTTP status when the answer has no error body', () => {
    expect(apiError(502, null)).toBe('The License Manager answered HTTP 502.');
    expect(apiError(500, 'oops')).toBe('The License Manager answered HTTP 500.');
    expect(apiError(404, { error: { code: 'NOT_FOUND' } })).toBe('The License Manager answered HTTP 404.');
  });
});
