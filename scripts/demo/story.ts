/**
 * The whole licensing story, told with the real programs: the vendor's License Center sells a license, the
 * customer binds their License Manager and loads the offline key, graphdb storage nodes take seats (the third is
 * refused), the vendor expands the license, the customer switches to online, the LM syncs, and the third node
 * gets its seat. Then the License Manager goes away for longer than a seat lease: the nodes keep serving on the
 * license's outage grace (Degraded), a new node is refused, and all is normal again once it is back. `npm run demo`
 * narrates it; the end-to-end test checks every step against the services itself.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildGraphdb,
  createAdmin,
  killAll,
  LEASE_TTL_SECONDS,
  linkInMail,
  lmCli,
  restartManager,
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
  'manager-stopped',
  'manager-back',
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
  /** The License Manager's outage: when it stopped (its exit code), and the node started meanwhile, refused. */
  outage: { stoppedAt: number; exitCode: number | null; refused: { line: string; exitCode: number | null } | null } | null;
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
    outage: null,
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

type Step = (name: StepName) => Promise<void>;

async function tell(world: DemoWorld, say: (line: string) => void, step: Step): Promise<void> {
  await sell(world, say, step);
  await outage(world, say, step);
  await shutDown(world, say, step);
}

/** Steps 1 to 10: the license sold, bound, loaded, used, expanded and synced. */
async function sell(world: DemoWorld, say: (line: string) => void, step: Step): Promise<void> {
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
}

/** A node's license as its /status says it. */
interface NodeLicense {
  licensed: boolean;
  status: string;
  code: string;
  outageGraceHours: number | null;
  outage: { since: string; graceEndsAt: string } | null;
}

async function nodeLicense(node: GraphNode): Promise<NodeLicense> {
  return (await getJson<{ license: NodeLicense }>(`${node.url}/status`)).license;
}

/**
 * Steps 11 and 12: the License Manager stops for longer than a seat lease and comes back. The nodes ride it out on
 * the outage grace signed into their license (DESIGN decision 10: silence is not refusal); only a new node, which
 * never had a seat, is refused.
 */
async function outage(world: DemoWorld, say: (line: string) => void, step: Step): Promise<void> {
  const nodes = [...world.nodes.values()];
  const grace = (await nodeLicense(nodes[0]!)).outageGraceHours;
  if (!grace) {
    throw new Error(
      `the license carries no outage grace (outageGraceHours ${grace}): it is strict, so its nodes would stop with their lease; the License Center signs the product's grace into it`,
    );
  }
  say(`11. Acme's License Manager goes down for longer than a seat lease (leaseTtlSeconds: ${LEASE_TTL_SECONDS} here). The license`);
  say(`   carries the vendor's signed outage grace (${grace} hours), so the running nodes keep serving.`);
  const stoppedAt = Date.now();
  world.outage = { stoppedAt, exitCode: await world.manager!.stop(), refused: null };
  // Each node's lease runs out first (at most a lease after its last renewal); from then on it is Degraded.
  for (const node of nodes) {
    await until(
      () => nodeLicense(node),
      (license) => license.status === 'Degraded',
      `${node.id} to serve on the outage grace`,
    );
  }
  const late = await startGraphNode(world.graphdb!, 'storage', 'storage-4', world.manager!.addr);
  if (late.ok) throw new Error(`storage-4 started without a License Manager: ${late.line}`);
  world.outage.refused = { line: late.line, exitCode: late.exitCode };
  // Away for longer than a whole lease, counted from the stop: no node's seat is still on its lease.
  const rest = stoppedAt + LEASE_TTL_SECONDS * 1000 + 1000 - Date.now();
  if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  say(`   ${Math.round((Date.now() - stoppedAt) / 1000)} s without a License Manager:`);
  for (const node of nodes) {
    // Each node takes a write and answers it back: serving, not merely alive.
    await fetch(`${node.url}/kv/outage-${node.id}`, { method: 'PUT', body: `written while the LM was away` });
    const answer = await fetch(`${node.url}/kv/outage-${node.id}`);
    const headers = `X-License-Status: ${answer.headers.get('x-license-status')}, X-License-Grace-Ends: ${answer.headers.get('x-license-grace-ends')}`;
    const { value } = (await answer.json()) as { value: string };
    say(`   ${node.id}: PUT, GET /kv/outage-${node.id} -> ${answer.status} "${value}", ${headers}`);
  }
  say(`   A node started now is refused: ${late.line}`);
  await step('manager-stopped');

  say('12. Acme starts the License Manager again (same address, data path and LMID). At their next heartbeat the nodes');
  say('   take their seats again (the leases ran out while it was away) and are Normal; no node was restarted.');
  const manager = (world.manager = await restartManager(world.manager!));
  for (const node of nodes) {
    await until(
      () => nodeLicense(node),
      (license) => license.licensed && license.status === 'Normal',
      `${node.id} to be Normal again`,
    );
  }
  const back = infoOf(lmCli(manager, ['--json', 'info']));
  say(`   $ tessera-lm info   ->   LMID ${back.lmid}, LicenseStatus ${back.status}, storage seats ${seats(back, 'storage')}`);
  await step('manager-back');
}

async function shutDown(world: DemoWorld, say: (line: string) => void, step: Step): Promise<void> {
  say('13. Clean shutdown: the nodes give their seats back, then the License Manager and the License Center stop.');
  for (const [id, node] of world.nodes) world.exits[id] = await node.stop();
  const manager = world.manager!;
  const after = await getJson<LmInfo>(`http://${manager.addr}/v1/info`);
  world.seatsUsedAfterNodesStopped = after.nodes.storage?.used ?? null;
  say(`   Storage seats after the nodes stopped: ${seats(after, 'storage')}.`);
  world.exits['tessera-lm'] = await manager.stop();
  world.exits['tessera-center'] = await world.center!.stop();
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
