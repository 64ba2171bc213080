import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

describe.each(DIALECTS)('storage on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  it('migrates to the latest schema, and a second run (another instance starting) changes nothing', async () => {
    expect(handle.dialect).toBe(dialect);
    expect(await migrateToLatest(handle.db as never, dialect)).toEqual([
      '0001_initial',
      '0002_list_indexes',
      '0003_marketplace',
      '0004_expiry_notices',
      '0005_packages',
      '0006_audit_keyed',
      '0007_trust_roots',
      '0008_outage_grace',
      '0009_lm_product',
      '0010_brand_settings',
    ]);
    const other = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    expect(await migrateToLatest(other.db as never, dialect)).toEqual([]);
    await other.close();
  });

  it('reads epoch-millisecond times back as numbers, exactly', async () => {
    const at = Date.parse('2026-11-24T12:34:56.789Z');
    await handle.db.insertInto('customers').values({ id: 'cus_db1', name: 'Acme', created_at: at }).execute();
    const row = await handle.db.selectFrom('customers').selectAll().where('id', '=', 'cus_db1').executeTakeFirstOrThrow();
    expect(row).toEqual({ id: 'cus_db1', name: 'Acme', created_at: at });
  });

  it('numbers audit events in order with an auto-increment key', async () => {
    for (const action of ['a', 'b']) {
      await handle.db
        .insertInto('audit_events')
        .values({ at: 1, actor: 'x', action, subject: 's', data: '{}', prev_hash: '', hash: '' })
        .execute();
    }
    const rows = await handle.db.selectFrom('audit_events').select(['seq', 'action']).orderBy('seq').execute();
    expect(rows).toEqual([
      { seq: 1, action: 'a' },
      { seq: 2, action: 'b' },
    ]);
  });
});
