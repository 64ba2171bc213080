/**
 * The License Center's API description as a document, without a running server: a center on a throwaway SQLite
 * database in a temporary folder builds its routes, and /openapi.json's document is read from them. For
 * `tessera-center openapi`, the portal's generated types and the linter's test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startCenter } from './app.js';
import { loadCenterConfig } from './config.js';

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-openapi-'));
  try {
    const loaded = loadCenterConfig({ data: dataDir, host: '127.0.0.1', port: '0' }, {});
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const center = await startCenter(loaded.config, { listen: false, logger: pino({ level: 'silent' }) });
    try {
      await center.app.ready();
      return center.app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await center.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
