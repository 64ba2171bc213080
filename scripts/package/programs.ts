/**
 * The two programs `npm run package` ships, each as a tarball and a .deb: the License Manager (tessera-lm) and the
 * License Center (tessera-center, with the built portal). What differs between them is said here; how a package
 * is laid out is tarball.ts's and deb.ts's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ProgramName = 'tessera-lm' | 'tessera-center';

export interface Program {
  name: ProgramName;
  /** The workspace whose package.json version the packages carry. */
  workspace: string;
  /** The CLI's source (its main module), bundled. */
  entry: string;
  title: string;
  /** The .deb's one-line description and the paragraph under it. */
  summary: string;
  description: string;
  /** Which native addons the bundle loads. */
  natives: ('better-sqlite3' | 'argon2')[];
  /** The commented example configuration: in share/ of the tarball, a conffile of the .deb at `installedAs`. */
  config: { source: string; installedAs: string };
  /** The systemd unit (deploy/systemd/), in share/ of the tarball and installed by the .deb. */
  unit: string;
  /** Folders copied into share/ of the tarball (relative to the repository): the License Center's portal. */
  share: { from: string; as: string; only?: string[] }[];
  /** Shell lines the launcher runs before the program, with $home the unpacked folder. */
  launcherEnv: string[];
  /** What the .deb's postinst prints after a first install. */
  nextSteps: string;
  /** Why the state folder is kept on purge (postrm's message). */
  kept: string;
}

export const PROGRAMS: Record<ProgramName, Program> = {
  'tessera-lm': {
    name: 'tessera-lm',
    workspace: 'packages/manager',
    entry: 'packages/manager/src/cli/main.ts',
    title: 'the Tessera License Manager',
    summary: 'Tessera License Manager: leases licensed node seats to the products next to it',
    description:
      'The customer-side daemon and CLI of Tessera, an open software licensing platform. It loads one license key ' +
      "(online, synced with the vendor's License Center, or offline), and leases node seats to the product's " +
      'processes, refusing seats beyond what was bought. It ships its own Node.js runtime.',
    natives: ['better-sqlite3'],
    config: { source: 'deploy/tessera-lm.example.yaml', installedAs: '/etc/tessera-lm/config.yaml' },
    unit: 'deploy/systemd/tessera-lm.service',
    // The console page's scripts (tsc output, served at /console/): the bundle has no dist beside it.
    share: [{ from: 'packages/manager/dist/http/console', as: 'console', only: ['browser.js', 'forms.js'] }],
    launcherEnv: ['export TESSERA_LM_CONSOLE_DIR="${TESSERA_LM_CONSOLE_DIR:-$home/share/console}"'],
    nextSteps: [
      'tessera-lm is installed. Next:',
      "  1. put the vendor's trust file in /etc/tessera-lm/trust-bundle.json (the License Center serves it: /v1/trust-bundle)",
      '  2. check /etc/tessera-lm/config.yaml (online mode: center: url: <the License Center>)',
      '  3. systemctl enable --now tessera-lm, then: tessera-lm --config /etc/tessera-lm/config.yaml info',
    ].join('\n'),
    kept: "it holds this License Manager's identity key, from which its LMID derives, and its license",
  },
  'tessera-center': {
    name: 'tessera-center',
    workspace: 'packages/center',
    entry: 'packages/center/src/cli/main.ts',
    title: 'the Tessera License Center',
    summary: "Tessera License Center: the vendor's licensing service and web portal",
    description:
      'The vendor side of Tessera, an open software licensing platform: products, customers, contracts, licenses and ' +
      'their keys, License Manager sync, installation packages and the web portal, on SQLite or PostgreSQL. It ships ' +
      'its own Node.js runtime.',
    natives: ['better-sqlite3', 'argon2'],
    config: { source: 'deploy/tessera-center.example.env', installedAs: '/etc/tessera-center/center.env' },
    unit: 'deploy/systemd/tessera-center.service',
    share: [{ from: 'apps/portal/dist', as: 'portal' }],
    launcherEnv: ['export TESSERA_PORTAL_DIR="${TESSERA_PORTAL_DIR:-$home/share/portal}"'],
    nextSteps: [
      'tessera-center is installed. Next:',
      '  1. set TESSERA_PUBLIC_URL (and DATABASE_URL, SMTP_URL) in /etc/tessera-center/center.env',
      '  2. systemctl enable --now tessera-center',
      '  3. a first admin: runuser -u tessera-center -- tessera-center --data /var/lib/tessera-center staff create --email you@vendor.example --role admin',
    ].join('\n'),
    kept: 'it holds the database and the master key that seals the signing keys',
  },
};

/** The version the packages of `program` carry: its workspace's package.json version. */
export function versionOf(repo: string, program: Program): string {
  return (JSON.parse(readFileSync(join(repo, program.workspace, 'package.json'), 'utf8')) as { version: string }).version;
}
