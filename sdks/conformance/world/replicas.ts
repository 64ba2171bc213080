/**
 * The PostgreSQL database License Manager replicas share (high availability): a fresh database per replica group,
 * in the cluster the test run provides (TESSERA_POSTGRES_URL, its admin URL), or else in a throwaway cluster this
 * world starts the first time a scenario asks for replicas (scripts/postgres-cluster.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresCluster } from '../../../scripts/postgres-cluster.js';
import type { PostgresCluster } from '../../../scripts/postgres-cluster.js';

export class SharedDatabases {
  private cluster: PostgresCluster | null = null;
  private readonly created: string[] = [];

  constructor(private adminUrl: string | null) {}

  /** A new empty database; its URL. */
  async create(): Promise<string> {
    if (!this.adminUrl) {
      this.cluster = await startPostgresCluster();
      this.adminUrl = this.cluster.url;
    }
    const name = `conformance_${randomBytes(6).toString('hex')}`;
    await this.admin((client) => client.query(`create database ${name}`));
    this.created.push(name);
    return this.adminUrl.replace(/\/[^/]*$/, `/${name}`);
  }

  /** Drops every database made for this world's scenarios so far (their replicas are stopped). */
  async dropAll(): Promise<void> {
    const names = this.created.splice(0);
    for (const name of names) await this.admin((client) => client.query(`drop database if exists ${name} with (force)`));
  }

  async close(): Promise<void> {
    await this.dropAll();
    this.cluster?.stop();
  }

  private async admin(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl! });
    client.on('error', () => {});
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** The HA secret replicas seal their shared identity with: 256 bits of hex. */
export function newHaSecret(): string {
  return randomBytes(32).toString('hex');
}
