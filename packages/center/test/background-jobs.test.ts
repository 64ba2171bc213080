/**
 * The background jobs of a running center, one round at a time (center.jobs.runOnce(), no timer): a failing job
 * (here the jobs table is gone, as in a database outage) is logged with its name and the center keeps serving; a
 * delivered mail is logged by id and subject, never with its address, body or link.
 */
import { describe, expect, it } from 'vitest';
import { startTestCenter } from './support/http.js';

describe('background jobs', () => {
  it('log a failed job by name and keep the center serving', async () => {
    const tc = await startTestCenter('sqlite');
    try {
      await tc.center.services.db.schema.dropTable('jobs').execute();
      await tc.center.jobs.runOnce();
      const failed = tc.log.filter((line) => line.includes('background job mail-delivery failed'));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/"level":40.*no such table: jobs.*"job":"mail-delivery"/);
      expect((await fetch(`${tc.center.url}/health`)).status).toBe(200);
    } finally {
      await tc.close();
    }
  });

  it('log every delivered mail once, without its address, body or link', async () => {
    const tc = await startTestCenter('sqlite');
    try {
      const { catalogue, accounts } = tc.center.services;
      const customer = await catalogue.createCustomer({ name: 'Acme' }, 'usr_test');
      if (!customer.ok) throw new Error(customer.detail);
      expect((await accounts.inviteCustomer(customer.value.id, 'owner@acme.example', 'usr_test')).ok).toBe(true);
      const before = tc.log.length;
      await tc.center.jobs.runOnce();
      await tc.center.jobs.runOnce();
      const delivered = tc.log.slice(before).filter((line) => line.includes('mail written to the outbox folder'));
      expect(delivered).toHaveLength(1);
      const line = JSON.parse(delivered[0]!) as Record<string, unknown>;
      expect(line).toMatchObject({
        level: 30,
        id: expect.stringMatching(/^mail_/),
        subject: 'Set up your Acme account at the Tessera License Center',
        attempt: 1,
      });
      expect(delivered[0]).not.toMatch(/owner@acme\.example|#token=|invited to manage/);
    } finally {
      await tc.close();
    }
  });
});
