import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStatement } from '../src/language.js';
import { fnv1a32, storageFor } from '../src/routing.js';

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

describe('the query language', () => {
  it('reads INSERT, FETCH and DELETE, keywords in any case, with escapes and a trailing ;', () => {
    expect(parseStatement('INSERT "user:1" "Ada \\"the first\\" \\\\ Lovelace"')).toEqual({
      ok: true,
      statement: { verb: 'INSERT', key: 'user:1', value: 'Ada "the first" \\ Lovelace' },
    });
    expect(parseStatement('  fetch "user:1" ;')).toEqual({ ok: true, statement: { verb: 'FETCH', key: 'user:1' } });
    expect(parseStatement('Delete "k"')).toEqual({ ok: true, statement: { verb: 'DELETE', key: 'k' } });
  });

  it('says what is wrong in a sentence', () => {
    const refusal = (text: string) => {
      const result = parseStatement(text);
      return result.ok ? 'accepted' : result.message;
    };
    expect(refusal('')).toMatch(/the query is empty/);
    expect(refusal('MATCH (v) RETURN v')).toMatch(/unexpected "\("/);
    expect(refusal('UPSERT "k"')).toBe('unknown statement UPSERT; write INSERT, FETCH or DELETE');
    expect(refusal('INSERT "k"')).toBe('INSERT takes a key and a value: INSERT "key" "value"');
    expect(refusal('FETCH "k" "v"')).toBe('FETCH takes one key: FETCH "key"');
    expect(refusal('FETCH "k')).toMatch(/not closed/);
    expect(refusal('FETCH ""')).toBe('a key cannot be empty');
    expect(refusal(`FETCH "${'k'.repeat(257)}"`)).toMatch(/at most 256/);
    expect(refusal('FETCH "a"; FETCH "b"')).toMatch(/only one statement per request/);
    expect(refusal('FETCH "a\\n"')).toMatch(/only \\" and \\\\ may follow a backslash/);
  });

  it('never throws on any text, and reads back any quoted key and value', () => {
    fc.assert(fc.property(fc.string(), (text) => typeof parseStatement(text).ok === 'boolean'));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 256 }), fc.string(), (key, value) => {
        expect(parseStatement(`INSERT ${quote(key)} ${quote(value)}`)).toEqual({ ok: true, statement: { verb: 'INSERT', key, value } });
      }),
    );
  });
});

describe('routing keys to storage nodes', () => {
  it('is FNV-1a over the UTF-8 bytes (known answers), so every query node agrees', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('sends every key to one of the nodes, the same one each time, and spreads keys over all of them', () => {
    const addrs = ['h1:9779', 'h2:9779', 'h3:9779'];
    const used = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const target = storageFor(`key-${i}`, addrs);
      expect(addrs).toContain(target);
      expect(storageFor(`key-${i}`, addrs)).toBe(target);
      used.add(target);
    }
    expect(used.size).toBe(3);
  });
});
