/**
 * The License Manager's HTTP API as the SDK uses it (docs/lm-openapi.yaml). Every call answers a value: the
 * body, a refusal with the LM's code and sentence, or "unreachable" (no answer, a timeout, or an answer that is
 * not the LM's API). Nothing here throws, so the background loop never dies on a network error.
 *
 * Built on node:http and node:https rather than fetch: they take a `ca` for an https LM without a dependency (on
 * Node 20 and 24 alike), follow no redirects, and let the SDK stop reading an answer at MAX_ANSWER_BYTES, so a
 * hostile LM cannot exhaust the product's memory.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type {
  CheckoutRequest,
  CheckoutResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  LicenseResponse,
  ReleaseRequest,
  ReleaseResponse,
} from '@tessera/core';

/** The most the SDK reads of any answer: a real one is a few KiB (license, trust bundle, signed answer). */
export const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * The answers as the SDK reads them: the LM API's one module (core lm-api.ts), loosened where the SDK must take
 * what any LM release sends. Status and code are text (the SDK decides on its own evaluation, so a status it does
 * not know is information, not an error); trust and answer may be missing (an LM older than the signed protocol,
 * answered UNSUPPORTED_VERSION later); a heartbeat's token may be missing (an answer without one renews nothing).
 */
type AnyStatus<T> = Omit<T, 'status' | 'code'> & { status: string; code: string };
export type LicenseAnswer = AnyStatus<Omit<LicenseResponse, 'trust' | 'answer'>> & Partial<Pick<LicenseResponse, 'trust' | 'answer'>>;
export type CheckoutAnswer = AnyStatus<CheckoutResponse>;
export type HeartbeatAnswer = AnyStatus<Omit<HeartbeatResponse, 'token'>> & Partial<Pick<HeartbeatResponse, 'token'>>;

/**
 * How each member of an answer is checked before the SDK uses it: one check per member of the type, so a member
 * added to the LM's API types fails to compile here until the SDK says how it reads it.
 */
type MemberChecks<T> = { readonly [K in keyof T]-?: (value: unknown) => boolean };

const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown) => value === null || typeof value === 'string';
const isTextOrNone = (value: unknown) => value === undefined || isTextOrNull(value);
const isNumber = (value: unknown) => typeof value === 'number';
/** Read and verified by the caller (a lease token that does not verify is silence), so any value passes here. */
const verifiedLater = () => true;

const LICENSE_ANSWER: MemberChecks<LicenseAnswer> = {
  lmid: isText,
  lmPublicKey: isText,
  hostDigest: isText,
  status: isText,
  code: isText,
  detail: isText,
  license: isTextOrNull,
  trust: isTextOrNone,
  answer: isTextOrNone,
};
const CHECKOUT_ANSWER: MemberChecks<CheckoutAnswer> = {
  leaseId: isText,
  expiresAt: isText,
  ttlSeconds: isNumber,
  token: isText,
  status: isText,
  code: isText,
};
const HEARTBEAT_ANSWER: MemberChecks<HeartbeatAnswer> = {
  leaseId: isText,
  expiresAt: isText,
  token: verifiedLater,
  status: isText,
  code: isText,
};
const RELEASE_ANSWER: MemberChecks<ReleaseResponse> = { released: (value) => value === true };

function passes<T>(checks: MemberChecks<T>): (body: Record<string, unknown>) => boolean {
  const members = Object.entries(checks) as [string, (value: unknown) => boolean][];
  return (body) => members.every(([name, check]) => check(body[name]));
}

export type LmReply<T> =
  | { kind: 'ok'; body: T }
  | { kind: 'refused'; httpStatus: number; code: string; message: string }
  | { kind: 'unreachable'; detail: string };

export interface LmClientOptions {
  url: string;
  timeoutMs: number;
  /** Sent as x-tessera-seat-secret with every request. */
  secret: string | null;
  /** PEM text trusted for an https LM instead of the usual authorities. */
  ca: string | null;
}

/** A fresh random nonce for GET /v1/license: 192 bits, 32 base64url characters. */
export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}

type Raw = { status: number; text: string } | { failed: string };

