/** One error type and one error shape for every Tessera HTTP service: { error: { code, message, requestId } }, codes from core. */
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
      return reply
        .status(status)
        .send({ error: { code: status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST', message: error.message, requestId: request.id } });
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
