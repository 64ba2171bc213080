import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCenterConfig } from '../../config.js';
import type { CenterFlags } from '../../config.js';
import { startCenter } from '../../app.js';
import type { Center } from '../../app.js';
import { CliError, EXIT } from '../context.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the License Center (HTTP API); migrates the database first')
    // No defaults here: an option left out falls back to TESSERA_HOST and PORT (config.ts), as the systemd unit sets them.
    .option('--host <host>', 'address to listen on (default: TESSERA_HOST, else 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: PORT, else 8080)')
    .option(
      '--first-admin <email>',
      'make sure an admin with this email exists (made on the first start) and print a one-time login link for it; for the quickstart',
    )
    .action(async (options: { host?: string; port?: string; firstAdmin?: string }, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags>();
      const loaded = loadCenterConfig({ ...globals, host: options.host, port: options.port });
      if (!loaded.ok)
        throw new CliError(`The configuration has problems:\n${loaded.problems.map((p) => `  ${p}`).join('\n')}`, EXIT.CONFIG);
      let center: Center;
      try {
        center = await startCenter(loaded.config);
      } catch (error) {
        throw new CliError(`Cannot start: ${(error as Error).message}`, EXIT.CONFIG);
      }
      process.stderr.write(`tessera-center serving on ${center.url} (${center.services.dialect})\n`);
      if (options.firstAdmin !== undefined) {
        try {
          process.stdout.write(welcome(center, await firstAdminLink(center, options.firstAdmin)));
        } catch (error) {
          await center.close();
          throw error;
        }
      }
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await center.close();
    });
}

/** The admin's login link: a new account on the first start, a fresh link for the same admin on every later one. */
async function firstAdminLink(center: Center, email: string): Promise<string> {
  const { accounts, db } = center.services;
  const address = email.trim().toLowerCase();
  const existing = await db.selectFrom('users').select(['id', 'role', 'status']).where('email', '=', address).executeTakeFirst();
  if (existing && (existing.role !== 'admin' || existing.status !== 'active'))
    throw new CliError(`${address} has an account that is not an active admin; pick another --first-admin email.`, EXIT.USAGE);
  const link = existing ? await accounts.issueLoginLink(existing.id, 'cli') : await accounts.createStaff(address, 'admin', 'cli');
  if (!link.ok) throw new CliError(link.detail, EXIT.USAGE);
  return link.value.loginLink;
}

/**
 * What a newcomer needs after the first start, and nothing that is not there: where the portal is, the login link,
 * what to do first, where the mails go and how to read them, where the License Manager comes from.
 */
function welcome(center: Center, loginLink: string): string {
  const { config, dialect } = center.services;
  const data = config.dataDir === resolve('data') ? '' : ` --data ${config.dataDir}`;
  const mails = config.smtp
    ? `Mails go out through the SMTP server ${config.smtp.host}.`
    : `Mails (invitations, license changes) are written to ${config.outboxDir}, as no SMTP_URL is set; read them with\n` +
      `  npx tessera-center${data} mail list      and      npx tessera-center${data} mail show <id>`;
  return `
License Center: ${center.url}   (${dialect === 'sqlite' ? 'SQLite in the data folder' : 'PostgreSQL'})
API reference:  ${center.url}/docs   (OpenAPI 3.1: ${center.url}/openapi.json)

First admin login link (works once, for 1 hour; a new one is printed on every start):
  ${loginLink}
Open it in a browser, then in the staff portal: add a product, a customer, a contract for it, and invite the
customer's users; they bind a License Manager (tessera-lm, downloadable from the portal once published) and copy keys.
${mails}
Stop with Ctrl-C.
`;
}
