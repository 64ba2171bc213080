/**
 * JSON over node:http for the controller: one GuardError(code, status, message) and one writer of
 * `{ "error": { "code", "message" } }`, so every refusal has a stable code and a sentence a person can act on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class GuardError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 16 * 1024;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

export function sendError(response: ServerResponse, error: GuardError): void {
  sendJson(response, error.status, { error: { code: error.code, message: error.message } });
}

/** Reads a JSON object body; anything else is a BAD_REQUEST that says what was wrong. */
export async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new GuardError('BAD_REQUEST', 415, 'Send the request body as JSON, with the header content-type: application/json.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new GuardError('BAD_REQUEST', 413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new GuardError('BAD_REQUEST', 400, 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GuardError('BAD_REQUEST', 400, 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** A required string field matching `pattern`; `what` describes the expected form in the error sentence. */
export function stringField(body: Record<string, unknown>, name: string, pattern: RegExp, what: string): string {
  const value = body[name];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new GuardError('BAD_REQUEST', 400, `The field "${name}" is missing or not ${what}.`);
  }
  return value;
}
