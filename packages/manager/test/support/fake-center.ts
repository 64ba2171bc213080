/**
 * A fake License Center for tests: the real sync protocol (docs/sync-protocol.md) over real HTTP on 127.0.0.1,
 * with licenses held in memory. It checks requests with readSyncRequest, as LC must, signs real licenses and time
 * tokens with its vendor key, and sends its root-signed trust bundle in every 200 answer (`trust`), as LC does.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyReply } from 'fastify';
import {
  deriveLmid,
  fingerprintDigest,
  generateEd25519,
  generateSigningKey,
  issueClockReset,
  issueLicense,
  parseOnlineKey,
  rawPublicKey,
  serializeTrustBundle,
} from '@tessera/core';
import type { Code, KeyObject, LicenseInput, SigningKey, TrustBundleEntry } from '@tessera/core';
import { makeTimeToken, readSyncRequest, SYNC_PATH } from '@tessera/core';
import type { SyncRequest } from '@tessera/core';
import { entriesOf, makeRoot, signedBundle, trustFile } from './world.js';
import type { TestRoot } from './world.js';

export interface FakeCenter {
  url: string;
  /** The key that signs licenses and time tokens now (setSigningKey changes it). */
  vendor: SigningKey;
  root: TestRoot;
  /** A plain v1 bundle of the first vendor key (what releases before roots read). */
  trustBundleJson: string;
  /** The root-signed bundle sent in every 200 answer, and the trust file v2 around it (GET /v1/trust-bundle). */
  bundleText: string;
  trustFile: string;
  /** Publishes a new root-signed bundle with these keys and the next serial (a rotation); returns the serial. */
  rotate(entries: TrustBundleEntry[]): number;
  /** Signs licenses and time tokens with another key from now on (one the bundle lists, after a rotation). */
  setSigningKey(key: SigningKey): void;
  /** Overrides the `trust` member of answers (null: none, as a License Center before roots). */
  setTrustText(text: string | null): void;
  /** Every request that passed readSyncRequest, in order. */
  requests: SyncRequest[];
  /** Registers or replaces what an online key yields, signed with the serial given. An lmid of '' means "not bound yet". */
  addLicense(onlineKey: string, input: LicenseInput): void;
  /** Applies a change (binding included: give an lmid) and raises the serial by 1; returns the new serial. */
  update(onlineKey: string, change: Partial<LicenseInput>): number;
  /** When down, every sync answers 503. */
  setDown(down: boolean): void;
  /** Every 200 answer sent, in order (what a customer between the LM and the center could record). */
  answers: object[];
  /** Serves this recorded answer to every sync from now on (null: answer for real again). */
  setReplay(answer: object | null): void;
  /**
   * A customer's proxy between the LM and the center: each answer is made and recorded (answers) but the LM gets
   * a 503 instead, so the answer's time token stays newer than anything the LM took.
   */
  setWithhold(withhold: boolean): void;
  close(): Promise<void>;
}

interface Entry {
  input: LicenseInput;
  /** The signed license, or null while it is bound to no LMID. */
  text: string | null;
}

const TIME_TOKEN_REUSE_MS = 60_000;
const STATUS_OF: Partial<Record<Code, number>> = { SIGNATURE_INVALID: 401, LMID_MISMATCH: 401 };

/** A fresh License Manager identity, as the LM derives it, for tests. */
export function makeTestLm(fingerprint = `machine:${randomBytes(8).toString('hex')}`) {
  const privateKey: KeyObject = generateEd25519().privateKey;
  const lmPublicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = fingerprintDigest(fingerprint);
  return { privateKey, lmPublicKeyRaw, hostDigest, lmid: deriveLmid(lmPublicKeyRaw, hostDigest) };
}

