/**
 * What the console page's forms decide, apart from the page: reading the nodes field, the months field, and an API
 * error as one line. Plain functions with no import and no DOM, so the browser runs them as the module the LM
 * serves at /console/forms.js (browser.ts imports it) and the tests run them as a normal module.
 */

/** "query=3,storage=5" → { query: 3, storage: 5 }; `name` is the license's name pattern (core NAME, sent by the page). */
export function parseNodes(text: string, name: RegExp): Record<string, number> {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('Give at least one role, e.g. query=3,storage=5.');
  const nodes: Record<string, number> = {};
  for (const part of parts) {
    const match = /^([^=\s]+)\s*=\s*(\d{1,7})$/.exec(part);
    if (!match || !name.test(match[1]!)) throw new Error(`"${part}" is not role=number (roles are lower-case, e.g. query=3).`);
    nodes[match[1]!] = Number(match[2]);
  }
  return nodes;
}

/** The months field: empty (the LM's default) or a whole number from 1 to 120. */
export function parseMonths(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d{1,3}$/.test(trimmed) || +trimmed < 1 || +trimmed > 120) throw new Error('Months must be a whole number from 1 to 120.');
  return Number(trimmed);
}

/** An answer that is not 2xx as one line: "CODE: message" from the API's error body, else the HTTP status. */
export function apiError(status: number, body: unknown): string {
  const error = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
  if (error && typeof error.message === 'string')
    return (typeof error.code === 'string' && error.code ? `${error.code}: ` : '') + error.message;
  return `The License Manager answered HTTP ${status}.`;
}
