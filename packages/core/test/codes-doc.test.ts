import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE_DESCRIPTIONS, CODES, STATUS_DESCRIPTIONS } from '@tessera/core';

const page = readFileSync(new URL('../../../docs/codes.md', import.meta.url), 'utf8');

describe('docs/codes.md', () => {
  it('lists exactly the codes core defines, each with its description', () => {
    const documented = [...page.matchAll(/^\| `([A-Z_]+)` +\| [^|]+\| (.+?) *\|$/gm)].map((m) => [m[1], m[2]]);
    expect(documented.map(([code]) => code)).toEqual(CODES);
    for (const [code, description] of documented) expect(description).toBe(CODE_DESCRIPTIONS[code as keyof typeof CODE_DESCRIPTIONS]);
  });
  it('lists every status', () => {
    for (const status of Object.keys(STATUS_DESCRIPTIONS)) expect(page).toMatch(new RegExp(`^\\| \`${status}\` +\\|`, 'm'));
  });
});
