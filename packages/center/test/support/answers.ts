/**
 * A serializer for the tests' centers that checks every answer against the schema its route declares before it
 * is sent (then JSON.stringify, as in production): a schema that drifts from what a service returns fails the
 * test that made the answer, so /openapi.json and the types generated from it cannot go stale unnoticed.
 */
import { Ajv } from 'ajv';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { SHARED_SCHEMAS } from '../../src/http/schemas.js';

const ajv = new Ajv({ strict: false, allErrors: true });
// A download's file is described as a binary string; it is streamed, never serialised.
ajv.addFormat('binary', true);
for (const schema of SHARED_SCHEMAS) ajv.addSchema(schema);

export const checkingSerializer: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  const validate = ajv.compile(schema as object);
  return (data) => {
    if (!validate(data)) {
      const problem = `${method} ${url} answered ${httpStatus} with what its response schema does not allow: ${ajv.errorsText(validate.errors)}`;
      process.stderr.write(`[tests] ${problem}\n${JSON.stringify(data).slice(0, 2000)}\n`);
      throw new Error(problem);
    }
    return JSON.stringify(data);
  };
};
