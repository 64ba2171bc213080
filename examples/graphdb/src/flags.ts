/**
 * Node flags, read the way NebulaGraph's graphd and storaged read theirs: `--name=value` on the command line or
 * one per line in a flag file (`--flagfile`), the command line winning. Pure: the caller passes file reading in.
 */

export type Role = 'query' | 'storage';
export const ROLES: readonly Role[] = ['query', 'storage'];

export interface NodeFlags {
  role: Role;
  nodeId: string;
  /** The License Manager's base URL, `http://host:port`, or its replicas' in the order they are tried. */
  licenseManagerUrls: string[];
  localIp: string;
  port: number;
  /** Query nodes: the storage nodes' `host:port`, in the order keys are routed over them. */
  storageAddrs: string[];
  /** How often the SDK heartbeats its seat; null leaves the SDK's own default. */
  heartbeatMs: number | null;
}

export type FlagsResult = { ok: true; flags: NodeFlags } | { ok: false; message: string };

/** Default ports are NebulaGraph's: graphd 9669, storaged 9779. */
const DEFAULT_PORT: Record<Role, number> = { query: 9669, storage: 9779 };

const KNOWN = ['flagfile', 'role', 'node_id', 'license_manager_url', 'local_ip', 'port', 'storage_addrs', 'heartbeat_ms'] as const;
type FlagName = (typeof KNOWN)[number];
type RawFlags = Partial<Record<FlagName, string>>;

export const USAGE =
  'usage: graphdb --role query|storage --node-id <id> --license_manager_url <host:port>[,host:port...] ' +
  '[--flagfile <file>] [--port N] [--local_ip A] [--storage_addrs host:port,...] [--heartbeat_ms N]';

/**
 * Said for a --trust left over from earlier releases, on the command line and in the flag file alike: the vendor's
 * root is compiled into graphdb, so no file a customer names can change what it trusts.
 */
export function trustRemoved(where = ''): string {
  return `--trust${where} is no longer a flag: graphdb trusts only the vendor's root key compiled into it, and the License Manager serves the vendor's trust bundle; remove --trust (see README)`;
}

class FlagError extends Error {}

/** `--node-id` and `--node_id` are the same flag: gflags users write underscores, shell users dashes. */
function flagName(written: string, where: string): FlagName {
  const name = written.replace(/-/g, '_');
  if (name === 'trust') throw new FlagError(trustRemoved(where));
  if (!(KNOWN as readonly string[]).includes(name)) {
    throw new FlagError(`unknown flag --${written}${where}; the flags are ${KNOWN.map((k) => `--${k}`).join(', ')}`);
  }
  return name as FlagName;
}

function parseArgv(argv: readonly string[]): RawFlags {
  const raw: RawFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([A-Za-z][\w-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!match) throw new FlagError(`"${arg}" is not a flag; write --name=value or --name value`);
    const name = flagName(match[1]!, '');
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new FlagError(`--${match[1]} needs a value`);
      i++;
    }
    raw[name] = value;
  }
  return raw;
}

/** A flag file: `--name=value` lines; blank lines and `#` comments are skipped, as in nebula's *.conf files. */
function parseFlagFile(text: string, file: string): RawFlags {
  const raw: RawFlags = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = ` (${file} line ${index + 1})`;
    const match = /^--([A-Za-z][\w-]*)=(.*)$/.exec(trimmed);
    if (!match) throw new FlagError(`"${trimmed}" is not a --name=value line${where}`);
    const name = flagName(match[1]!, where);
    if (name === 'flagfile') throw new FlagError(`a flag file cannot name another flag file${where}`);
    raw[name] = match[2]!.trim();
  });
  return raw;
}

function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new FlagError(`--${flag} must be a port number from 0 to 65535, not "${text}"`);
  return Number(text);
}

/** Accepts nebula's `host:port` and a full `http(s)://host:port` URL alike. */
function parseLmUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new FlagError(`--license_manager_url must be host:port (for example 127.0.0.1:9119), not "${text}"`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.hostname === '' || url.pathname !== '/' || url.search || url.hash) {
    throw new FlagError(`--license_manager_url must be host:port (for example 127.0.0.1:9119), not "${text}"`);
  }
  return `${url.protocol}//${url.host}`;
}

