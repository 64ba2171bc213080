/**
 * The password rule people are told, checked as they type (the License Center's passwordProblem is the authority;
 * its message is shown when it refuses). test/password-rule.test.ts keeps the two in agreement.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 30;

export interface RulePart {
  id: 'length' | 'letter' | 'digit' | 'special';
  label: string;
  met: boolean;
}

export function passwordRule(password: string): RulePart[] {
  const length = [...password].length;
  return [
    {
      id: 'length',
      label: `${PASSWORD_MIN} to ${PASSWORD_MAX} characters (now ${length})`,
      met: length >= PASSWORD_MIN && length <= PASSWORD_MAX,
    },
    { id: 'letter', label: 'a letter', met: /\p{L}/u.test(password) },
    { id: 'digit', label: 'a digit', met: /\p{Nd}/u.test(password) },
    { id: 'special', label: 'a special character, such as ! ? # % or -', met: /[^\p{L}\p{Nd}\s]/u.test(password) },
  ];
}

export const passwordFollowsRule = (password: string) => passwordRule(password).every((part) => part.met);
