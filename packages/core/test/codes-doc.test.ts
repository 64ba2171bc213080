import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE_DESCRIPTIONS, CODE_HTTP_STATUS, CODES, STATUS_DESCRIPTIONS } from '@tessera/core';

const page = readFileSync(new URL('../../../docs/codes.md', import.meta.url), 'utf8');

describe('docs/codes.md', () => {
  it('lists exactly the codes core defines, each with its HTTP status and description', () => {
    const documented = [...page.matchAll(/^\| `([A-Z_]+)` +\| [^|]+\| (\d{3}) +\| (.+?) *\|$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(documented.map(([code]) => code)).toEqual(CODES);
    for (const [code, status, description] of documented) {
      expect(Number(status), code).toBe(CODE_HTTP_STATUS[code as keyof typeof CODE_HTTP_STATUS]);
      expect(description).toBe(CODE_DESCRIPTIONS[code as keyof typeof CODE_DESCRIPTIONS]);
    }
  });
  it('lists every status', () => {
    for (const status of Object.keys(STATUS_DESCRIPTIONS)) expect(page).toMatch(new RegExp(`^\\| \`${status}\` +\\|`, 'm'));
  });
  it('gives every code one HTTP status a server can answer with', () => {
    for (const code of CODES) expect(CODE_HTTP_STATUS[code], code).toSatisfy((s: number) => Number.isInteger(s) && s >= 200 && s <= 599);
  });
});
