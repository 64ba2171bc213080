/**
 * The License Manager's packages as a customer installs them: which system each package is for (the tarball runs on
 * any Linux of its architecture, the .deb on Debian and Ubuntu), the visitor's own system, and the exact shell
 * commands for each kind, from the download to `tessera-lm info`. The commands are shown in the bind wizard and
 * nowhere else writes them, so they are tested here as text.
 */
// No imports: scripts/package/test runs these commands against the real packages, from outside the portal's build.

export const LM_CONFIG = '/etc/tessera-lm/config.yaml';
const TRUST = '/etc/tessera-lm/trust-bundle.json';

export type LmKind = 'tarball' | 'deb';

/** What the commands need of a package (GET /v1/lm-packages answers more). */
export interface LmPackage {
  filename: string;
  platform: string;
  sha256: string;
}

/** A system the License Manager runs on, and its newest package of each kind. */
export interface LmSystem<P extends LmPackage = LmPackage> {
  /** linux-x64, linux-arm64, ...: the tarball's platform; the .deb's (debian-amd64) is listed under it. */
  system: string;
  label: string;
  packages: Partial<Record<LmKind, P>>;
}

const DEBIAN_ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64' };
const ARCH_LABEL: Record<string, string> = { x64: 'x86-64', arm64: 'ARM64' };

/** The system a package platform is for: debian-amd64 → linux-x64; any other is its own. */
export function systemOf(platform: string): string {
  const debian = /^debian-(\w+)$/.exec(platform);
  return debian ? `linux-${DEBIAN_ARCH[debian[1]!] ?? debian[1]}` : platform;
}

export function kindOf(item: LmPackage): LmKind | null {
  if (item.filename.endsWith('.deb')) return 'deb';
  if (item.filename.endsWith('.tar.gz')) return 'tarball';
  return null;
}

function labelOf(system: string): string {
  const [os, arch] = system.split('-');
  const name = os === 'linux' ? 'Linux' : os === 'darwin' ? 'macOS' : os === 'windows' ? 'Windows' : os;
  return arch ? `${name} ${ARCH_LABEL[arch] ?? arch}` : system;
}

/** The packages (newest first, as listed) grouped by system, the newest of each kind; Linux x86-64 first. */
export function lmSystems<P extends LmPackage>(items: P[]): LmSystem<P>[] {
  const systems = new Map<string, LmSystem<P>>();
  for (const item of items) {
    const kind = kindOf(item);
    if (!kind) continue;
    const system = systemOf(item.platform);
    const entry = systems.get(system) ?? { system, label: labelOf(system), packages: {} };
    entry.packages[kind] ??= item;
    systems.set(system, entry);
  }
  return [...systems.values()].sort((a, b) => Number(b.system === 'linux-x64') - Number(a.system === 'linux-x64'));
}

/** The visitor's system from the browser's own words, when they name one: "Linux x86_64" → linux-x64. */
export function visitorSystem(userAgent: string): string | null {
  const os = /Windows/.test(userAgent)
    ? 'windows'
    : /Mac OS X|Macintosh/.test(userAgent)
      ? 'darwin'
      : /Linux|X11/.test(userAgent)
        ? 'linux'
        : null;
  if (!os) return null;
  const arch = /aarch64|arm64|ARM64/.test(userAgent) ? 'arm64' : /x86_64|x64|amd64|Win64|WOW64|Intel/.test(userAgent) ? 'x64' : null;
  return arch ? `${os}-${arch}` : null;
}

/**
 * A download link at `origin`, the License Center the page came from (and the trust file's address in the same
 * commands), whatever public address the link was made with.
 */
export function linkAt(url: string, origin: string): string {
  const { pathname, search } = new URL(url, origin);
  return `${origin}${pathname}${search}`;
}

/** Downloading with a signed link and checking the file against its sha256 before anything else. */
function download(item: LmPackage, url: string): string[] {
  return [`curl -fLo ${item.filename} '${url}'`, `echo '${item.sha256}  ${item.filename}' | sha256sum -c -`];
}

/**
 * The tarball: unpacked in /opt, linked into /usr/local/bin, configured, started, asked for its LMID. It needs
 * nothing else on the machine (its Node.js runtime is inside).
 */
export function tarballCommands(item: LmPackage, url: string, origin: string): string[] {
  return [
    '# as root, on the machine the License Manager runs on',
    ...download(item, url),
    `tar -xzf ${item.filename} -C /opt`,
    'ln -sf /opt/tessera-lm/bin/tessera-lm /usr/local/bin/tessera-lm',
    'mkdir -p /etc/tessera-lm /var/lib/tessera-lm',
    `curl -fo ${TRUST} ${origin}/v1/trust-bundle`,
    `cat > ${LM_CONFIG} <<'YAML'`,
    'dataPath: /var/lib/tessera-lm',
    `trust: ${TRUST}`,
    'center:',
    `  url: ${origin}   # online mode only`,
    'YAML',
    `tessera-lm serve --config ${LM_CONFIG} &`,
    'sleep 2   # a moment to start',
    `tessera-lm --config ${LM_CONFIG} info`,
  ];
}

/**
 * The .deb: installed with dpkg (the tessera-lm user, /var/lib/tessera-lm and the commented configuration come with
 * it), given the trust file and this License Center's address, started by systemd, asked for its LMID.
 */
export function debCommands(item: LmPackage, url: string, origin: string): string[] {
  return [
    '# as root, on the machine the License Manager runs on (Debian, Ubuntu)',
    ...download(item, url),
    `dpkg -i ${item.filename}`,
    `curl -fo ${TRUST} ${origin}/v1/trust-bundle`,
    `cat >> ${LM_CONFIG} <<'YAML'`,
    'center:',
    `  url: ${origin}   # online mode only`,
    'YAML',
    'systemctl enable --now tessera-lm',
    'sleep 2   # a moment to start',
    `tessera-lm --config ${LM_CONFIG} info`,
  ];
}
