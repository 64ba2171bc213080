/**
 * One error type, one error shape and one code → status mapping for every Tessera HTTP service:
 * { error: { code, message, requestId } }, codes and their one HTTP status from core (codes.ts). Services return
 * Results; a route turns one into its answer with valueOf, and a refusal becomes an ApiError whose status is the
 * code's, whatever the route.
 */
import { httpStatusOf } from '@tessera/core';
import type { Code, Failure, Result } from '@tessera/core';
import type { FastifyError, FastifyInstance } from 'fastify';

export { clientAddressKey } from './client-address.js';
export { Counter, DEFAULT_BUCKETS, Histogram, METRICS_CONTENT_TYPE, MetricsRegistry } from './metrics.js';
export type { Collector, Labels } from './metrics.js';

export class ApiError extends Error {
  /** The code's one HTTP status (core's table): no route or service chooses it. */
  readonly status: number;

  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.status = httpStatusOf(code);
  }

  /** A service's failure as the error it is answered with: its code, the code's status, its detail. */
  static of(failure: Pick<Failure, 'code' | 'detail'>): ApiError {
    return new ApiError(failure.code, failure.detail);
  }
}

/** A refusal found by a route itself (no login, over a budget), answered with the code's status. */
export function refuse(code: Code, message: string): ApiError {
  return new ApiError(code, message);
}

/** The value of a success; a failure is thrown as its ApiError, which the error handler answers. */
export function valueOf<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw ApiError.of(result);
}

/** The body every error answers with. */
export interface ErrorBody {
  error: { code: Code; message: string; requestId: string };
}

/** A Result as the HTTP answer it becomes: 200 and the value, or the code's status and the error body. */
export function answerOf<T>(result: Result<T>, requestId = ''): { status: number; body: T | ErrorBody } {
  if (result.ok) return { status: 200, body: result.value };
  return { status: httpStatusOf(result.code), body: { error: { code: result.code, message: result.detail, requestId } } };
}

/** The codes Fastify's own refusals (body parsing, content types, limits) are answered with, by their status. */
const FRAMEWORK_CODES: Partial<Record<number, Code>> = {
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

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
      const code = FRAMEWORK_CODES[status] ?? 'BAD_REQUEST';
      return reply.status(httpStatusOf(code)).send({ error: { code, message: error.message, requestId: request.id } });
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
