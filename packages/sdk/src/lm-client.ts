/**
 * The License Manager's HTTP API as the SDK uses it (docs/lm-openapi.yaml). Every call answers a value: the
 * body, a refusal with the LM's code and sentence, or "unreachable" (no answer, a timeout, or an answer that is
 * not the LM's API). Nothing here throws, so the background loop never dies on a network error.
 */

export interface LicenseAnswer {
  lmid: string;
  lmPublicKey: string;
  hostDigest: string;
  status: string;
  code: string;
  detail: string;
  license: string | null;
}

export interface CheckoutAnswer {
  leaseId: string;
  expiresAt: string;
  ttlSeconds: number;
  token: string;
  status: string;
  code: string;
}

export interface HeartbeatAnswer {
  leaseId: string;
  expiresAt: string;
  /** The lease's token signed by the LM: its last one while young (same issuedAt), else a new one (later issuedAt). */
  token: string;
  status: string;
  code: string;
}

export type LmReply<T> =
  | { kind: 'ok'; body: T }
  | { kind: 'refused'; httpStatus: number; code: string; message: string }
  | { kind: 'unreachable'; detail: string };

const isText = (value: unknown): value is string => typeof value === 'string';

export class LmClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  license(): Promise<LmReply<LicenseAnswer>> {
    return this.call(
      'GET',
      '/v1/license',
      undefined,
      (b) =>
        isText(b.lmid) &&
        isText(b.lmPublicKey) &&
        isText(b.hostDigest) &&
        isText(b.status) &&
        isText(b.code) &&
        (b.license === null || isText(b.license)),
    );
  }

  checkout(body: { product: string; role: string; nodeId: string; instance: string; host: string }): Promise<LmReply<CheckoutAnswer>> {
    return this.call(
      'POST',
      '/v1/seats/checkout',
      body,
      (b) =>
        isText(b.leaseId) &&
        isText(b.expiresAt) &&
        typeof b.ttlSeconds === 'number' &&
        isText(b.token) &&
        isText(b.status) &&
        isText(b.code),
    );
  }

  heartbeat(body: { leaseId: string; instance: string }): Promise<LmReply<HeartbeatAnswer>> {
    // An answer without a token is still "an answer": the caller verifies the token and treats a missing one as none.
    return this.call(
      'POST',
      '/v1/seats/heartbeat',
      body,
      (b) => isText(b.leaseId) && isText(b.expiresAt) && isText(b.status) && isText(b.code),
    );
  }

  release(leaseId: string): Promise<LmReply<{ released: true }>> {
    return this.call('POST', '/v1/seats/release', { leaseId }, (b) => b.released === true);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    isAnswer: (b: Record<string, unknown>) => boolean,
  ): Promise<LmReply<T>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { kind: 'unreachable', detail: describeFetchError(error, this.timeoutMs) };
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: answered below as "not the License Manager's API".
    }
    const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
    if (response.ok && fields && isAnswer(fields)) return { kind: 'ok', body: fields as T };
    const error = fields?.error as Record<string, unknown> | undefined;
    // 4xx with a code is the LM saying no; a 5xx is the LM failing, which the SDK rides out like an outage.
    if (response.status >= 400 && response.status < 500 && error && isText(error.code) && isText(error.message)) {
      return { kind: 'refused', httpStatus: response.status, code: error.code, message: error.message };
    }
    return {
      kind: 'unreachable',
      detail: `it answered ${method} ${path} with HTTP ${response.status} and no usable body (is this address a Tessera License Manager?)`,
    };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `the connection failed (${cause})` : 'the connection failed';
}
