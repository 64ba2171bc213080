import type { Command } from 'commander';
import type { CenterFlags } from '../../config.js';
import type { StaffRole } from '../../services/accounts/accounts.js';
import { STAFF_ROLES } from '../../services/accounts/sessions.js';
import { CliError, EXIT, withServices } from '../context.js';

export function staffCommand(program: Command): void {
  const staff = program.command('staff').description('vendor staff accounts');
  staff
    .command('create')
    .description('create a staff account; prints a one-time login link (valid 1 hour), and an API token with --api-token')
    .requiredOption('--email <email>', 'the staff member’s email')
    .requiredOption('--role <role>', `one of ${STAFF_ROLES.join(', ')}`)
    .option('--name <name>', 'the name shown in the portal (default: the email)')
    .option('--api-token', 'also make an API token for automation (shown once)')
    .action(async (options: { email: string; role: string; name?: string; apiToken?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags & { json?: boolean }>();
      if (!STAFF_ROLES.includes(options.role as StaffRole))
        throw new CliError(`--role must be one of ${STAFF_ROLES.join(', ')} (got "${options.role}").`, EXIT.USAGE);
      const created = await withServices(globals, ({ accounts }) =>
        accounts.createStaff(options.email, options.role as StaffRole, 'cli', {
          apiToken: options.apiToken === true,
          ...(options.name ? { name: options.name } : {}),
        }),
      );
      if (!created.ok) throw new CliError(created.detail, EXIT.FAILED);
      const { userId, loginLink, apiToken } = created.value;
      if (globals.json) {
        process.stdout.write(JSON.stringify({ userId, loginLink, ...(apiToken ? { apiToken } : {}) }, null, 2) + '\n');
        return;
      }
      process.stdout.write(`Created ${options.role} ${userId} (${options.email.trim().toLowerCase()}).\n`);
      process.stdout.write(`One-time login link (valid 1 hour; shown only now):\n  ${loginLink}\n`);
      if (apiToken) process.stdout.write(`API token (send as "Authorization: Bearer …"; shown only now):\n  ${apiToken}\n`);
    });
}
