/**
 * What every LC route module shares: small JSON-schema builders so each route states its body, params and query
 * (the schemas are what Fastify validates and what /openapi.json publishes). A service Result becomes the answer
 * with valueOf (@tessera/http), its failure answered with the code's one status.
 */

export const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
export const id = (prefix: string) =>
  ({ type: 'string', minLength: prefix.length + 1, maxLength: 64, pattern: `^${prefix}[A-Za-z0-9]+$` }) as const;
export const counts = (description: string) =>
  ({ type: 'object', description, additionalProperties: { type: 'integer', minimum: 0, maximum: 1_000_000 } }) as const;
export const names = (description: string) => ({ type: 'array', description, maxItems: 64, items: text(64) }) as const;
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
