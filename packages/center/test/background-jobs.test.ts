/**
 * The background job timer of a listening center: a failing run (here the jobs table is gone, as in a database
 * outage) is logged and retried; it must not become an unhandled rejection, which would end the process.
 */
import { describe, expect, it } from 'vitest';
import { startTestCenter } from './support/http.js';

describe('background jobs', () => {
  it('log a failed run and keep the center serving', async () => {
    const tc = await startTestCenter('sqlite');
    try {
      await tc.center.services.db.schema.dropTable('jobs').execute();
      const deadline = Date.now() + 15_000;
      while (!tc.log.some((line) => line.includes('background job failed')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(tc.log.find((line) => line.includes('background job failed'))).toMatch(/"level":40.*no such table: jobs/);
      expect((await fetch(`${tc.center.url}/health`)).status).toBe(200);
    } finally {
      await tc.close();
    }
  });
});
