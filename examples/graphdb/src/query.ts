/** A query node: `POST /query` in the tiny language, each key sent to the storage node its hash names. */
import type { IncomingMessage } from 'node:http';
import { parseStatement } from './language.js';
import type { Statement } from './language.js';
import { GraphdbError } from './http.js';
import type { JsonAnswer, Route } from './http.js';
import { storageFor } from './routing.js';

const STORAGE_TIMEOUT_MS = 5000;

/** The statement text: the raw body (text/plain), or `{ "query": "..." }` when the body is JSON. */
function statementText(body: Buffer, request: IncomingMessage): string {
  const text = body.toString('utf8');
  if (!(request.headers['content-type'] ?? '').includes('application/json')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GraphdbError('BAD_REQUEST', 400, 'The body is not valid JSON; send {"query": "..."} or the statement as text/plain.');
  }
  const query = (parsed as { query?: unknown } | null)?.query;
  if (typeof query !== 'string') throw new GraphdbError('BAD_REQUEST', 400, 'The JSON body needs a "query" string.');
  return query;
}

/** What a storage node answers (see storage.ts); read defensively, since it came over the network. */
interface StorageBody {
  error?: { code?: unknown; message?: unknown };
  value?: unknown;
  deleted?: unknown;
}

async function callStorage(addr: string, method: string, key: string, value?: string): Promise<{ status: number; body: StorageBody }> {
  let response: Response;
  try {
    response = await fetch(`http://${addr}/kv/${encodeURIComponent(key)}`, {
      method,
      ...(value !== undefined ? { body: value, headers: { 'content-type': 'text/plain; charset=utf-8' } } : {}),
      signal: AbortSignal.timeout(STORAGE_TIMEOUT_MS),
    });
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${STORAGE_TIMEOUT_MS} ms` : 'the connection failed';
    throw new GraphdbError('STORAGE_UNREACHABLE', 502, `The storage node ${addr} cannot be reached (${why}); check that it runs.`);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: (JSON.parse(text) ?? {}) as StorageBody };
  } catch {
    throw new GraphdbError(
      'STORAGE_UNREACHABLE',
      502,
      `The storage node ${addr} gave an answer that is not graphdb's (HTTP ${response.status}).`,
    );
  }
}

async function run(statement: Statement, addr: string): Promise<JsonAnswer> {
  const method = { INSERT: 'PUT', FETCH: 'GET', DELETE: 'DELETE' }[statement.verb];
  const answer = await callStorage(addr, method, statement.key, statement.verb === 'INSERT' ? statement.value : undefined);
  const error = answer.body.error;
  if (error) {
    // The storage node's own refusal (its license lapsed: 503 with the license code; a missing key: 404) is
    // passed on with its code, saying which node refused.
    throw new GraphdbError(String(error.code), answer.status, `Storage node ${addr}: ${String(error.message)}`);
  }
  const result =
    statement.verb === 'INSERT'
      ? { key: statement.key, inserted: true }
      : statement.verb === 'FETCH'
        ? { key: statement.key, value: answer.body.value }
        : { key: statement.key, deleted: answer.body.deleted === true };
  return { status: 200, body: { verb: statement.verb, result, storage: addr } };
}

export function queryRoutes(storageAddrs: readonly string[]): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/query$/,
      needsLicense: true,
      async run(_params, body, request) {
        const parsed = parseStatement(statementText(body, request));
        if (!parsed.ok) throw new GraphdbError('BAD_QUERY', 400, parsed.message);
        return run(parsed.statement, storageFor(parsed.statement.key, storageAddrs));
      },
    },
  ];
}
