/**
 * docs/lm-openapi.yaml as the tests read it, and the check every answer of the LM in the tests goes through
 * (world.ts call()): the answer's status must be one the document lists for its route, its media type the one it
 * names, and a JSON answer must match the schema of that route and status. The schemas are closed (every member
 * required or listed, nothing else allowed), so a member the LM adds, drops or retypes fails the test that saw it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { parseIsoTime } from '@tessera/core';

export interface JsonSchema {
  $ref?: string;
  type?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
}
interface Response {
  $ref?: string;
  description?: string;
  content?: Record<string, { schema: JsonSchema }>;
}
export interface Operation {
  operationId?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, Response>;
}
export interface LmOpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, Response> };
}

export const LM_OPENAPI_FILE = new URL('../../../../docs/lm-openapi.yaml', import.meta.url);
export const spec: LmOpenApi = parse(readFileSync(LM_OPENAPI_FILE, 'utf8'));

const DOCUMENT_ID = 'lm-openapi.yaml';
// OpenAPI 3.1 schemas are JSON Schema 2020-12; the document's other members (paths, info) are not keywords.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
ajv.addFormat('date-time', (text: string) => parseIsoTime(text) !== null);
ajv.addSchema(spec as object, DOCUMENT_ID);
const compiled = new Map<string, ValidateFunction>();

/** A schema given as a $ref into the document ('#/components/schemas/X'), compiled once. */
function validatorFor(ref: string): ValidateFunction {
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}${ref}` });
    compiled.set(ref, validate);
  }
  return validate;
}

const resolveResponse = (response: Response): Response =>
  response.$ref ? spec.components.responses[response.$ref.replace('#/components/responses/', '')]! : response;

/** Why an answer does not agree with the document, or null when it does. */
export function answerProblem(method: string, url: string, status: number, contentType: string | null, body: unknown): string | null {
  const path = url.split('?')[0]!;
  const what = `${method} ${path} answered ${status}`;
  const operation = spec.paths[path]?.[method.toLowerCase()];
  // A path the LM does not serve answers the one error shape (404 NOT_FOUND).
  const responses = operation?.responses ?? { '4XX': { $ref: '#/components/responses/Error' } };
  const listed = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
  if (!listed) return `${what}, a status its operation in docs/lm-openapi.yaml does not list`;
  const response = resolveResponse(listed);
  const mediaType = (contentType ?? '').split(';')[0]!.trim();
  const content = response.content?.[mediaType];
  if (!content) return `${what} with ${mediaType || 'no content type'}, which docs/lm-openapi.yaml does not name for it`;
  if (mediaType !== 'application/json') return null;
  const ref = content.schema.$ref;
  if (!ref) return `${what}: its JSON schema in docs/lm-openapi.yaml should be a component ($ref), as every other`;
  const validate = validatorFor(ref);
  return validate(body) ? null : `${what} with what ${ref} does not allow: ${ajv.errorsText(validate.errors)}`;
}
