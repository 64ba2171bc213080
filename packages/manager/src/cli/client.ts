/**
 * Talks to a running License Manager over HTTP or HTTPS; turns every failure into a CliError with an exit code.
 * node:http(s) rather than fetch, because trusting the LM's own certificate needs TLS options fetch does not take.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import { checkServerIdentity, rootCertificates } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { CliError, EXIT } from './errors.js';
import type { ApiErrorBody } from '@tessera/core';

/** The certificate an LM serves (its tls.cert file): trusted for any address, besides the public authorities. */
export interface LmCertificate {
  /** The PEM blocks of the file (the certificate and any chain after it). */
  readonly pem: string[];
  /** SHA-256 fingerprints of those certificates, as node:tls writes them. */
  readonly fingerprints: ReadonlySet<string>;
}

export interface LmClientOptions {
  addr: string;
  token?: string | null;
  timeoutMs?: number;
  /** With tls in the LM's config: HTTPS by default, and this certificate trusted. */
  certificate?: LmCertificate | null;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

export class LmClient {
  readonly base: string;

  constructor(private readonly options: LmClientOptions) {
    this.base = baseUrl(options.addr, options.certificate ? 'https' : 'http');
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}, admin = false): Promise<T> {
    return this.call<T>('POST', path, body, admin);
  }

  private async call<T>(method: string, path: string, body?: unknown, admin = false): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (admin) {
      if (!this.options.token) {
        throw new CliError(
          'This command needs the admin token: run it on the License Manager host (it reads admin.token from the data path, see --config), or pass --token-file.',
          EXIT.UNAUTHORIZED,
          'UNAUTHORIZED',
        );
      }
      headers.authorization = `Bearer ${this.options.token}`;
    }
    let response: { status: number; text: string };
    try {
      response = await this.send(method, this.base + path, headers, body === undefined ? undefined : JSON.stringify(body));
    } catch (error) {
      throw new CliError(`Cannot reach the License Manager at ${this.options.addr}: ${reason(error)}`, EXIT.UNREACHABLE, 'UNREACHABLE');
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new CliError(
        `The License Manager at ${this.options.addr} gave an answer that is not JSON (HTTP ${response.status}). Is --addr pointing at a License Manager?`,
        EXIT.UNREACHABLE,
        'UNREACHABLE',
      );
    }
    if (response.status < 200 || response.status >= 300) {
      const error = (json as Partial<ApiErrorBody>).error;
      const code = error?.code ?? 'INTERNAL';
      const exit =
        response.status === 401 || response.status === 429
          ? EXIT.UNAUTHORIZED
          : response.status >= 500 && code === 'INTERNAL'
            ? EXIT.INTERNAL
            : EXIT.REFUSED;
      throw new CliError(error?.message ?? `HTTP ${response.status}`, exit, code);
    }
    return json as T;
  }

  private send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const target = new URL(url);
    const certificate = this.options.certificate;
    const options: RequestOptions = { method, headers };
    if (target.protocol === 'https:' && certificate) {
      options.ca = [...rootCertificates, ...certificate.pem];
      // The LM's own certificate is trusted whatever name the address uses (the CLI usually says 127.0.0.1).
      options.checkServerIdentity = (host: string, cert: PeerCertificate) =>
        certificate.fingerprints.has(cert.fingerprint256) ? undefined : checkServerIdentity(host, cert);
    }
    return new Promise((resolve, reject) => {
      const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) request.destroy(new Error('the answer is too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.setTimeout(this.options.timeoutMs ?? 30_000, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      request.on('error', reject);
      request.end(body);
    });
  }
}

/** Reads an LM's certificate file (PEM, the certificate first, any chain after it). */
export function lmCertificate(pemText: string): LmCertificate {
  const pem = pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return { pem, fingerprints: new Set(pem.map((block) => new X509Certificate(block).fingerprint256)) };
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'TIMEOUT') return 'it did not answer in time.';
  if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return `its TLS certificate is not trusted (${code}). The CLI trusts the certificate of tls.cert in the License Manager's configuration (give it with --config) and the public certificate authorities.`;
  }
  if (code === 'ECONNRESET' || code === 'EPROTO') {
    return 'the connection was closed. If it serves HTTPS (tls in its configuration), give --config or an https:// address.';
  }
  return 'nothing answers there. Is it running? (tessera-lm serve, or --addr host:port)';
}

/** host:port, a bare port, or a URL → the base URL; `scheme` when the address names none. */
export function baseUrl(addr: string, scheme: 'http' | 'https' = 'http'): string {
  const trimmed = addr.trim().replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  if (/^\d+$/.test(trimmed)) return `${scheme}://127.0.0.1:${trimmed}`;
  if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(trimmed)) throw new CliError(`--addr "${addr}" is not host:port.`, EXIT.USAGE, 'BAD_REQUEST');
  return `${scheme}://${trimmed.includes(':') ? trimmed : `${trimmed}:9119`}`;
}
