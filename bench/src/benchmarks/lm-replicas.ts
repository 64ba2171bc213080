/**
 * Shared by the License Manager benchmarks of replicas (lm-ha, lm-failover): a throwaway PostgreSQL cluster, a world
 * whose config names its database and an HA secret, one config file per replica (its own data path), the replicas
 * as child processes (the built binary), and a license loaded at one of them and seen by all.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getInfo, loadLicense, makeLmWorld, startLm } from './lm-harness.js';
import type { LmProcess, LmWorld, SpawnOptions } from './lm-harness.js';
import type { PostgresCluster } from './postgres-cluster.js';

const HA_SECRET = 'bench-ha-secret-'.repeat(4);

export interface ReplicaWorld extends LmWorld {
  /** The config file of replica i, listening on `port` (0: any free one). */
  configOf(i: number, port?: number): string;
}

/** The trust file is v2 (a vendor root), so SDK nodes built with rootText can use the replicas. */
export function makeReplicaWorld(cluster: PostgresCluster, options: { leaseTtlSeconds?: number } = {}): ReplicaWorld {
  const world = makeLmWorld({
    ...options,
    rootSigned: true,
    extra: ['database:', `  url: ${JSON.stringify(cluster.databaseUrl)}`, '  poolSize: 20', 'ha:', `  secret: ${HA_SECRET}`],
  });
  const text = readFileSync(world.configFile, 'utf8');
  return {
    ...world,
    configOf(i: number, port = 0): string {
      const file = join(world.dir, `replica-${i}.yaml`);
      const dataPath = i === 0 ? world.dataPath : join(world.dir, `data-${i}`);
      writeFileSync(file, text.replace(/^dataPath: .*$/m, `dataPath: ${JSON.stringify(dataPath)}`).replace(/^port: .*$/m, `port: ${port}`));
      return file;
    },
  };
}

/** Starts replica i (the built binary, `serve --config`) on the world's database, on `port` (default any free one). */
export function startReplica(world: ReplicaWorld, i: number, options: SpawnOptions & { port?: number } = {}): Promise<LmProcess> {
  return startLm({ ...world, configFile: world.configOf(i, options.port ?? 0) }, options);
}

/** Loads a license for the replicas' LMID at the first one, and waits until every one has it in force. */
export async function loadLicenseEverywhere(
  world: ReplicaWorld,
  replicas: readonly LmProcess[],
  nodes: Record<string, number>,
): Promise<void> {
  await loadLicense(world, replicas[0]!, nodes);
  const deadline = Date.now() + 15_000;
  for (const replica of replicas) {
    while ((await getInfo(replica.url)).status !== 'Normal') {
      if (Date.now() > deadline) throw new Error(`replica ${replica.url} did not take the license in within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
