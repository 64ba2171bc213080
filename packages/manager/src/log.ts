/**
 * The License Manager's logger: pino JSON lines to stdout, or to one file per UTC day with old days deleted.
 * Secrets never reach a line: known field names are redacted, and keys pasted into message text are masked.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LmConfig } from './config.js';

/** Field names whose values are secrets (or carry one), wherever they appear in the first three levels of a log object. */
const SECRET_FIELDS = [
  'key',
  'onlineKey',
  'licenseKey',
  'license',
  'licenseText',
  'request',
  'requestCode',
  'token',
  'adminToken',
  'leaseToken',
  'accessToken',
  'password',
  'secret',
  'privateKey',
  'authorization',
  'cookie',
];

/** pino `redact` paths; the HTTP server reuses them. A wildcard matches one level, hence the three depths. */
export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

const CENSOR = '[redacted]';
const DAY_MS = 86_400_000;
const FILE_NAME = /^tessera-lm-(\d{4}-\d{2}-\d{2})\.log$/;

/** Signed documents and online keys inside message text (`log.info(\`loaded ${key}\`)`), which redact cannot see. */
const SECRET_TEXT: [RegExp, string][] = [
  [/-----BEGIN TESSERA [A-Z ]+-----[\s\S]*?(?:-----END TESSERA [A-Z ]+-----|$)/g, CENSOR],
  [/(tessera-[a-z]+):\d+\.[\w-]+(?:\.[\w-]+)?/g, `$1:${CENSOR}`],
  [/\b[0-9A-Za-z]{5}(?:-[0-9A-Za-z]{5}){4}\b/g, CENSOR],
];

/**
 * Builds the daemon's logger from the `log` section of the config. In file mode the folder is created (mode 0700)
 * and files older than keepDays are deleted now and at every day switch; throws if the folder cannot be created.
 */
export function createLogger(log: LmConfig['log'], options: { now?: () => number } = {}): { logger: Logger; close(): void } {
  const now = options.now ?? (() => Date.now());
  const destination: DestinationStream & { close(): void } =
    log.mode === 'file' && log.path !== null ? new DailyFiles(log.path, log.keepDays, now) : consoleDestination();
  const logger = pino(
    {
      level: log.level,
      timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskSecrets(arg) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  return { logger, close: () => destination.close() };
}

function maskSecrets(text: string): string {
  return SECRET_TEXT.reduce((masked, [pattern, replacement]) => masked.replace(pattern, replacement), text);
}

function consoleDestination(): DestinationStream & { close(): void } {
  // Synchronous, so the last lines before an exit are not lost; stdout itself is never closed.
  const stdout = pino.destination({ dest: 1, sync: true });
  return { write: (line: string) => stdout.write(line), close: () => undefined };
}

/** Appends each line to `tessera-lm-YYYY-MM-DD.log` of the current UTC day. */
class DailyFiles implements DestinationStream {
  private day = '';
  private fd: number | null = null;
  private closed = false;
  private failing = false;

  constructor(
    private readonly folder: string,
    private readonly keepDays: number,
    private readonly now: () => number,
  ) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    this.switchTo(utcDay(now()));
  }

  write(line: string): void {
    if (this.closed) return;
    try {
      const day = utcDay(this.now());
      if (day !== this.day || this.fd === null) this.switchTo(day);
      writeSync(this.fd!, line);
      this.failing = false;
    } catch (error) {
      // A full disk must not take the daemon down: the line goes to stderr, with the reason once per outage.
      if (!this.failing) process.stderr.write(`tessera-lm: cannot write the log file in ${this.folder}: ${String(error)}\n`);
      this.failing = true;
      process.stderr.write(line);
    }
  }

  close(): void {
    this.closed = true;
    this.closeFile();
  }

  private switchTo(day: string): void {
    this.closeFile();
    this.day = day;
    this.fd = openSync(join(this.folder, `tessera-lm-${day}.log`), 'a', 0o600);
    this.deleteOldFiles();
  }

  private closeFile(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  /** Deletes days more than keepDays before today, so at least keepDays full days of history stay. */
  private deleteOldFiles(): void {
    const today = Date.parse(`${this.day}T00:00:00Z`);
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      return;
    }
    for (const name of names) {
      const day = FILE_NAME.exec(name)?.[1];
      if (day === undefined) continue;
      const age = (today - Date.parse(`${day}T00:00:00Z`)) / DAY_MS;
      if (!(age > this.keepDays)) continue;
      try {
        rmSync(join(this.folder, name), { force: true });
      } catch {
        // Left for the next day switch; logging goes on.
      }
    }
  }
}

function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
