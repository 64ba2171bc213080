/** One error type for the HTTP layer, and one handler that writes { error: { code, message, requestId } }. */
import type { Code } from '@tessera/core';
import type { FastifyError, FastifyInstance } from 'fastify';

export class ApiError extends Error {
  constructor(
    readonly code: Code,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status for a refusal code. */
export function statusFor(code: Code): number {
  switch (code) {
    case 'BAD_REQUEST':
    case 'MALFORMED':
    case 'CHECKSUM_MISMATCH':
    case 'WRONG_KIND':
    case 'UNSUPPORTED_VERSION':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'NOT_FOUND':
    case 'LEASE_NOT_FOUND':
      return 404;
    case 'TOO_MANY_NODES':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    case 'CENTER_UNREACHABLE':
      return 502;
    case 'INTERNAL':
      return 500;
    default:
      // The license does not allow it (expired, invalid, wrong product, ...).
      return 403;
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, requestId: request.id } });
    }
    if ((error as FastifyError).validation) {
      return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: `Bad request: ${error.message}.`, requestId: request.id } });
    }
    const status = (error as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: unparsable JSON, body too large, wrong content type.
      return reply.status(status).send({ error: { code: 'BAD_REQUEST', message: error.message, requestId: request.id } });
    }
    request.log.error({ err: error, requestId: request.id }, 'unexpected error');
    return reply.status(500).send({
      error: { code: 'INTERNAL', message: `Unexpected error; it was logged with request id ${request.id}.`, requestId: request.id },
    });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `There is no ${request.method} ${request.url.split('?')[0]} here.`, requestId: request.id },
    });
  });
}