/** Replicas of one License Manager sharing one database: the SDK moves to the next when one is silent. */
const MAX_LM_URLS = 8;

function parseLmUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map(parseLmUrl);
  if (urls.length === 0) throw new FlagError('--license_manager_url needs at least one host:port');
  if (urls.length > MAX_LM_URLS) throw new FlagError(`--license_manager_url names at most ${MAX_LM_URLS} replicas, not ${urls.length}`);
  if (new Set(urls).size !== urls.length) throw new FlagError('--license_manager_url names the same License Manager twice');
  return urls;
}

function parseStorageAddrs(text: string): string[] {
  const addrs = text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  for (const addr of addrs) {
    const match = /^([\w.-]+|\[[\da-fA-F:]+\]):(\d+)$/.exec(addr);
    if (!match) throw new FlagError(`--storage_addrs takes host:port,host:port; "${addr}" is not host:port`);
    parsePort(match[2]!, 'storage_addrs');
  }
  if (new Set(addrs).size !== addrs.length) throw new FlagError('--storage_addrs names the same storage node twice');
  return addrs;
}

function required(raw: RawFlags, name: FlagName, why: string): string {
  const value = raw[name];
  if (value === undefined || value === '') throw new FlagError(`--${name} is missing: ${why}`);
  return value;
}

/**
 * Reads the command line (and the flag file it names). Every problem is one sentence that names the flag, so a
 * person can fix it; the program exits 2 with it.
 */
export function parseFlags(argv: readonly string[], readFile: (path: string) => string): FlagsResult {
  try {
    const cli = parseArgv(argv);
    let fromFile: RawFlags = {};
    if (cli.flagfile !== undefined) {
      let text: string;
      try {
        text = readFile(cli.flagfile);
      } catch (error) {
        throw new FlagError(`cannot read the flag file ${cli.flagfile}: ${(error as Error).message}`);
      }
      fromFile = parseFlagFile(text, cli.flagfile);
    }
    const raw: RawFlags = { ...fromFile, ...cli };
    const roleText = required(raw, 'role', 'say which node this is, query or storage');
    if (!(ROLES as readonly string[]).includes(roleText)) throw new FlagError(`--role must be query or storage, not "${roleText}"`);
    const role = roleText as Role;
    const nodeId = required(raw, 'node_id', 'every node needs an id of its own, for example --node-id q1');
    if (!/^[\w.:-]{1,128}$/.test(nodeId))
      throw new FlagError(`--node_id may hold letters, digits and . _ : - (at most 128), not "${nodeId}"`);
    const lm = required(
      raw,
      'license_manager_url',
      'graphdb runs only with a License Manager; give its host:port (for example 127.0.0.1:9119)',
    );
    const storageAddrs = raw.storage_addrs === undefined ? [] : parseStorageAddrs(raw.storage_addrs);
    if (role === 'query' && storageAddrs.length === 0) {
      throw new FlagError('--storage_addrs is missing: a query node needs the storage nodes it sends data to (host:port,host:port)');
    }
    let heartbeatMs: number | null = null;
    if (raw.heartbeat_ms !== undefined) {
      if (!/^\d+$/.test(raw.heartbeat_ms) || Number(raw.heartbeat_ms) < 100) {
        throw new FlagError(`--heartbeat_ms must be a whole number of milliseconds, at least 100, not "${raw.heartbeat_ms}"`);
      }
      heartbeatMs = Number(raw.heartbeat_ms);
    }
    const localIp = raw.local_ip ?? '127.0.0.1';
    if (!/^[\w.:-]+$/.test(localIp)) throw new FlagError(`--local_ip must be an address to listen on, not "${localIp}"`);
    return {
      ok: true,
      flags: {
        role,
        nodeId,
        licenseManagerUrls: parseLmUrls(lm),
        localIp,
        port: raw.port === undefined ? DEFAULT_PORT[role] : parsePort(raw.port, 'port'),
        storageAddrs,
        heartbeatMs,
      },
    };
  } catch (error) {
    if (error instanceof FlagError) return { ok: false, message: error.message };
    throw error;
  }
}
