import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCenterConfig } from '../../config.js';
import type { CenterConfig, CenterFlags } from '../../config.js';
import { parseEml } from '../../services/mail/eml.js';
import type { OutboxMail } from '../../services/mail/eml.js';
import { CliError, EXIT } from '../context.js';

/**
 * `tessera-center mail list` and `mail show [id]`: the mails the License Center wrote to its outbox folder because no
 * SMTP server is set (the quickstart), readable without decoding MIME, with their links whole and on one line.
 * Only files are read, so it works while `serve` runs, and needs no database.
 */
export function mailCommand(program: Command): void {
  const mail = program.command('mail').description('the mails written to the outbox folder (DATA/outbox) when no SMTP server is set');
  mail
    .command('list')
    .description('the mails in the outbox folder, oldest first')
    .option('--to <address>', 'only the mails to this address')
    .action(async (options: { to?: string }, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags & { json?: boolean }>();
      const config = configOf(globals);
      const mails = (await readOutbox(config)).filter((m) => options.to === undefined || addressed(m, options.to));
      if (globals.json) {
        process.stdout.write(
          JSON.stringify(
            mails.map(({ text: _text, ...headers }) => headers),
            null,
            2,
          ) + '\n',
        );
        return;
      }
      if (mails.length === 0) {
        process.stdout.write(
          `No mails in ${config.outboxDir}${config.smtp ? ` (mails go to the SMTP server ${config.smtp.host})` : ''}.\n`,
        );
        return;
      }
      for (const m of mails) process.stdout.write(`${m.id}  ${m.date}  to ${m.to}\n    ${m.subject}\n`);
      process.stdout.write(`\n${mails.length} mail${mails.length === 1 ? '' : 's'}; read one with: tessera-center mail show <id>\n`);
    });
  mail
    .command('show')
    .description('one mail: its headers and its text, decoded (the newest one without an id)')
    .argument('[id]', 'the mail id (mail_…) or file name that mail list shows')
    .option('--to <address>', 'without an id, the newest mail to this address')
    .action(async (id: string | undefined, options: { to?: string }, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags & { json?: boolean }>();
      const config = configOf(globals);
      const mails = (await readOutbox(config)).filter((m) => options.to === undefined || addressed(m, options.to));
      const found = id === undefined ? mails.at(-1) : mails.find((m) => m.id === id || m.file === id || m.file === `${id}.eml`);
      if (!found)
        throw new CliError(
          id === undefined ? `No mails in ${config.outboxDir}.` : `No mail ${id} in ${config.outboxDir}; see tessera-center mail list.`,
          EXIT.FAILED,
        );
      if (globals.json) {
        process.stdout.write(JSON.stringify(found, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        `From:    ${found.from}\nTo:      ${found.to}\nDate:    ${found.date}\nSubject: ${found.subject}\nFile:    ${join(config.outboxDir, found.file)}\n\n${found.text.replace(/\n*$/, '\n')}`,
      );
    });
}

interface ListedMail extends OutboxMail {
  id: string;
  file: string;
}

function configOf(flags: CenterFlags): CenterConfig {
  const loaded = loadCenterConfig(flags);
  if (!loaded.ok) throw new CliError(`The configuration has problems:\n${loaded.problems.map((p) => `  ${p}`).join('\n')}`, EXIT.CONFIG);
  return loaded.config;
}

/** The folder's mails, oldest first (their names begin with the time they were queued). */
async function readOutbox(config: CenterConfig): Promise<ListedMail[]> {
  let names: string[];
  try {
    names = (await readdir(config.outboxDir)).filter((name) => name.endsWith('.eml')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`Cannot read ${config.outboxDir}: ${(error as NodeJS.ErrnoException).code}.`, EXIT.FAILED);
  }
  const mails: ListedMail[] = [];
  for (const file of names) {
    const mail = parseEml(await readFile(join(config.outboxDir, file), 'utf8'));
    mails.push({ id: /(mail_[0-9a-f]+)\.eml$/.exec(file)?.[1] ?? file, file, ...mail });
  }
  return mails;
}

function addressed(mail: OutboxMail, address: string): boolean {
  return mail.to.toLowerCase().includes(address.trim().toLowerCase());
}
