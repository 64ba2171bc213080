/**
 * The query nodes' tiny language, one statement per request:
 *   INSERT "key" "value"   FETCH "key"   DELETE "key"
 * Keywords are case-insensitive; strings are double-quoted with \" and \\ escapes; a trailing `;` is allowed.
 */

export type Statement = { verb: 'INSERT'; key: string; value: string } | { verb: 'FETCH'; key: string } | { verb: 'DELETE'; key: string };

export type ParseResult = { ok: true; statement: Statement } | { ok: false; message: string };

export const MAX_KEY_LENGTH = 256;

type Token = { kind: 'word'; text: string; at: number } | { kind: 'string'; text: string; at: number };

class QuerySyntaxError extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === ';') {
      if (text.slice(i + 1).trim() !== '')
        throw new QuerySyntaxError(`only one statement per request; remove what follows ";" at ${i + 1}`);
      break;
    } else if (ch === '"') {
      const at = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new QuerySyntaxError(`the string starting at ${at + 1} is not closed with "`);
        const c = text[i]!;
        if (c === '"') break;
        if (c === '\\') {
          const next = text[i + 1];
          if (next !== '"' && next !== '\\') throw new QuerySyntaxError(`only \\" and \\\\ may follow a backslash (at ${i + 1})`);
          value += next;
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', text: value, at });
    } else if (/[A-Za-z]/.test(ch)) {
      const at = i;
      while (i < text.length && /[A-Za-z]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(at, i).toUpperCase(), at });
    } else {
      throw new QuerySyntaxError(`unexpected "${ch}" at ${i + 1}; strings go in double quotes`);
    }
  }
  return tokens;
}

function strings(tokens: Token[], verb: string, count: number, shape: string): string[] {
  const rest = tokens.slice(1);
  if (rest.length !== count || rest.some((t) => t.kind !== 'string')) throw new QuerySyntaxError(`${verb} takes ${shape}`);
  return rest.map((t) => t.text);
}

function checkKey(key: string): string {
  if (key === '') throw new QuerySyntaxError('a key cannot be empty');
  if (key.length > MAX_KEY_LENGTH) throw new QuerySyntaxError(`a key is at most ${MAX_KEY_LENGTH} characters`);
  return key;
}

/** Parses one statement; a mistake answers a sentence saying what to write instead. */
export function parseStatement(text: string): ParseResult {
  try {
    const tokens = tokenize(text);
    const first = tokens[0];
    if (!first) throw new QuerySyntaxError('the query is empty; write INSERT "key" "value", FETCH "key" or DELETE "key"');
    if (first.kind !== 'word') throw new QuerySyntaxError('a statement starts with INSERT, FETCH or DELETE');
    switch (first.text) {
      case 'INSERT': {
        const [key, value] = strings(tokens, 'INSERT', 2, 'a key and a value: INSERT "key" "value"');
        return { ok: true, statement: { verb: 'INSERT', key: checkKey(key!), value: value! } };
      }
      case 'FETCH':
      case 'DELETE': {
        const [key] = strings(tokens, first.text, 1, `one key: ${first.text} "key"`);
        return { ok: true, statement: { verb: first.text, key: checkKey(key!) } };
      }
      default:
        throw new QuerySyntaxError(`unknown statement ${first.text}; write INSERT, FETCH or DELETE`);
    }
  } catch (error) {
    if (error instanceof QuerySyntaxError) return { ok: false, message: error.message };
    throw error;
  }
}
