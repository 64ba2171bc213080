/** Global CLI options: where the LM is (--addr) and where its admin token is (--token, or dataPath from --config). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, formatProblems } from '../config.js';
import { LmClient } from './client.js';
import { CliError, EXIT } from './errors.js';

export interface GlobalOptions {
  addr?: string;
  config?: string;
  dataPath?: string;
  token?: string;
  json?: boolean;
}

export const DEFAULT_CONFIG = '/etc/tessera-lm/config.yaml';

export function clientFor(options: GlobalOptions, admin: boolean): LmClient {
  const configFile = options.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null);
  let addr = options.addr;
  let dataPath = options.dataPath ?? null;
  if (configFile && (!addr || (admin && !dataPath && !options.token))) {
    const loaded = loadConfig(configFile);
    if (!loaded.ok) throw new CliError(formatProblems(configFile, loaded.problems).trimEnd(), EXIT.CONFIG, 'BAD_REQUEST');
    const { host, port } = loaded.config;
    addr ??= `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
    dataPath ??= loaded.config.dataPath;
  }
  let token = options.token ?? null;
  if (admin && !token && dataPath) {
    try {
      token = readFileSync(join(dataPath, 'admin.token'), 'utf8').trim();
    } catch {
      throw new CliError(
        `Cannot read the admin token in ${join(dataPath, 'admin.token')}: run this as the user the License Manager runs as (or root), or pass --token.`,
        EXIT.UNAUTHORIZED,
        'UNAUTHORIZED',
      );
    }
  }
  return new LmClient({ addr: addr ?? '127.0.0.1:9119', token });
}
