/**
 * What the package tests share: a vendor (root, signing key, the trust file a License Manager is given, licenses
 * signed for an LMID), a PATH on which there is no Node.js, and the packaged programs as child processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatTrustRoot,
  generateEd25519,
  generateSigningKey,
  issueLicense,
  rawPublicKey,
  rootKidForPublicKey,
  serializeTrustFile,
  signTrustBundle,
} from '@tessera/core';

const DAY = 86_400_000;

export interface Vendor {
  /** The trust file (roots and the root-signed bundle), as `tessera-center trust-bundle` prints it. */
  trustFile: string;
  /** An offline license for `lmid`: 2 query nodes of graphdb, valid for a year from now. */
  licenseFor(lmid: string): string;
}

export function makeVendor(): Vendor {
  const { privateKey } = generateEd25519();
  const rootRaw = rawPublicKey(privateKey);
  const root = { kid: rootKidForPublicKey(rootRaw), privateKey };
  const signing = generateSigningKey();
  const bundle = signTrustBundle(
    { serial: 1, issuedAt: new Date().toISOString(), keys: [{ kid: signing.kid, state: 'active', publicKeyRaw: signing.publicKeyRaw }] },
    root,
  );
  return {
    trustFile: serializeTrustFile([formatTrustRoot(rootRaw)], bundle),
    licenseFor(lmid) {
      const now = Date.now();
      const issued = issueLicense(
        {
          id: 'lic_packagetest',
          serial: 1,
          product: 'graphdb',
          customer: { id: 'cus_packagetest', name: 'Package Test' },
          nodes: { query: 2 },
          limits: {},
          features: [],
          issuedAt: new Date(now - DAY).toISOString(),
          startsAt: new Date(now - DAY).toISOString(),
          expiresAt: new Date(now + 365 * DAY).toISOString(),
          mode: 'offline',
          lmid,
        },
        signing,
      );
      if (!issued.ok) throw new Error(issued.detail);
      return issued.value;
    },
  };
}

/**
 * A PATH with the few tools the launchers use (readlink) and no node, npm or npx, so a package that needs a
 * Node.js of the host fails here. The folder is open to every user: the .debs' programs run as their own.
 */
export function pathWithoutNode(dir: string): string {
  const bin = join(dir, 'path-without-node');
  mkdirSync(bin, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(bin, 0o755);
  for (const tool of ['readlink']) {
    const found = ['/usr/bin', '/bin'].map((prefix) => join(prefix, tool)).find((path) => existsSync(path));
    if (!found) throw new Error(`${tool} is not in /usr/bin or /bin`);
    if (!existsSync(join(bin, tool))) symlinkSync(found, join(bin, tool));
  }
  for (const tool of ['node', 'npm', 'npx']) {
    const search = spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } });
    if (search.status === 0) throw new Error(`${tool} is on the test PATH ${bin}`);
  }
  return bin;
}

export interface Running {
  child: ChildProcess;
  /** What the program printed when it said it listens: an http URL. */
  url: string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * The user and group ids to run as `user` (as its service does: Node drops root's supplementary groups), or
 * nothing for this process's own.
 */
function idsOf(user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const entry = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':');
  if (entry.length < 4) throw new Error(`there is no user ${user}`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * Starts a server program (`command` with `args`, optionally as `user`) and waits, at most 20 s,
 * for its "serving on <url>" line on standard error.
 */
export function startServer(command: string, args: string[], options: { env: NodeJS.ProcessEnv; user?: string }): Promise<Running> {
  const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], ...idsOf(options.user) });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not start within 20 s: ${output}`));
    }, 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving on (https?:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it served: ${output}`));
    });
  });
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (20 s at most), with `input` on standard input. */
export function runCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; user?: string } = {}): Run {
  const run = spawnSync(command, args, {
    ...idsOf(options.user),
    encoding: 'utf8',
    timeout: 20_000,
    ...(options.env ? { env: options.env } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? (run.error ? String(run.error) : '') };
}

/** POSTs JSON and answers status and body. */
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}
