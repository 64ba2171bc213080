/**
 * The License Center's HTTP API as the demo's two people use it: the vendor's staff with an API token, and the
 * customer's admin with a browser-like session (cookie + CSRF token). A refusal throws with the API's code and
 * sentence, so a broken step says what went wrong.
 */
export class ApiCaller {
  private cookie: string | null = null;
  private csrf: string | null = null;

  constructor(
    private readonly base: string,
    private readonly bearer: string | null = null,
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const write = method !== 'GET';
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
        ...(this.cookie ? { cookie: `tessera_session=${this.cookie}` } : {}),
        ...(write && this.csrf ? { 'x-csrf-token': this.csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const header of response.headers.getSetCookie()) {
      const session = /^tessera_session=([^;]*)/.exec(header)?.[1];
      if (session !== undefined) this.cookie = session || null;
    }
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { csrfToken?: string; error?: { code: string; message: string } };
    if (!response.ok) {
      const error = parsed.error;
      throw new Error(`${method} ${path} was refused (${response.status} ${error?.code ?? ''}): ${error?.message ?? text}`);
    }
    if (parsed.csrfToken) this.csrf = parsed.csrfToken;
    return parsed;
  }

  get<T = Record<string, unknown>>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('PUT', path, body);
  }
}

/** GETs JSON from one of our services with no credentials (the LM's info, a node's status). */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
