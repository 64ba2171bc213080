/**
 * A vendor-signed clock reset, for an offline License Manager whose clock high-water mark was carried forward by a
 * clock set ahead by mistake (every license then looks expired, and setting the clock right looks like tampering).
 * Staff issue it from the LM's request code, which carries the LM's current high-water mark; the reset names that
 * exact mark and the vendor's time, so it applies once, to that LM, and cannot be replayed after the mark moved.
 * Online LMs need none: the License Center's signed time corrects the mark at the next sync.
 */
import { sealEnvelope } from './envelope.js';
import type { Signer } from './envelope.js';
import { openVendorDocument } from './keyring.js';
import type { TrustBundle } from './keyring.js';
import { parseLmid } from './lmid.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';
import { parseIsoTime } from './time.js';

const RESET_ID = /^rst_[A-Za-z0-9_-]{1,64}$/;

export interface ClockResetDocument {
  readonly id: string;
  readonly lmid: string;
  /** The high-water mark the LM had when it made the request code: the reset applies only while it still has it. */
  readonly fromHighWater: string;
  /** The vendor's time when the reset was issued: the LM's new high-water mark. */
  readonly toTime: string;
}

export interface ClockReset extends ClockResetDocument {
  readonly kid: string;
  readonly fromHighWaterMs: number;
  readonly toTimeMs: number;
}

export function issueClockReset(input: ClockResetDocument, signer: Signer): Result<string> {
  const checked = readFields(input as unknown as Record<string, unknown>);
  if (!checked.ok) return checked;
  const { id, lmid, fromHighWater, toTime } = checked.value;
  return ok(sealEnvelope('reset', signer, { id, lmid, fromHighWater, toTime }));
}

/** Reads a clock reset: vendor key from the trust bundle, signature, fields. Whether it applies is the LM's to check. */
export function readClockReset(input: unknown, trust: TrustBundle): Result<ClockReset> {
  const envelope = openVendorDocument(input, 'reset', trust);
  if (!envelope.ok) return envelope;
  const fields = readFields(envelope.value.payload);
  return fields.ok ? ok({ ...fields.value, kid: envelope.value.kid }) : fields;
}

function readFields(p: Record<string, unknown>): Result<Omit<ClockReset, 'kid'>> {
  const lmid = parseLmid(p.lmid);
  const fromHighWaterMs = parseIsoTime(p.fromHighWater);
  const toTimeMs = parseIsoTime(p.toTime);
  if (
    typeof p.id !== 'string' ||
    !RESET_ID.test(p.id) ||
    !lmid.ok ||
    lmid.value !== p.lmid ||
    fromHighWaterMs === null ||
    toTimeMs === null
  ) {
    return fail('MALFORMED', 'The clock reset is not valid: it needs an id (rst_…), an LMID, fromHighWater and toTime (ISO 8601 UTC).');
  }
  return ok({
    id: p.id,
    lmid: lmid.value,
    fromHighWater: p.fromHighWater as string,
    toTime: p.toTime as string,
    fromHighWaterMs,
    toTimeMs,
  });
}
