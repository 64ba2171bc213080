/** Talks to a running License Manager over HTTP; turns every failure into a CliError with an exit code. */
import { CliError, EXIT } from './errors.js';
import type { ApiErrorBody } from '../http/api-types.js';

export interface LmClientOptions {
  addr: string;
  token?: string | null;
  timeoutMs?: number;
}

export class LmClient {
  readonly base: string;

  constructor(private readonly options: LmClientOptions) {
    this.base = baseUrl(options.addr);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}, admin = false): Promise<T> {
    return this.call<T>('POST', path, body, admin);
  }

  private async call<T>(method: string, path: string, body?: unknown, admin = false): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (admin) {
      if (!this.options.token) {
        throw new CliError(
          'This command needs the admin token: run it on the License Manager host (it reads admin.token from the data path, see --config), or pass --token.',
          EXIT.UNAUTHORIZED,
          'UNAUTHORIZED',
        );
      }
      headers.authorization = `Bearer ${this.options.token}`;
    }
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? 'it did not answer in time' : 'nothing answers there';
      throw new CliError(
        `Cannot reach the License Manager at ${this.options.addr}: ${reason}. Is it running? (tessera-lm serve, or --addr host:port)`,
        EXIT.UNREACHABLE,
        'UNREACHABLE',
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(
        `The License Manager at ${this.options.addr} gave an answer that is not JSON (HTTP ${response.status}). Is --addr pointing at a License Manager?`,
        EXIT.UNREACHABLE,
        'UNREACHABLE',
      );
    }
    if (!response.ok) {
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
}

/** host:port, a bare port, or a URL → the base URL. */
export function baseUrl(addr: string): string {
  const trimmed = addr.trim().replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  if (/^\d+$/.test(trimmed)) return `http://127.0.0.1:${trimmed}`;
  if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(trimmed)) throw new CliError(`--addr "${addr}" is not host:port.`, EXIT.USAGE, 'BAD_REQUEST');
  return `http://${trimmed.includes(':') ? trimmed : `${trimmed}:9119`}`;
}