export async function startFakeCenter(options: { vendor?: SigningKey; root?: TestRoot; now?: () => number } = {}): Promise<FakeCenter> {
  const firstVendor = options.vendor ?? generateSigningKey();
  let vendor = firstVendor;
  const root = options.root ?? makeRoot();
  let bundleSerial = 1;
  let bundleText = signedBundle(root, bundleSerial, entriesOf(vendor));
  let trustText: string | null = bundleText;
  const now = options.now ?? (() => Date.now());
  const licenses = new Map<string, Entry>();
  const requests: SyncRequest[] = [];
  let down = false;
  let replay: object | null = null;
  let withhold = false;
  const answers: object[] = [];
  let timeToken: { text: string; at: number } | null = null;

  const canonical = (onlineKey: string): string => {
    const key = parseOnlineKey(onlineKey);
    if (!key.ok) throw new Error(`fake center: ${key.detail}`);
    return key.value;
  };
  const sign = (input: LicenseInput): Entry => {
    if (input.lmid === '') return { input, text: null };
    const text = issueLicense(input, vendor);
    if (!text.ok) throw new Error(`fake center: ${text.detail}`);
    return { input, text: text.value };
  };
  // One token serves every answer for up to 60 s, so an unchanged answer costs no signature.
  const currentTimeToken = (): string => {
    const at = now();
    if (!timeToken || at - timeToken.at >= TIME_TOKEN_REUSE_MS || at < timeToken.at) {
      timeToken = { text: makeTimeToken(at, vendor), at };
    }
    return timeToken.text;
  };
  const refuse = (reply: FastifyReply, status: number, code: Code, message: string) =>
    reply.code(status).send({ error: { code, message, requestId: reply.request.id } });

  const app = Fastify({ bodyLimit: 64 * 1024, genReqId: () => `req_${randomBytes(8).toString('hex')}` });
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) =>
    (error.statusCode ?? 500) < 500
      ? refuse(reply, 400, 'BAD_REQUEST', `The body must be JSON { "request": "<sync request>" }: ${error.message}`)
      : refuse(reply, 500, 'INTERNAL', 'An unexpected error; it was logged with the request id.'),
  );
  app.post(SYNC_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (down) return refuse(reply, 503, 'INTERNAL', 'The License Center is down for maintenance.');
    const body = request.body as { request?: unknown } | null;
    if (typeof body?.request !== 'string')
      return refuse(reply, 400, 'BAD_REQUEST', 'The body must be JSON { "request": "<sync request>" }.');
    const verdict = readSyncRequest(body.request);
    if (!verdict.ok) return refuse(reply, STATUS_OF[verdict.code] ?? 400, verdict.code, verdict.detail);
    const sync = verdict.value;
    requests.push(sync);
    const entry = licenses.get(sync.onlineKey);
    if (!entry) return refuse(reply, 404, 'NOT_FOUND', 'No license has this online key. Check the key in the License Center.');
    if (entry.text === null) {
      return refuse(
        reply,
        409,
        'SYNC_REFUSED',
        `License ${entry.input.id} is not bound yet: bind LMID ${sync.lmid} in the License Center first.`,
      );
    }
    if (entry.input.lmid !== sync.lmid) {
      return refuse(
        reply,
        409,
        'LMID_MISMATCH',
        `License ${entry.input.id} is bound to another License Manager (${entry.input.lmid}), not ${sync.lmid}: was the License Manager copied to another host?`,
      );
    }
    if (replay !== null) return replay;
    const time = currentTimeToken();
    const { known } = sync;
    const trust = trustText === null ? {} : { trust: trustText };
    // As LC does (services/trust/clock-resets.ts): a mark ahead of this center's time gets a reset naming it.
    const reset =
      sync.clockMark !== null && Date.parse(sync.clockMark) > now()
        ? issueClockReset(
            {
              id: `rst_${randomBytes(6).toString('hex')}`,
              lmid: sync.lmid,
              fromHighWater: sync.clockMark,
              toTime: new Date(now()).toISOString(),
            },
            vendor,
          )
        : null;
    if (reset !== null && !reset.ok) throw new Error(`fake center: ${reset.detail}`);
    const extra = { time, ...trust, ...(reset === null ? {} : { clockReset: reset.value }) };
    const answer =
      known && known.licenseId === entry.input.id && known.serial === entry.input.serial
        ? { changed: false, ...extra }
        : { changed: true, license: entry.text, ...extra };
    answers.push(answer);
    if (withhold) return refuse(reply, 503, 'INTERNAL', 'Bad gateway.');
    return answer;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fake center: no TCP address');

  const center: FakeCenter = {
    url: `http://127.0.0.1:${address.port}`,
    vendor,
    answers,
    setReplay(answer) {
      replay = answer;
    },
    setWithhold(on) {
      withhold = on;
    },
    root,
    trustBundleJson: serializeTrustBundle(entriesOf(firstVendor)),
    get bundleText() {
      return bundleText;
    },
    get trustFile() {
      return trustFile(root, bundleText);
    },
    rotate(entries) {
      bundleSerial++;
      bundleText = signedBundle(root, bundleSerial, entries, new Date(now()).toISOString());
      trustText = bundleText;
      return bundleSerial;
    },
    setSigningKey(key) {
      vendor = key;
      center.vendor = key;
      timeToken = null;
    },
    setTrustText(text) {
      trustText = text;
    },
    requests,
    addLicense(onlineKey, input) {
      licenses.set(canonical(onlineKey), sign(input));
    },
    update(onlineKey, change) {
      const key = canonical(onlineKey);
      const entry = licenses.get(key);
      if (!entry) throw new Error('fake center: update of an online key that was never added');
      const serial = entry.input.serial + 1;
      licenses.set(key, sign({ ...entry.input, ...change, serial }));
      return serial;
    },
    setDown(value) {
      down = value;
    },
    close: () => app.close(),
  };
  return center;
}
