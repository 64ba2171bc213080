/**
 * guard's enforcer written in Go (enforcer-go, on the Go SDK) with guard's TypeScript controller and a real
 * License Manager: it takes its seat through the Go SDK, registers with the controller with the seat's signed
 * token (which the controller checks at the LM with the TypeScript SDK's verifySeat), is counted beside a
 * TypeScript enforcer, is refused beyond the license, leaves and releases its seat on SIGTERM, and leaves the
 * controller when its seat ends. Built once with this test file's vendor root compiled in (-ldflags -X), as a
 * vendor ships it. A missing Go toolchain fails these tests with a sentence.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../../packages/manager/test/support/world.js';
import { findGo, goEnv } from '../../../sdks/test/toolchains.js';
import { CHILDREN, getJson, loadGuardLicense, Programs, startLm, VENDOR_ROOT, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

const SOURCE = fileURLToPath(new URL('../enforcer-go', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'tessera-guard-go-'));
const BINARY = join(buildDir, 'guard-enforcer');

let lm: Lm;
let controllerUrl: string;
const programs = new Programs();

beforeAll(() => {
  const go = findGo();
  if (!go.ok) throw new Error(go.missing);
  const build = spawnSync(go.path, ['build', '-ldflags', `-X main.vendorRoot=${VENDOR_ROOT.text}`, '-o', BINARY, '.'], {
    cwd: SOURCE,
    env: goEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error(`the Go enforcer does not build: ${build.stderr}`);
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

beforeEach(async () => {
  lm = await startLm(5);
  await loadGuardLicense(lm, { nodes: { enforcer: 2 } });
  controllerUrl = (await programs.startController(lm)).url;
});
afterEach(async () => {
  await programs.killAll();
  await lm.close();
});

const goEnforcer = (nodeId: string, extra: string[] = []) =>
  programs.spawn('enforcer-go', BINARY, ['--controller', controllerUrl, '--license_manager_url', lm.addr, '--node-id', nodeId, ...extra]);
const managed = async () => ((await getJson(controllerUrl + '/api/status')).enforcers as { nodeId: string }[]).map((e) => e.nodeId).sort();
const leases = async () => ((await call(lm.daemon, 'GET', '/v1/usage')).body.leases as { nodeId: string }[]).map((l) => l.nodeId).sort();

describe('the Go enforcer with the TypeScript controller', CHILDREN, () => {
  it('takes its seat, registers with its token, counts beside a TypeScript enforcer, and a third is refused', async () => {
    const go = goEnforcer('node-go');
    await go.waitFor('stdout', new RegExp(`^guard enforcer node-go connected to ${controllerUrl}$`, 'm'));
    const ts = programs.enforcer(lm, controllerUrl, 'node-ts');
    await ts.waitFor('stdout', /^guard enforcer node-ts connected to /m);
    expect(await managed()).toEqual(['node-go', 'node-ts']);
    expect(await leases()).toEqual(['node-go', 'node-ts']);

    const third = goEnforcer('node-go-2');
    expect(await third.exited).toBe(3);
    expect(third.stderr()).toMatch(/^guard: enforcer node-go-2 cannot connect: .+ \[TOO_MANY_NODES\]\n$/);
    const status = await getJson(controllerUrl + '/api/status');
    expect(status.managedNodes).toBe(2);
  });

  it('keeps its registration across lease renewals: each heartbeat carries a token the controller verifies', async () => {
    const go = goEnforcer('node-go', ['--heartbeat-ms', '500']);
    await go.waitFor('stdout', /^guard enforcer node-go connected to /m);
    const first = (await getJson(controllerUrl + '/api/status')).enforcers[0].seatExpiresAt as string;
    // The controller moves an enforcer's seatExpiresAt only on a newer verified token.
    await waitUntil(
      async () => ((await getJson(controllerUrl + '/api/status')).enforcers[0]?.seatExpiresAt ?? first) > first,
      'the controller to verify a renewed token',
    );
    expect(await managed()).toEqual(['node-go']);
    expect(go.stderr()).toBe('');
  });

  it('on SIGTERM leaves the controller and releases its seat at once', async () => {
    const go = goEnforcer('node-go');
    await go.waitFor('stdout', /^guard enforcer node-go connected to /m);
    go.child.kill('SIGTERM');
    expect(await go.exited).toBe(0);
    expect(await managed()).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it('leaves the controller when the license ends its seat, and says why', async () => {
    const go = goEnforcer('node-go');
    await go.waitFor('stdout', /^guard enforcer node-go connected to /m);
    const day = 86_400_000;
    const at = (days: number) => new Date(Date.now() + days * day).toISOString();
    await loadGuardLicense(lm, { serial: 2, issuedAt: at(-60), startsAt: at(-60), expiresAt: at(-30) });
    // The controller may drop it first (it watches the license too); either way the enforcer says why it has no seat.
    await go.waitFor(
      'stderr',
      /^guard: enforcer node-go has no seat: .+ \[EXPIRED\]; (left the controller, )?waiting for the seat to return$/m,
    );
    await waitUntil(async () => (await managed()).length === 0, 'the controller to drop the Go enforcer');
  });

  it('refuses a --trust flag (exit 2): the root is compiled in', async () => {
    const go = goEnforcer('node-go', ['--trust', 'trust.json']);
    expect(await go.exited).toBe(2);
    expect(go.stderr()).toMatch(/^guard: --trust is no longer a flag/);
  });
});
