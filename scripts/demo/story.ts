/**
 * The whole licensing story, told with the real programs: the vendor's License Center sells a license, the
 * customer binds their License Manager and loads the offline key, graphdb storage nodes take seats (the third is
 * refused), the vendor expands the license, the customer switches to online, the LM syncs, and the third node
 * gets its seat. `npm run demo` narrates it; the end-to-end test checks every step against the services itself.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildGraphdb,
  createAdmin,
  killAll,
  linkInMail,
  lmCli,
  startCenter,
  startGraphNode,
  startManager,
  vendorRoots,
  writeLmConfig,
} from './parts.js';
import type { GraphNode, LicenseCenter, LicenseManager } from './parts.js';
import { ApiCaller, getJson } from './web.js';

export const STEPS = [
  'center-started',
  'license-sold',
  'customer-signed-up',
  'manager-started',
  'manager-bound',
  'offline-key-loaded',
  'nodes-started',
  'license-expanded',
  'switched-online',
  'third-node-seated',
  'shut-down',
] as const;
export type StepName = (typeof STEPS)[number];

/** What the story has made so far, for a test to check each step against the services itself. */
export interface DemoWorld {
  workDir: string;
  center: LicenseCenter | null;
  staff: ApiCaller | null;
  customer: ApiCaller | null;
  licenseId: string | null;
  manager: LicenseManager | null;
  /** graphdb's program as the vendor built it, with its root compiled in. */
  graphdb: string | null;
  /** The roots it was built with (tessera-center trust-root). */
  roots: string[];
  nodes: Map<string, GraphNode>;
  /** The refused third node's line and exit code. */
  refused: { line: string; exitCode: number | null } | null;
  /** Exit codes of the clean shutdown, by program. */
  exits: Record<string, number | null>;
  /** Storage seats in use once the nodes had stopped, before the LM stopped. */
  seatsUsedAfterNodesStopped: number | null;
}

export interface DemoHooks {
  /** A line of narration. */
  say(line: string): void;
  /** Called after each step; the test asserts here. A rejection ends the story (everything is stopped). */
  step?(name: StepName, world: DemoWorld): Promise<void> | void;
}

export const CUSTOMER_EMAIL = 'ops@acme.example';
const PASSWORD = 'Demo-password-2026';

interface LmInfo {
  lmid: string;
  status: string;
  serial: number | null;
  mode: string | null;
  nodes: Record<string, { total: number; used: number; free: number }>;
}

export async function runDemo(workDir: string, hooks: DemoHooks): Promise<DemoWorld> {
  const world: DemoWorld = {
    workDir,
    center: null,
    staff: null,
    customer: null,
    licenseId: null,
    manager: null,
    graphdb: null,
    roots: [],
    nodes: new Map(),
    refused: null,
    exits: {},
    seatsUsedAfterNodesStopped: null,
  };
  const { say } = hooks;
  const step = async (name: StepName) => hooks.step?.(name, world);
  try {
    await tell(world, say, step);
    return world;
  } finally {
    killAll();
  }
}

