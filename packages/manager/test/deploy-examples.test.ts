/**
 * The Kubernetes examples of deploy/kubernetes cannot rot: the config each one embeds is accepted by the License
 * Manager's own parser, the files it names are mounted where it reads them (the trust file, the data path, the
 * database URL and HA secret from the Secret), the probes and Services reach its port, and each example starts for
 * real with its config as a pod would see it: the single one on SQLite, the HA one as two replicas on a test
 * database, every one answering its probes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../src/config.js';
import type { LmConfig } from '../src/config.js';
import { startDaemon } from '../src/daemon.js';
import type { Daemon } from '../src/daemon.js';
import { createDatabase, HA_SECRET, sharedDbUrl } from './support/shared-db.js';
import type { TestDatabase } from './support/shared-db.js';
import { until } from './support/until.js';
import { makeWorld, silentLogger } from './support/world.js';
import type { World } from './support/world.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));

interface Manifest {
  kind: string;
  metadata: { name: string };
  [key: string]: any;
}

interface Example {
  text: string;
  manifests: Manifest[];
  config: LmConfig;
  workload: Manifest;
  container: any;
  volumes: any[];
}

function readExample(file: string): Example {
  const text = readFileSync(join(DEPLOY, file), 'utf8');
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) throw new Error(`${file} holds no YAML document`);
  const errors = documents.flatMap((document) => document.errors.map((error) => error.message));
  if (errors.length > 0) throw new Error(`${file} is not valid YAML: ${errors.join('; ')}`);
  const manifests = documents.map((document) => document.toJS() as Manifest);
  const workloads = manifests.filter((m) => m.kind === 'StatefulSet' || m.kind === 'Deployment');
  if (workloads.length !== 1) throw new Error(`${file} holds ${workloads.length} workloads, not one`);
  const workload = workloads[0]!;
  const container = workload.spec.template.spec.containers[0];
  const configArg = container.args[container.args.indexOf('--config') + 1] as string;
  const configMount = mountOf(container, configArg);
  const configVolume = volumeOf(workload, configMount.name);
  const configMap = named(manifests, 'ConfigMap', configVolume.configMap.name);
  const configText = configMap.data[configMount.subPath ?? ''] as string;
  // Paths in the config are absolute, as in the pod, so the base folder plays no part.
  const parsed = parseConfig(configText, '/');
  if (!parsed.ok) throw new Error(`${file}: the License Manager refuses its config: ${JSON.stringify(parsed.problems)}`);
  return { text, manifests, config: parsed.config, workload, container, volumes: workload.spec.template.spec.volumes };
}

function named(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found;
}

/** The mount a path of the container lies in (the deepest one). */
function mountOf(container: any, path: string): { name: string; mountPath: string; subPath?: string } {
  const mounts = (container.volumeMounts as { name: string; mountPath: string; subPath?: string }[]).filter(
    (m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`),
  );
  if (mounts.length === 0) throw new Error(`${path} is not on any volume the container mounts`);
  return mounts.sort((a, b) => b.mountPath.length - a.mountPath.length)[0]!;
}

function volumeOf(workload: Manifest, name: string): any {
  const volume = (workload.spec.template.spec.volumes ?? []).find((v: { name: string }) => v.name === name);
  if (volume) return volume;
  const claim = (workload.spec.volumeClaimTemplates ?? []).find((c: Manifest) => c.metadata.name === name);
  if (claim) return { name, persistentVolumeClaim: claim };
  throw new Error(`no volume named ${name}`);
}

/** The Secret key a file of a secret volume holds, with the Secret. */
function secretFileOf(example: Example, path: string): { secret: Manifest; key: string } {
  const mount = mountOf(example.container, path);
  const volume = volumeOf(example.workload, mount.name);
  expect(volume.secret, `${path} comes from a Secret`).toBeDefined();
  const secret = named(example.manifests, 'Secret', volume.secret.secretName);
  return { secret, key: posix.relative(mount.mountPath, path) };
}

/** Services, probes and the container agree on the License Manager's port; selectors find the pods. */
function expectReachable(example: Example): void {
  const { config, container, workload, manifests } = example;
  const port = (container.ports as { name: string; containerPort: number }[]).find((p) => p.name === 'http');
  expect(port?.containerPort).toBe(config.port);
  expect(config.host).toBe('0.0.0.0');
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    expect(probe.httpGet).toEqual({ path: '/health', port: 'http' });
  }
  const labels = workload.spec.template.metadata.labels as Record<string, string>;
  expect(workload.spec.selector.matchLabels).toEqual(labels);
  const services = manifests.filter((m) => m.kind === 'Service');
  expect(services.length).toBeGreaterThan(0);
  for (const service of services) {
    expect(service.spec.selector, service.metadata.name).toEqual(labels);
    expect(service.spec.ports.map((p: { targetPort: number }) => p.targetPort)).toEqual([config.port]);
  }
  expect(workload.spec.serviceName).toBe(services[0]!.metadata.name);
  // The trust file comes from the ConfigMap the vendor's file is put in.
  expect(volumeOf(workload, mountOf(container, config.trustPath).name).configMap).toEqual({ name: 'tessera-lm-trust-bundle' });
}

/** An absolute path of the pod, under this pod's own folder. */
const inPod = (pod: string, path: string) => join(pod, path);

/** The config as the pod reads it, with the pod's files under `pod`; the port is any free one, on loopback. */
function podConfig(example: Example, world: World, pod: string, secrets: Record<string, string> = {}): LmConfig {
  const { config } = example;
  mkdirSync(dirname(inPod(pod, config.trustPath)), { recursive: true });
  copyFileSync(world.trustPath, inPod(pod, config.trustPath));
  for (const [path, value] of Object.entries(secrets)) {
    mkdirSync(dirname(inPod(pod, path)), { recursive: true });
    // As Kubernetes writes a stringData value: the text as given (here with the line end an editor leaves).
    writeFileSync(inPod(pod, path), `${value}\n`);
  }
  const database = config.database
    ? {
        ...config.database,
        urlFile: config.database.urlFile && inPod(pod, config.database.urlFile),
        secretFile: config.database.secretFile && inPod(pod, config.database.secretFile),
      }
    : null;
  return {
    ...config,
    host: '127.0.0.1',
    port: 0,
    dataPath: inPod(pod, config.dataPath),
    trustPath: inPod(pod, config.trustPath),
    database,
  };
}

async function probe(daemon: Daemon, path: string): Promise<number> {
  return (await fetch(`${daemon.url}${path}`)).status;
}

let world: World;
const running: Daemon[] = [];

beforeEach(() => {
  world = makeWorld();
});
afterEach(async () => {
  for (const daemon of running.splice(0)) await daemon.close();
  world.cleanup();
});

describe('deploy/kubernetes/tessera-lm.yaml (one License Manager)', () => {
  const example = readExample('tessera-lm.yaml');

  it('embeds a config the License Manager accepts, keeping its state and its LMID on the volume', () => {
    expect(example.workload).toMatchObject({ kind: 'StatefulSet', spec: { replicas: 1 } });
    expect(example.config.database).toBeNull();
    expect(example.config.fingerprint).toBe('installation');
    const data = volumeOf(example.workload, mountOf(example.container, example.config.dataPath).name);
    expect(data.persistentVolumeClaim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expectReachable(example);
  });

  it('starts with that config and answers its probes', async () => {
    const daemon = await startDaemon({
      config: podConfig(example, world, join(world.dir, 'pod-0')),
      clock: world.clock,
      logger: silentLogger,
    });
    running.push(daemon);
    expect(await probe(daemon, example.container.readinessProbe.httpGet.path)).toBe(200);
  });
});

describe('deploy/kubernetes/tessera-lm-ha.yaml (two replicas on PostgreSQL)', () => {
  const example = readExample('tessera-lm-ha.yaml');
  let db: TestDatabase | null = null;
  afterEach(async () => {
    await db?.drop();
    db = null;
  });

  it('embeds a config the License Manager accepts, its database URL and HA secret read from the Secret', () => {
    const { config, workload, manifests } = example;
    expect(workload).toMatchObject({ kind: 'StatefulSet', spec: { replicas: 2, podManagementPolicy: 'Parallel' } });
    expect(workload.spec.volumeClaimTemplates).toBeUndefined();
    expect(config.database).toMatchObject({ url: null, secret: null });
    for (const path of [config.database!.urlFile!, config.database!.secretFile!]) {
      const { secret, key } = secretFileOf(example, path);
      expect(Object.keys(secret.stringData), `${path} is a key of the Secret ${secret.metadata.name}`).toContain(key);
    }
    // The Secret's values are nowhere in a ConfigMap.
    const configMaps = JSON.stringify(manifests.filter((m) => m.kind === 'ConfigMap'));
    for (const value of Object.values(named(manifests, 'Secret', 'tessera-lm-ha').stringData)) {
      expect(configMaps).not.toContain(value);
    }
    expectReachable(example);
    // One replica at a time may be drained or upgraded.
    const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget')!;
    expect(budget.spec).toEqual({ minAvailable: 1, selector: { matchLabels: workload.spec.template.metadata.labels } });
  });

  it('gives products the stable address of each replica, as the header says', () => {
    const { workload, manifests, config } = example;
    const headless = named(manifests, 'Service', workload.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    const name = workload.metadata.name;
    const addresses = [0, 1].map((i) => `${name}-${i}.${headless.metadata.name}:${config.port}`);
    expect(example.text).toContain(`--license_manager_url ${addresses.join(',')}`);
  });

  it.skipIf(!sharedDbUrl)('starts as two replicas with that config, one LMID, both live and answering their probes', async () => {
    db = await createDatabase();
    const { config } = example;
    const replicas: Daemon[] = [];
    for (const pod of ['pod-0', 'pod-1']) {
      const secrets = { [config.database!.urlFile!]: db.url, [config.database!.secretFile!]: HA_SECRET };
      const daemon = await startDaemon({
        config: podConfig(example, world, join(world.dir, pod), secrets),
        clock: world.clock,
        logger: silentLogger,
        timers: { replicaTickMs: 50 },
      });
      running.push(daemon);
      replicas.push(daemon);
    }
    const [a, b] = replicas as [Daemon, Daemon];
    expect(b.lmid).toBe(a.lmid);
    for (const replica of replicas) {
      expect(await probe(replica, example.container.readinessProbe.httpGet.path)).toBe(200);
      expect(await probe(replica, example.container.livenessProbe.httpGet.path)).toBe(200);
    }
    const info = await until(
      async () => (await (await fetch(`${a.url}/v1/info`)).json()) as { replicas: { port: number; live: boolean }[] | null },
      (body) => body.replicas?.length === 2,
      'both replicas listed',
    );
    expect(info.replicas!.map((r) => [r.port, r.live]).sort()).toEqual(
      [
        [a.port, true],
        [b.port, true],
      ].sort(),
    );
  });
});
