/**
 * Global CLI options: where the LM is (--addr, or the config), whether it serves HTTPS and with which certificate
 * (the config's tls), and where its admin token is: admin.token in the data path, or --token-file (a file, or `-`
 * for standard input). A token is never taken from the command line, where every user of the host sees it (ps).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, formatProblems } from '../config.js';
import type { LmConfig } from '../config.js';
import { LmClient, lmCertificate } from './client.js';
import type { LmCertificate } from './client.js';
import { CliError, EXIT } from './errors.js';

export interface GlobalOptions {
  addr?: string;
  config?: string;
  dataPath?: string;
  tokenFile?: string;
  /** The removed --token flag, kept only to say what replaces it. */
  token?: string;
  json?: boolean;
}

export const DEFAULT_CONFIG = '/etc/tessera-lm/config.yaml';

export function clientFor(options: GlobalOptions, admin: boolean): LmClient {
  if (options.token !== undefined) {
    throw new CliError(
      '--token is gone: a token on the command line is visible to every user of this host (ps). Use --token-file FILE, or --token-file - to read it from standard input; on the License Manager host the CLI reads admin.token itself (--config or --data-path).',
      EXIT.USAGE,
      'BAD_REQUEST',
    );
  }
  const configFile = options.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null);
  let addr = options.addr;
  let dataPath = options.dataPath ?? null;
  let config: LmConfig | null = null;
  // A config given by name is always read (it says whether the LM serves HTTPS); the default one when needed.
  if (configFile && (options.config !== undefined || !addr || (admin && !dataPath && !options.tokenFile))) {
    const loaded = loadConfig(configFile);
    if (!loaded.ok) throw new CliError(formatProblems(configFile, loaded.problems).trimEnd(), EXIT.CONFIG, 'BAD_REQUEST');
    config = loaded.config;
    const { host, port } = config;
    addr ??= `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
    dataPath ??= config.dataPath;
  }
  const token = admin ? adminToken(options.tokenFile, dataPath) : null;
  return new LmClient({ addr: addr ?? '127.0.0.1:9119', token, certificate: config?.tls ? certificateOf(config.tls.cert) : null });
}

function adminToken(tokenFile: string | undefined, dataPath: string | null): string | null {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile === '-' ? 0 : tokenFile, 'utf8');
    } catch (error) {
      throw new CliError(
        `Cannot read the admin token from ${tokenFile === '-' ? 'standard input' : tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        EXIT.UNAUTHORIZED,
        'UNAUTHORIZED',
      );
    }
    const token = text.trim();
    if (!token) throw new CliError(`--token-file ${tokenFile} holds no token.`, EXIT.UNAUTHORIZED, 'UNAUTHORIZED');
    return token;
  }
  if (!dataPath) return null;
  try {
    return readFileSync(join(dataPath, 'admin.token'), 'utf8').trim();
  } catch {
    throw new CliError(
      `Cannot read the admin token in ${join(dataPath, 'admin.token')}: run this as the user the License Manager runs as (or root), or pass --token-file.`,
      EXIT.UNAUTHORIZED,
      'UNAUTHORIZED',
    );
  }
}

function certificateOf(file: string): LmCertificate {
  let certificate: LmCertificate;
  try {
    certificate = lmCertificate(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `Cannot read the License Manager's certificate ${file} (tls.cert): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      EXIT.CONFIG,
      'BAD_REQUEST',
    );
  }
  if (certificate.pem.length === 0) {
    throw new CliError(`The License Manager's certificate ${file} (tls.cert) holds no PEM certificate.`, EXIT.CONFIG, 'BAD_REQUEST');
  }
  return certificate;
}
