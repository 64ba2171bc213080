/**
 * The LM's side of the sync protocol (docs/sync-protocol.md): one POST to LC, and a verdict on its answer as data.
 * Nothing here throws, logs or stores; the caller decides what an outcome means for the license in force.
 */
import { fail, maskOnlineKey, openVendorDocument, parseIsoTime, readClockReset, readLicense } from '@tessera/core';
import type { ClockReset, Code, KeyObject, License, Result, SignedTrustBundle, TrustBundle } from '@tessera/core';
import { buildSyncRequest, SYNC_PATH, TIME_MSG } from '@tessera/core';
import type { SyncRequestInput } from '@tessera/core';

/**
 * What came with a 200 answer besides the license: a newer root-signed trust bundle, or why its `trust` was not
 * used; a verified clock reset (asked for with the request's clockMark), or why its `clockReset` was not used.
 */
interface TrustNews {
  trust?: SignedTrustBundle;
  trustProblem?: string;
  clockReset?: ClockReset;
  clockResetRefused?: { code: Code; detail: string };
}

export type SyncOutcome =
  | ({ ok: true; changed: true; license: License; lcTime: number } & TrustNews)
  | ({ ok: true; changed: false; lcTime: number } & TrustNews)
  | { ok: false; code: Code; detail: string };

/** The trust the client verifies answers with; the caller adopts a newer bundle, the client only checks it. */
export interface SyncTrust {
  /** What time tokens and licenses are verified with now. */
  readonly bundle: TrustBundle;
  /** The serial of the root-signed bundle held, 0 when none. */
  readonly heldSerial: number;
  /** Checks a root-signed bundle with the roots; null when no root is known (a v1 trust file and no trustRoot). */
  check(text: unknown): Result<SignedTrustBundle> | null;
}

export interface CenterClientOptions {
  /** LC's base URL, e.g. https://license.example.com; the endpoint is <url>/v1/lm/sync. */
  url: string;
  /** For the whole exchange: connecting, sending, and reading the answer. */
  timeoutMs: number;
  trust: SyncTrust;
}

type Failure = Extract<SyncOutcome, { ok: false }>;

/** Far above any real answer (a license is at most 64 KiB); stops a misbehaving server from filling memory. */
const MAX_ANSWER_BYTES = 256 * 1024;
const MAX_MESSAGE_CHARS = 300;
/** LC error codes the LM reports as they are; every other 4xx is SYNC_REFUSED. */
const PASSED_THROUGH: ReadonlyArray<readonly [number, Code]> = [
  [404, 'NOT_FOUND'],
  [409, 'LMID_MISMATCH'],
  [429, 'RATE_LIMITED'],
];

export class CenterClient {
  private readonly endpoint: string;

  constructor(private readonly options: CenterClientOptions) {
    this.endpoint = options.url.replace(/\/+$/, '') + SYNC_PATH;
  }

