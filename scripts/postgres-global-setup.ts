/**
 * A throwaway PostgreSQL cluster for the test run, on loopback, when DIALECTS (default "sqlite,postgres")
 * includes postgres (scripts/postgres-cluster.ts: the Debian server binaries, installed with apt-get when they are
 * missing, so a fresh machine needs nothing done by hand). Tests get its admin URL with inject('postgresUrl').
 */
import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dialects = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());
  if (!dialects.includes('postgres')) {
    project.provide('postgresUrl', null);
    return () => {};
  }
  const cluster = await startPostgresCluster();
  process.stderr.write(
    `[tests] PostgreSQL ${cluster.version} running on ${cluster.url.split('@')[1]!.split('/')[0]} (throwaway cluster in ${cluster.dir})\n`,
  );
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
