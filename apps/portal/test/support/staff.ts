/** What the staff browser tests share: a staff member's one-time login link, and a License Manager's request code. */
import { createRequestCode } from '@tessera/core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { StaffRole } from '../../../../packages/center/src/services/accounts/accounts.js';
import { makeLm } from '../../../../packages/center/test/support/licensing.js';
import type { TestCenter } from './vendor.js';

/** A new staff account and the address of its one-time login link on the running center. */
export async function staffLoginLink(tc: TestCenter, email: string, role: StaffRole): Promise<{ url: string; userId: string }> {
  const created = await tc.center.services.accounts.createStaff(email, role, 'usr_test');
  if (!created.ok) throw new Error(created.detail);
  return { url: linkOnCenter(tc, created.value.loginLink), userId: created.value.userId };
}

/** A login link as the center words it, pointed at the test center's real port. */
export function linkOnCenter(tc: TestCenter, loginLink: string): string {
  const token = /\/login-link#token=([A-Za-z0-9_-]+)$/.exec(loginLink)?.[1];
  if (!token) throw new Error(`not a login link: ${loginLink}`);
  return `${tc.center.url}/login-link#token=${token}`;
}

/** Opens a login link and waits for the staff home. */
export async function logInWithLink(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Staff', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/staff');
}

/** A License Manager and the request code it prints (nodes, months, any `more` asks), wrapped and indented as a terminal shows it. */
export function requestCodeOf(
  nodes: Record<string, number>,
  months = 12,
  more: { limits?: Record<string, number>; features?: string[] } = {},
) {
  const lm = makeLm();
  const code = createRequestCode(
    {
      contact: { name: 'Ann Operator', email: 'ann@globex.example', phone: '+1 555 0100' },
      host: { hostname: 'graph-07', os: 'linux x64', lmVersion: '0.1.0' },
      product: 'graphdb',
      nodes,
      limits: more.limits ?? {},
      features: more.features ?? [],
      months,
      createdAt: new Date().toISOString(),
    },
    lm,
  );
  if (!code.ok) throw new Error(code.detail);
  return { lm, code: code.value, pasted: `\n  ${code.value.match(/.{1,60}/g)!.join('\n  ')}\n` };
}
