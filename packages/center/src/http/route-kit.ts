/**
 * What every LC route module shares: small JSON-schema builders so each route states its body, params and query
 * (the schemas are what Fastify validates and what /openapi.json publishes). A service Result becomes the answer
 * with valueOf (@tessera/http), its failure answered with the code's one status.
 */
import type { FastifyRequest } from 'fastify';
import { MAX_OUTAGE_GRACE_HOURS } from '@tessera/core';
import { refuse } from '@tessera/http';

export const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
export const id = (prefix: string) =>
  ({ type: 'string', minLength: prefix.length + 1, maxLength: 64, pattern: `^${prefix}[A-Za-z0-9]+$` }) as const;
export const counts = (description: string) =>
  ({ type: 'object', description, additionalProperties: { type: 'integer', minimum: 0, maximum: 1_000_000 } }) as const;
export const names = (description: string) => ({ type: 'array', description, maxItems: 64, items: text(64) }) as const;
/** An outage grace in hours, as core signs it (0 strict, at most MAX_OUTAGE_GRACE_HOURS, 90 days). */
export const OUTAGE_GRACE_HOURS = { type: 'integer', minimum: 0, maximum: MAX_OUTAGE_GRACE_HOURS } as const;

/**
 * A preValidation hook refusing body member `name` unless it is a JSON number (or null, when `nullable`). The
 * validator coerces types, so a null or false would otherwise arrive as 0: for an outage grace, strict, where null on
 * a license means "follow the product".
 */
export function numberAsSent(name: string, nullable = false) {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || !(name in body)) return;
    const value = (body as Record<string, unknown>)[name];
    if (typeof value === 'number' || (nullable && value === null)) return;
    const sent = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    throw refuse('BAD_REQUEST', `Bad request: body/${name} must be a number${nullable ? ' or null' : ''}, not ${sent}.`);
  };
}

export const millis = (description: string) => ({ type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000, description }) as const;

/** An object schema that refuses unknown members, so a misspelt field is an error rather than silently ignored. */
export function object(properties: Record<string, unknown>, required: string[] = Object.keys(properties)) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

export const body = (properties: Record<string, unknown>, required?: string[]) => ({ body: object(properties, required) });

/** Route params: one id per name, each with its prefix (lic_, cus_, ...). */
export function params(ids: Record<string, string>) {
  return object(Object.fromEntries(Object.entries(ids).map(([name, prefix]) => [name, id(prefix)])));
}

export const PAGE_QUERY = object(
  {
    limit: { type: 'integer', minimum: 1, maximum: 200, description: 'Items per page (default 50).' },
    cursor: { type: 'string', maxLength: 200, description: 'The nextCursor of the previous page.' },
  },
  [],
);