async function tell(world: DemoWorld, say: (line: string) => void, step: (name: StepName) => Promise<void>): Promise<void> {
  const lcData = join(world.workDir, 'license-center');
  mkdirSync(lcData, { recursive: true });

  say('1. The vendor starts its License Center (the embedded SQLite database, mail kept as files in its outbox).');
  const { apiToken } = createAdmin(lcData, 'admin@vendor.example');
  const center = (world.center = await startCenter(lcData));
  const staff = (world.staff = new ApiCaller(center.url, apiToken));
  say(`   License Center: ${center.url} (the portal and the API; API reference at ${center.url}/docs)`);
  await step('center-started');

  say('2. The vendor defines the product "graphdb" (node roles query and storage) and sells Acme Corp a one-year');
  say('   license for 1 query node and 2 storage nodes (a sales contract).');
  const product = await staff.post<{ id: string }>('/v1/staff/products', { slug: 'graphdb', name: 'GraphDB', roles: ['query', 'storage'] });
  const acme = await staff.post<{ id: string }>('/v1/staff/customers', { name: 'Acme Corp' });
  await staff.post(`/v1/staff/customers/${acme.id}/invite`, { email: CUSTOMER_EMAIL });
  const sold = await staff.post<{ license: { id: string; serial: number } }>('/v1/staff/contracts', {
    customerId: acme.id,
    productId: product.id,
    term: '1y',
    autoRenew: false,
    quantities: { query: 1, storage: 2 },
    mode: 'offline',
  });
  const licenseId = (world.licenseId = sold.license.id);
  say(`   Customer ${acme.id}, license ${licenseId} (serial ${sold.license.serial}); a setup mail goes to ${CUSTOMER_EMAIL}.`);
  world.roots = vendorRoots(lcData);
  world.graphdb = await buildGraphdb(world.roots, join(world.workDir, 'graphdb-build'));
  say(`   The vendor builds graphdb with its root key compiled in ($ tessera-center trust-root   ->   ${world.roots[0]!.slice(0, 24)}…):`);
  say("   graphdb trusts only licenses that root vouches for; no file or flag on the customer's machine can change that.");
  await step('license-sold');

  say(`3. Acme's admin opens the setup link from the mail, registers, activates the account and logs in to the portal.`);
  const customer = (world.customer = new ApiCaller(center.url));
  await customer.post('/v1/auth/register', {
    token: await linkInMail(lcData, CUSTOMER_EMAIL, 'setup'),
    name: 'Acme Ops',
    password: PASSWORD,
  });
  await customer.post('/v1/auth/activate', { token: await linkInMail(lcData, CUSTOMER_EMAIL, 'activate') });
  await customer.post('/v1/auth/login', { email: CUSTOMER_EMAIL, password: PASSWORD });
  const cards = await customer.get<{ items: { id: string }[] }>('/v1/licenses');
  say(`   Logged in; the portal shows ${cards.items.length} license card (${cards.items.map((card) => card.id).join(', ')}).`);
  await step('customer-signed-up');

  say('4. Acme starts a License Manager next to its database (tessera-lm serve) and reads its LMID.');
  const trustBundle = await (await fetch(`${center.url}/v1/trust-bundle`)).text();
  const manager = (world.manager = await startManager(writeLmConfig(world.workDir, trustBundle, center.url)));
  const info = infoOf(lmCli(manager, ['--json', 'info']));
  say(`   $ tessera-lm info   ->   LMID ${info.lmid}, LicenseStatus ${info.status}`);
  await step('manager-started');

  say('5. In the portal Acme binds the license to that LMID (once) and keeps offline mode.');
  await customer.post(`/v1/licenses/${licenseId}/bind`, { lmid: info.lmid });
  say(`   License ${licenseId} is bound to ${info.lmid}.`);
  await step('manager-bound');

  say('6. Acme copies the offline key from the portal and loads it: tessera-lm load --key -');
  const offline = await customer.get<{ mode: string; key: string }>(`/v1/licenses/${licenseId}/key`);
  mustSucceed(lmCli(manager, ['load', '--key', '-'], `\n${offline.key}\n`), 'tessera-lm load');
  const loaded = infoOf(lmCli(manager, ['--json', 'info']));
  say(`   LicenseStatus ${loaded.status}, serial ${loaded.serial}, storage seats ${seats(loaded, 'storage')}.`);
  await step('offline-key-loaded');

  say('7. Acme starts three graphdb storage nodes. The license has 2 storage seats, so the third must be refused.');
  for (const id of ['storage-1', 'storage-2', 'storage-3']) {
    const started = await startGraphNode(world.graphdb!, 'storage', id, manager.addr);
    say(`   ${started.line}`);
    if (started.ok) world.nodes.set(id, started.node);
    else world.refused = { line: started.line, exitCode: started.exitCode };
  }
  say(`   $ tessera-lm info    ->   storage seats ${seats(infoOf(lmCli(manager, ['--json', 'info'])), 'storage')}`);
  await step('nodes-started');

  say('8. Acme buys one more storage node; the vendor expands the license in the License Center.');
  const expanded = await staff.post<{ serial: number; nodes: Record<string, number> }>(`/v1/staff/licenses/${licenseId}/expand`, {
    nodes: { storage: 1 },
  });
  say(`   License ${licenseId}: serial ${expanded.serial}, storage ${expanded.nodes.storage}. The LM still holds serial ${loaded.serial}:`);
  say('   an offline key never changes by itself.');
  await step('license-expanded');

  say('9. Acme switches the license to online mode in the portal and loads the online key; the LM syncs.');
  await customer.put(`/v1/licenses/${licenseId}/mode`, { mode: 'online' });
  const online = await customer.get<{ mode: string; key: string }>(`/v1/licenses/${licenseId}/key`);
  mustSucceed(lmCli(manager, ['load', '--key', '-'], online.key), 'tessera-lm load (online key)');
  mustSucceed(lmCli(manager, ['sync']), 'tessera-lm sync');
  // The switch itself raised the serial again: the LM must reach the License Center's serial of now.
  const current = await staff.get<{ basic: { serial: number } }>(`/v1/staff/licenses/${licenseId}`);
  const synced = await until(
    () => infoOf(lmCli(manager, ['--json', 'info'])),
    (now) => now.serial === current.basic.serial && now.status === 'Normal',
    'the License Manager to sync the expanded license',
  );
  say(`   LicenseStatus ${synced.status}, mode ${synced.mode}, serial ${synced.serial}, storage seats ${seats(synced, 'storage')}.`);
  await step('switched-online');

  say('10. The third storage node is started again and gets its seat; the first two kept serving all along.');
  const third = await startGraphNode(world.graphdb!, 'storage', 'storage-3', manager.addr);
  say(`   ${third.line}`);
  if (!third.ok) throw new Error(`storage-3 was refused again: ${third.line}`);
  world.nodes.set('storage-3', third.node);
  await step('third-node-seated');

  say('11. Clean shutdown: the nodes give their seats back, then the License Manager and the License Center stop.');
  for (const [id, node] of world.nodes) world.exits[id] = await node.stop();
  const after = await getJson<LmInfo>(`http://${manager.addr}/v1/info`);
  world.seatsUsedAfterNodesStopped = after.nodes.storage?.used ?? null;
  say(`   Storage seats after the nodes stopped: ${seats(after, 'storage')}.`);
  world.exits['tessera-lm'] = await manager.stop();
  world.exits['tessera-center'] = await center.stop();
  await step('shut-down');
  say('Done. Every step above ran the real programs; see README.md, "License your own product", to do it yourself.');
}

function seats(info: LmInfo, role: string): string {
  const usage = info.nodes[role];
  return usage ? `${usage.used} used of ${usage.total}` : 'none';
}

function infoOf(run: { status: number | null; stdout: string; stderr: string }): LmInfo {
  if (run.status !== 0) throw new Error(`tessera-lm info failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as LmInfo;
}

function mustSucceed(run: { status: number | null; stdout: string; stderr: string }, what: string): void {
  if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}): ${run.stderr.trim() || run.stdout.trim()}`);
}

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: last seen ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
