/**
 * Red team, end to end, with the programs a vendor and its customer run: a License Center (`tessera-center serve`),
 * a License Manager (`tessera-lm serve`, configured by the customer's YAML and trust file) and graphdb built for the
 * License Center's root. The customer owns the License Manager's host: its files, its configuration, its clock.
 *
 * Before trust roots, a customer who made an Ed25519 key with core's own functions and added it to the trust file
 * (or wrote a whole trust file of their own) could sign a license with any nodes, features and expiry for their
 * LMID, and both the License Manager and the products accepted it. Here the License Manager still loads such a
 * license (it reads the customer's file), but graphdb refuses to start on it: the bundle is not signed by the root
 * graphdb was built with. The genuine license, issued by the vendor from the customer's request code, still works.
 * The attack list and the other tests are in docs/threat-model.md.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatTrustRoot,
  frameDocument,
  generateEd25519,
  generateSigningKey,
  issueLicense,
  rawPublicKey,
  readTrustFile,
  rootKidForPublicKey,
  serializeTrustBundle,
  serializeTrustFile,
  signTrustBundle,
} from '@tessera/core';
import type { SigningKey } from '@tessera/core';
import {
  buildGraphdb,
  createAdmin,
  killAll,
  lmCli,
  startCenter,
  startGraphNode,
  startManager,
  vendorRoots,
  writeLmConfig,
} from '../demo/parts.js';
import type { LicenseCenter, LicenseManager } from '../demo/parts.js';

const DAY = 86_400_000;

describe('a customer forging a license with files on their own machine', { timeout: 60_000 }, () => {
  let work: string;
  let center: LicenseCenter;
  let staffToken: string;
  let graphdb: string;
  let vendorTrust: string;
  /** The vendor's signing keys as the trust file lists them, for the forged v1 file that adds one of the customer's. */
  let vendorKeys: { kid: string; state: 'active' | 'retired' | 'revoked'; publicKeyRaw: Uint8Array }[];
  // What the customer makes with core's own functions: a signing key, and a root of their own.
  const forgedKey: SigningKey = generateSigningKey();
  const forgedRoot = (() => {
    const { privateKey } = generateEd25519();
    const publicKeyRaw = rawPublicKey(privateKey);
    return { text: formatTrustRoot(publicKeyRaw), signer: { kid: rootKidForPublicKey(publicKeyRaw), privateKey } };
  })();

  const staff = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${center.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${staffToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  /** A License Manager of the customer's, in a folder of its own, with `trust` as its trust file. */
  const managerWith = async (name: string, trust: string): Promise<LicenseManager> => {
    const dir = join(work, name);
    mkdirSync(dir);
    return startManager(writeLmConfig(dir, trust, center.url));
  };
  /** A license for `lm` that nobody sold: 99 storage nodes for ten years, every feature, signed by the customer's key. */
  const forgedLicense = (lm: LicenseManager) => {
    const now = Date.now();
    const signed = issueLicense(
      {
        id: 'lic_forged',
        serial: 1,
        product: 'graphdb',
        customer: { id: 'cus_forged', name: 'Acme' },
        nodes: { query: 99, storage: 99 },
        limits: {},
        features: ['federation'],
        issuedAt: new Date(now - DAY).toISOString(),
        startsAt: new Date(now - DAY).toISOString(),
        expiresAt: new Date(now + 3650 * DAY).toISOString(),
        mode: 'offline',
        lmid: lm.lmid,
      },
      forgedKey,
    );
    if (!signed.ok) throw new Error(signed.detail);
    return signed.value;
  };
  const forgedEntry = { kid: forgedKey.kid, state: 'active' as const, publicKeyRaw: forgedKey.publicKeyRaw };
  /** Loads `key` into `lm` and reads what the License Manager itself then says of it. */
  const load = (lm: LicenseManager, key: string) => {
    const loaded = lmCli(lm, ['load', '--key', '-'], key);
    expect(loaded.status, loaded.stderr).toBe(0);
    return JSON.parse(lmCli(lm, ['--json', 'info']).stdout) as { status: string; nodes: Record<string, { total: number }> };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-red-team-'));
    const lcData = join(work, 'lc');
    staffToken = createAdmin(lcData, 'admin@vendor.example').apiToken;
    center = await startCenter(lcData);
    graphdb = await buildGraphdb(vendorRoots(lcData), join(work, 'graphdb'));
    vendorTrust = await (await fetch(`${center.url}/v1/trust-bundle`)).text();
    const file = readTrustFile(vendorTrust);
    if (!file.ok) throw new Error(file.detail);
    vendorKeys = [...file.value.bundle.keys.values()].map(({ kid, state, publicKeyRaw }) => ({ kid, state, publicKeyRaw }));
  });
  afterAll(async () => {
    killAll();
    await center?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the genuine path: a license issued from the customer’s request code starts a storage node', async () => {
    const lm = await managerWith('genuine', vendorTrust);
    const product = await staff('POST', '/v1/staff/products', { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'] });
    const customer = await staff('POST', '/v1/staff/customers', { name: 'Acme' });
    expect([product.status, customer.status]).toEqual([201, 201]);
    const code = lmCli(lm, [
      'request-code',
      '--name',
      'Ops',
      '--email',
      'ops@acme.example',
      '--nodes',
      'storage=1',
      '--product',
      'graphdb',
    ]);
    expect(code.status, code.stderr).toBe(0);
    const issued = await staff('POST', '/v1/staff/request-codes/issue', {
      requestCode: code.stdout.trim().split('\n').at(-1),
      customerId: customer.body.id,
      productId: product.body.id,
      grant: { nodes: { storage: 1 }, limits: {}, features: [], months: 12 },
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(load(lm, issued.body.offlineKey).status).toBe('Normal');
    const node = await startGraphNode(graphdb, 'storage', 'storage-1', lm.addr);
    expect(node.ok, node.line).toBe(true);
    if (node.ok) expect(await node.node.stop()).toBe(0);
    await lm.stop();
  });

  it('a trust file of their own, with a root they made: the License Manager takes it, graphdb refuses UNTRUSTED_ROOT', async () => {
    const bundle = signTrustBundle(
      { serial: 1000, issuedAt: new Date().toISOString(), keys: [...vendorKeys, forgedEntry] },
      forgedRoot.signer,
    );
    const lm = await managerWith('own-root', serializeTrustFile([forgedRoot.text], bundle));
    const info = load(lm, forgedLicense(lm));
    expect(info.status).toBe('Normal');
    expect(info.nodes.storage?.total).toBe(99);
    const node = await startGraphNode(graphdb, 'storage', 'storage-1', lm.addr);
    expect(node).toMatchObject({ ok: false, exitCode: 3, line: expect.stringMatching(/UNTRUSTED_ROOT/) });
    await lm.stop();
  });

  it('their key added to a plain (v1) trust file: the License Manager takes it, graphdb refuses UNTRUSTED_ROOT', async () => {
    const lm = await managerWith('added-key', serializeTrustBundle([...vendorKeys, forgedEntry]));
    expect(load(lm, forgedLicense(lm)).status).toBe('Normal');
    const node = await startGraphNode(graphdb, 'storage', 'storage-1', lm.addr);
    expect(node).toMatchObject({ ok: false, exitCode: 3, line: expect.stringMatching(/UNTRUSTED_ROOT/) });
    await lm.stop();
  });

  it('the vendor’s own trust file with their key spliced into the signed bundle: refused already by the License Manager', async () => {
    const file = JSON.parse(vendorTrust) as { bundle: string };
    const [, payload, signature] = file.bundle.split('.') as [string, string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { keys: unknown[] };
    body.keys.push({
      kid: forgedKey.kid,
      alg: 'Ed25519',
      state: 'active',
      publicKey: Buffer.from(forgedKey.publicKeyRaw).toString('base64url'),
    });
    const spliced = frameDocument('trust', Buffer.from(JSON.stringify(body)).toString('base64url'), signature);
    const dir = join(work, 'spliced');
    mkdirSync(dir);
    const config = writeLmConfig(dir, JSON.stringify({ ...file, bundle: spliced }), center.url);
    await expect(startManager(config)).rejects.toThrow(/signature does not match/);
  });
});
