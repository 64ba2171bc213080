/**
 * The world of a conformance scenario: a vendor (root and signing key, the trust file every LM reads), real
 * License Managers by name, and doors by name in front of them. Each world step of sdks/conformance/scenarios.json
 * is one method here (see README.md there); runners of every language reach them through the control API
 * (server.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatTrustRoot,
  generateEd25519,
  generateSigningKey,
  issueLicense,
  rawPublicKey,
  rootKidForPublicKey,
  serializeTrustFile,
  signTrustBundle,
} from '@tessera/core';
import type { SigningKey } from '@tessera/core';
import { DOOR_MODES, openDoor } from './door.js';
import type { Door, DoorMode } from './door.js';
import { adminCall, newLmDir, removeLmDir, serveLm, stopLm, usage } from './lms.js';
import { newHaSecret, SharedDatabases } from './replicas.js';
import type { LmProcess } from './lms.js';

const DAY = 86_400_000;
export const PRODUCT = 'graphdb';

/** What a scenario may change of the license it loads; the rest is the default below. */
export interface LicenseSpec {
  id?: string;
  serial?: number;
  nodes?: Record<string, number>;
  limits?: Record<string, number>;
  features?: string[];
  outageGraceHours?: number;
  /** Days from now (negative: in the past). */
  startsInDays?: number;
  expiresInDays?: number;
  warnDays?: number;
  graceDays?: number;
}

export class WorldError extends Error {}

export class World {
  readonly root: string;
  private readonly vendor: SigningKey;
  private readonly dir: string;
  private readonly trustPath: string;
  private readonly lms = new Map<string, LmProcess>();
  private readonly doors = new Map<string, Door>();
  private readonly databases: SharedDatabases;

  /** @param postgresUrl the admin URL of a PostgreSQL cluster for replicas; null: one is started when needed. */
  constructor(postgresUrl: string | null = null) {
    this.databases = new SharedDatabases(postgresUrl);
    this.dir = mkdtempSync(join(tmpdir(), 'tessera-conformance-'));
    const { privateKey } = generateEd25519();
    const rootRaw = rawPublicKey(privateKey);
    this.root = formatTrustRoot(rootRaw);
    this.vendor = generateSigningKey();
    const bundle = signTrustBundle(
      {
        serial: 1,
        issuedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        keys: [{ kid: this.vendor.kid, state: 'active', publicKeyRaw: this.vendor.publicKeyRaw }],
      },
      { kid: rootKidForPublicKey(rootRaw), privateKey },
    );
    this.trustPath = join(this.dir, 'trust.json');
    writeFileSync(this.trustPath, serializeTrustFile([this.root], bundle));
  }

