/** The password rule the portal shows as people type agrees with the License Center's, which has the last word. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../../packages/center/src/services/accounts/passwords.js';
import { passwordFollowsRule, passwordRule } from '../src/password-rule';

describe('the password rule shown as it is typed', () => {
  it('names each part and whether it is met', () => {
    expect(passwordRule('abc')).toEqual([
      { id: 'length', label: '12 to 30 characters (now 3)', met: false },
      { id: 'letter', label: 'a letter', met: true },
      { id: 'digit', label: 'a digit', met: false },
      { id: 'special', label: 'a special character, such as ! ? # % or -', met: false },
    ]);
    expect(passwordRule('Lovelace-1815!').every((part) => part.met)).toBe(true);
    // Characters, not UTF-16 units, as the server counts them.
    expect(passwordRule('😀'.repeat(11) + 'a1')[0]).toMatchObject({ met: true, label: '12 to 30 characters (now 13)' });
  });

  it('accepts exactly the passwords the License Center accepts', () => {
    const chars = fc.constantFrom(...'aZé1٣ !#-_?%😀\t'.split(/(?:)/u));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 34 }), (parts) => {
        const password = parts.join('');
        expect(passwordFollowsRule(password)).toBe(passwordProblem(password) === null);
      }),
      { numRuns: 3000 },
    );
  });
});
