/**
 * The enforcer's calls to its controller: register with the seat's lease id, heartbeat and leave with the
 * session the controller handed out. Failures come back as values: an answer with its code, or unreachable.
 */

export type ControllerAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; reachable: true; status: number; code: string; message: string }
  | { ok: false; reachable: false; message: string };

export interface Registration {
  session: string;
  heartbeatMs: number;
}

export class ControllerClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  register(nodeId: string, leaseId: string): Promise<ControllerAnswer<Registration>> {
    return this.call<Registration>('POST', '/api/enforcers', null, { nodeId, leaseId });
  }

  heartbeat(nodeId: string, session: string): Promise<ControllerAnswer<unknown>> {
    return this.call('POST', `/api/enforcers/${encodeURIComponent(nodeId)}/heartbeat`, session);
  }

  leave(nodeId: string, session: string): Promise<ControllerAnswer<unknown>> {
    return this.call('DELETE', `/api/enforcers/${encodeURIComponent(nodeId)}`, session);
  }

  private async call<T>(method: string, path: string, session: string | null, body?: unknown): Promise<ControllerAnswer<T>> {
    const headers: Record<string, string> = {};
    if (session) headers.authorization = `Bearer ${session}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let parsed: unknown;
    try {
      response = await fetch(this.url + path, {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      parsed = await response.json();
    } catch (error) {
      return { ok: false, reachable: false, message: (error as Error).message };
    }
    if (response.ok) return { ok: true, value: parsed as T };
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return {
      ok: false,
      reachable: true,
      status: response.status,
      code: typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
      message: typeof error?.message === 'string' ? error.message : `The controller answered HTTP ${response.status}.`,
    };
  }
}