  /** Every address by name: LMs and doors. */
  addresses(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, lm] of this.lms) out[name] = lm.url;
    for (const [name, door] of this.doors) out[name] = door.url;
    return out;
  }

  async step(step: Record<string, unknown>): Promise<unknown> {
    switch (step.world) {
      case 'startLm':
        return this.startLm(text(step, 'name'), step);
      case 'startReplicas':
        return this.startReplicas(step);
      case 'loadLicense':
        return this.loadLicense(this.lm(text(step, 'lm')), (step.license ?? {}) as LicenseSpec);
      case 'stopLm':
        await stopLm(this.lm(text(step, 'name')), 'SIGTERM');
        return {};
      case 'killLm':
        await stopLm(this.lm(text(step, 'name')), 'SIGKILL');
        return {};
      case 'restartLm': {
        const lm = this.lm(text(step, 'name'));
        await stopLm(lm, 'SIGTERM');
        this.lms.set(lm.name, await serveLm(lm, this.trustPath));
        return { lmid: lm.lmid };
      }
      case 'usage':
        return usage(this.lm(text(step, 'lm')));
      case 'openDoor': {
        const name = text(step, 'name');
        if (this.doors.has(name) || this.lms.has(name)) throw new WorldError(`"${name}" is already an address of this world.`);
        this.doors.set(name, await openDoor(this.lm(text(step, 'to')).url));
        return {};
      }
      case 'door':
        return this.setDoor(text(step, 'name'), step);
      default:
        throw new WorldError(`There is no world step ${JSON.stringify(step.world)}.`);
    }
  }

  /** Stops every LM and closes every door: what is left of a scenario, so the next starts from nothing. */
  async reset(): Promise<void> {
    await Promise.all([...this.lms.values()].map((lm) => stopLm(lm, 'SIGKILL')));
    for (const lm of this.lms.values()) removeLmDir(lm.dir);
    this.lms.clear();
    await Promise.all([...this.doors.values()].map((door) => door.close()));
    this.doors.clear();
    await this.databases.dropAll();
  }

  async close(): Promise<void> {
    await this.reset();
    await this.databases.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private lm(name: string): LmProcess {
    const lm = this.lms.get(name);
    if (!lm) throw new WorldError(`There is no License Manager "${name}" in this world.`);
    return lm;
  }

  private async startLm(name: string, step: Record<string, unknown>): Promise<unknown> {
    if (this.lms.has(name) || this.doors.has(name)) throw new WorldError(`"${name}" is already an address of this world.`);
    const samePortAs = step.samePortAs === undefined ? null : this.lm(text(step, 'samePortAs'));
    const ttlSeconds = typeof step.ttlSeconds === 'number' ? step.ttlSeconds : 5;
    const secret = step.secret === undefined ? null : text(step, 'secret');
    const lm = await serveLm({ name, dir: newLmDir(), port: samePortAs?.port ?? 0, ttlSeconds, secret, shared: null }, this.trustPath);
    this.lms.set(name, lm);
    if (step.license !== undefined && step.license !== null) await this.loadLicense(lm, step.license as LicenseSpec);
    return { lmid: lm.lmid };
  }

  /**
   * Replicas of one License Manager: processes sharing one PostgreSQL database, so one identity (LMID) and one set
   * of leases; the license is loaded at the first and in force at every one before the step ends.
   */
  private async startReplicas(step: Record<string, unknown>): Promise<unknown> {
    const names = step.names;
    if (!Array.isArray(names) || names.length < 2 || !names.every((n) => typeof n === 'string' && n !== '')) {
      throw new WorldError('The step startReplicas needs "names": two or more names.');
    }
    for (const name of names as string[]) {
      if (this.lms.has(name) || this.doors.has(name)) throw new WorldError(`"${name}" is already an address of this world.`);
    }
    const ttlSeconds = typeof step.ttlSeconds === 'number' ? step.ttlSeconds : 5;
    const shared = { databaseUrl: await this.databases.create(), haSecret: newHaSecret() };
    const replicas: LmProcess[] = [];
    for (const name of names as string[]) {
      // One after the other: the first makes the identity in the database, the others find it there.
      const lm = await serveLm({ name, dir: newLmDir(), port: 0, ttlSeconds, secret: null, shared }, this.trustPath);
      this.lms.set(name, lm);
      replicas.push(lm);
    }
    if (new Set(replicas.map((lm) => lm.lmid)).size !== 1) throw new WorldError('The replicas came up with different LMIDs.');
    if (step.license !== undefined && step.license !== null) {
      await this.loadLicense(replicas[0]!, step.license as LicenseSpec);
      for (const lm of replicas.slice(1)) await inForce(lm);
    }
    return { lmid: replicas[0]!.lmid };
  }

  private async loadLicense(lm: LmProcess, spec: LicenseSpec): Promise<unknown> {
    const now = Date.now();
    const at = (days: number) => new Date(now + days * DAY).toISOString();
    const expiresInDays = spec.expiresInDays ?? 365;
    // A year before its expiry, and started by now, unless the scenario says otherwise.
    const startsInDays = spec.startsInDays ?? Math.min(-1, expiresInDays - 365);
    const key = issueLicense(
      {
        id: spec.id ?? 'lic_conformance',
        serial: spec.serial ?? 1,
        product: PRODUCT,
        customer: { id: 'cus_conformance', name: 'Conformance Customer' },
        nodes: spec.nodes ?? { query: 2, storage: 1 },
        limits: spec.limits ?? { remote_clusters: 2 },
        features: spec.features ?? ['scan'],
        issuedAt: at(Math.min(-1, startsInDays - 1)),
        startsAt: at(startsInDays),
        expiresAt: at(expiresInDays),
        ...(spec.warnDays === undefined ? {} : { warnDays: spec.warnDays }),
        ...(spec.graceDays === undefined ? {} : { graceDays: spec.graceDays }),
        mode: 'offline',
        lmid: lm.lmid,
        outageGraceHours: spec.outageGraceHours ?? 72,
      },
      this.vendor,
    );
    if (!key.ok) throw new WorldError(`The license cannot be issued: ${key.detail}`);
    const loaded = await adminCall(lm, '/v1/admin/load', { key: key.value, force: true });
    if (loaded.status !== 200) throw new WorldError(`The License Manager refused the license: ${JSON.stringify(loaded.body)}`);
    return { status: loaded.body.status, code: loaded.body.code };
  }

  private setDoor(name: string, step: Record<string, unknown>): unknown {
    const door = this.doors.get(name);
    if (!door) throw new WorldError(`There is no door "${name}" in this world.`);
    if (step.mode !== undefined) {
      if (!DOOR_MODES.includes(step.mode as DoorMode)) throw new WorldError(`A door's mode is one of ${DOOR_MODES.join(', ')}.`);
      door.mode = step.mode as DoorMode;
    }
    if (step.to !== undefined) door.target = this.lm(text(step, 'to')).url;
    return {};
  }
}

/** Waits (at most 15 s) until a replica holds the license loaded at another. */
async function inForce(lm: LmProcess): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const info = (await (await fetch(`${lm.url}/v1/info`)).json()) as { status?: string };
    if (info.status !== 'NotExist' && info.status !== 'Syncing') return;
    if (Date.now() > end) throw new WorldError(`Replica ${lm.name} does not hold the license loaded at the first one.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function text(step: Record<string, unknown>, field: string): string {
  const value = step[field];
  if (typeof value !== 'string' || value === '') throw new WorldError(`The step ${String(step.world)} needs "${field}".`);
  return value;
}