export class LmClient {
  readonly url: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: LmClientOptions) {
    this.url = options.url;
    // Kept-alive sockets are unref'd by Node's agent when idle, so they never keep a product's process alive.
    this.agent = options.url.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
      : new http.Agent({ keepAlive: true });
    this.headers = { accept: 'application/json', ...(options.secret ? { 'x-tessera-seat-secret': options.secret } : {}) };
  }

  /** GET /v1/license with this round's nonce: the LM signs it back with what it holds. */
  license(nonce: string): Promise<LmReply<LicenseAnswer>> {
    return this.call('GET', `/v1/license?nonce=${nonce}`, undefined, passes(LICENSE_ANSWER));
  }

  checkout(body: CheckoutRequest): Promise<LmReply<CheckoutAnswer>> {
    return this.call('POST', '/v1/seats/checkout', body, passes(CHECKOUT_ANSWER));
  }

  heartbeat(body: HeartbeatRequest): Promise<LmReply<HeartbeatAnswer>> {
    // An answer without a token is still "an answer": the caller verifies the token and treats a missing one as none.
    return this.call('POST', '/v1/seats/heartbeat', body, passes(HEARTBEAT_ANSWER));
  }

  /** Gives a seat back; the LM frees it only for the connection (instance) that holds it. */
  release(body: ReleaseRequest): Promise<LmReply<ReleaseResponse>> {
    return this.call('POST', '/v1/seats/release', body, passes(RELEASE_ANSWER));
  }

  /** Closes kept-alive sockets; later calls open new ones. */
  close(): void {
    this.agent.destroy();
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    isAnswer: (b: Record<string, unknown>) => boolean,
  ): Promise<LmReply<T>> {
    const what = `${method} ${path.replace(/\?.*/, '')}`;
    const raw = await this.send(method, path, body === undefined ? null : JSON.stringify(body));
    if ('failed' in raw) return { kind: 'unreachable', detail: raw.failed };
    let json: unknown = null;
    try {
      json = JSON.parse(raw.text);
    } catch {
      // Not JSON: answered below as "not the License Manager's API".
    }
    const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
    if (raw.status >= 200 && raw.status < 300 && fields && isAnswer(fields)) return { kind: 'ok', body: fields as T };
    const error = fields?.error as Record<string, unknown> | undefined;
    // 4xx with a code is the LM saying no; a 5xx is the LM failing, which the SDK rides out like an outage.
    if (raw.status >= 400 && raw.status < 500 && error && isText(error.code) && isText(error.message)) {
      return { kind: 'refused', httpStatus: raw.status, code: error.code, message: error.message };
    }
    return {
      kind: 'unreachable',
      detail: `it answered ${what} with HTTP ${raw.status} and no usable body (is this address a Tessera License Manager?)`,
    };
  }

  /** One request; the answer's text, or why there is none. Reads at most MAX_ANSWER_BYTES. */
  private send(method: string, path: string, body: string | null): Promise<Raw> {
    const { timeoutMs } = this.options;
    const what = `${method} ${path.replace(/\?.*/, '')}`;
    const tooLarge = `its answer to ${what} was larger than ${MAX_ANSWER_BYTES / 1024} KiB, which no License Manager sends`;
    return new Promise<Raw>((resolve) => {
      const transport = this.url.startsWith('https:') ? https : http;
      const headers = body === null ? this.headers : { ...this.headers, 'content-type': 'application/json' };
      const request = transport.request(this.url + path, { method, headers, agent: this.agent });
      let settled = false;
      const finish = (outcome: Raw) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      // Real time, not the injected timers: this bounds a network wait, not the SDK's schedule.
      const timer = setTimeout(() => {
        finish({ failed: `no answer within ${timeoutMs} ms` });
        request.destroy();
      }, timeoutMs);
      timer.unref();
      request.on('error', (error: NodeJS.ErrnoException) => finish({ failed: describeRequestError(error) }));
      request.on('response', (response) => {
        const declared = Number(response.headers['content-length']);
        if (declared > MAX_ANSWER_BYTES) {
          finish({ failed: tooLarge });
          request.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            finish({ failed: tooLarge });
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => finish({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error: NodeJS.ErrnoException) => finish({ failed: describeRequestError(error) }));
      });
      request.end(body ?? undefined);
    });
  }
}

function describeRequestError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `its TLS certificate is not for this address (${error.message})`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return `its TLS certificate is not trusted (${code}): give the certificate authority that signed it as the "ca" option`;
  }
  return code ? `the connection failed (${code})` : `the connection failed (${error.message})`;
}