  /** Syncs once. Never throws; the online key never appears in a detail. */
  async sync(input: SyncRequestInput, lmPrivateKey: KeyObject): Promise<SyncOutcome> {
    let request: string;
    try {
      request = buildSyncRequest(input, lmPrivateKey);
    } catch (error) {
      return fail('BAD_REQUEST', scrub(errorMessage(error), input.onlineKey));
    }
    let status: number;
    let location: string | null;
    let text: string | null;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ request }),
        // The request carries the online key: it goes to the configured address and nowhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      location = response.headers.get('location');
      text = await readAtMost(response, MAX_ANSWER_BYTES);
    } catch (error) {
      return this.unreachable(describeNetworkError(error, this.options.timeoutMs));
    }
    if (text === null) return this.unreachable(`its answer was larger than ${MAX_ANSWER_BYTES} bytes.`);
    const answer = parseJson(text);
    if (status === 200) return this.readAnswer(answer, input);
    if (status >= 300 && status < 400) {
      return this.unreachable(`it redirected to ${location ?? 'another address'}; set the center URL to the final address.`);
    }
    const error = readError(answer, input.onlineKey);
    if (status >= 400 && status < 500) {
      const code = PASSED_THROUGH.find(([s, c]) => s === status && c === error?.code)?.[1] ?? 'SYNC_REFUSED';
      return fail(code, `The License Center refused the sync: ${error?.text ?? `HTTP ${status} without an explanation.`}`);
    }
    return this.unreachable(`it answered HTTP ${status}${error ? `: ${error.text}` : '.'}`);
  }

  private readAnswer(answer: unknown, input: SyncRequestInput): SyncOutcome {
    if (!isPlainObject(answer)) return this.unusable('it is not a JSON object.');
    // The bundle first: a license signed by a key the vendor added in it verifies in this very answer.
    const news = this.readTrust(answer.trust);
    const trust = news.trust ?? this.options.trust.bundle;
    const time = openVendorDocument(answer.time, 'sync', trust);
    if (!time.ok) return this.unusable(`its time token cannot be trusted: ${time.detail}`);
    const lcTime = parseIsoTime(time.value.payload.lcTime);
    if (time.value.payload.msg !== TIME_MSG || lcTime === null) return this.unusable('its time token holds no valid lcTime.');
    if (answer.clockReset !== undefined) {
      const reset = readClockReset(answer.clockReset, trust);
      if (reset.ok) news.clockReset = reset.value;
      else
        news.clockResetRefused = {
          code: reset.code,
          detail: `The clock reset in the License Center's answer was not used: ${reset.detail}`,
        };
    }
    if (answer.changed === false) {
      if (input.known === null) return this.unusable('it says "unchanged" though this License Manager holds no license yet.');
      return { ok: true, changed: false, lcTime, ...news };
    }
    if (answer.changed !== true) return this.unusable('"changed" must be true or false.');
    const license = readLicense(answer.license, trust);
    if (!license.ok) return this.unusable(`the license in it cannot be trusted: ${license.detail}`);
    if (license.value.lmid !== input.lmid) {
      return fail(
        'LMID_MISMATCH',
        `The License Center sent license ${license.value.id} bound to LMID ${license.value.lmid}, not to this License Manager (${input.lmid}); it was not applied.`,
      );
    }
    const known = input.known;
    if (known && license.value.id === known.licenseId && license.value.serial <= known.serial) {
      return fail(
        'SUPERSEDED',
        `The License Center sent serial ${license.value.serial} of license ${known.licenseId}, but this License Manager holds serial ${known.serial}; the older copy was not applied.`,
      );
    }
    return { ok: true, changed: true, license: license.value, lcTime, ...news };
  }

  /**
   * The answer's `trust` (the License Center's root-signed bundle): returned when newer than the one held. One
   * that does not verify is reported, not fatal: the answer's license and time still verify with the bundle held
   * (a License Center that moved to a root this License Manager is not pinned to must not stop its syncs).
   */
  private readTrust(text: unknown): TrustNews {
    if (text === undefined || text === null) return {};
    const checked = this.options.trust.check(text);
    if (checked === null) return {};
    if (!checked.ok) return { trustProblem: `The trust bundle in the License Center's answer was not used: ${checked.detail}` };
    return checked.value.serial > this.options.trust.heldSerial ? { trust: checked.value } : {};
  }

  private unreachable(reason: string): Failure {
    return fail('CENTER_UNREACHABLE', `Could not sync with the License Center at ${this.endpoint}: ${reason}`);
  }

  private unusable(reason: string): Failure {
    return fail('CENTER_UNREACHABLE', `The answer of the License Center at ${this.endpoint} was not used: ${reason}`);
  }
}

/** The body as text, or null when it exceeds `limit` bytes. */
async function readAtMost(response: Response, limit: number): Promise<string | null> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** LC's `{ error: { code, message, requestId } }` as one sentence, or null when the body is not one. */
function readError(answer: unknown, onlineKey: unknown): { code: string; text: string } | null {
  if (!isPlainObject(answer) || !isPlainObject(answer.error)) return null;
  const { code, message, requestId } = answer.error;
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  // LC's words are shown to people and stored: keep them short, printable, and free of the online key.
  const clean = (s: string) => scrub(s.replace(/[\u0000-\u001f\u007f]/g, ' '), onlineKey).slice(0, MAX_MESSAGE_CHARS); // eslint-disable-line no-control-regex
  const reference = typeof requestId === 'string' ? `, request id ${clean(requestId)}` : '';
  return { code, text: `${clean(message)} (${clean(code)}${reference})` };
}

/** Hides the online key in any spelling (hyphens or not, any case) behind its masked form. */
function scrub(text: string, onlineKey: unknown): string {
  if (typeof onlineKey !== 'string') return text;
  const symbols = onlineKey.replace(/[^0-9A-Za-z]/g, '');
  if (symbols.length < 10) return text;
  const anySpelling = new RegExp(symbols.split('').join('[-\\s]*'), 'gi');
  return text.replace(anySpelling, maskOnlineKey(onlineKey.toUpperCase()));
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `it did not answer within ${timeoutMs} ms.`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return `${cause.code} (${String(cause.message)}).`;
  return `${errorMessage(error)}.`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
