/**
 * The enforcer's calls to its controller: register with the seat's signed lease token, heartbeat with the
 * session the controller handed out and the newest token, and leave. Failures come back as values: an answer with its code, or unreachable.
 * A success answer is checked for the fields the enforcer reads, so a controller (or anything posing as one)
 * answering 2xx with a body of another shape is a refusal, never a crash of the enforcer.
 */

export type ControllerAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; reachable: true; status: number; code: string; message: string }
  | { ok: false; reachable: false; message: string };

export interface Registration {
  session: string;
  heartbeatMs: number;
}

/** The code of a 2xx answer the enforcer cannot use (not JSON, or not the shape it should have). */
export const BAD_ANSWER = 'BAD_ANSWER';

/** What a 2xx body must hold: the value the caller reads, or null when the body is not of that shape. */
type Reader<T> = (body: unknown) => T | null;

const anything: Reader<unknown> = (body) => body;

function readRegistration(body: unknown): Registration | null {
  if (typeof body !== 'object' || body === null) return null;
  const { session, heartbeatMs } = body as Record<string, unknown>;
  if (typeof session !== 'string' || !/^\S{1,512}$/.test(session)) return null;
  if (typeof heartbeatMs !== 'number' || !Number.isFinite(heartbeatMs)) return null;
  return { session, heartbeatMs };
}

export class ControllerClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** `token` is the seat's lease token (LicenseState.seat.token): the controller checks it at the LM. */
  register(nodeId: string, token: string, host: string | null): Promise<ControllerAnswer<Registration>> {
    return this.call('POST', '/api/enforcers', null, readRegistration, { nodeId, token, ...(host === null ? {} : { host }) });
  }

  /** Sends the newest seat token, so the controller keeps counting this enforcer only while its seat runs. */
  heartbeat(nodeId: string, session: string, token: string): Promise<ControllerAnswer<unknown>> {
    return this.call('POST', `/api/enforcers/${encodeURIComponent(nodeId)}/heartbeat`, session, anything, { token });
  }

  leave(nodeId: string, session: string): Promise<ControllerAnswer<unknown>> {
    return this.call('DELETE', `/api/enforcers/${encodeURIComponent(nodeId)}`, session, anything);
  }

  private async call<T>(
    method: string,
    path: string,
    session: string | null,
    read: Reader<T>,
    body?: unknown,
  ): Promise<ControllerAnswer<T>> {
    const headers: Record<string, string> = {};
    if (session) headers.authorization = `Bearer ${session}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url + path, {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      text = await response.text();
    } catch (error) {
      return { ok: false, reachable: false, message: (error as Error).message };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      const value = parsed === undefined ? null : read(parsed);
      if (value !== null) return { ok: true, value };
      return {
        ok: false,
        reachable: true,
        status: response.status,
        code: BAD_ANSWER,
        message: `The controller answered HTTP ${response.status} with a body the enforcer cannot use; check that --controller names a guard controller.`,
      };
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
    return {
      ok: false,
      reachable: true,
      status: response.status,
      code: typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
      message: typeof error?.message === 'string' ? error.message : `The controller answered HTTP ${response.status}.`,
    };
  }
}
