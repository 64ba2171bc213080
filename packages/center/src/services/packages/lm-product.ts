/**
 * The License Manager is a built-in product of every License Center (migration 0009): its installation packages,
 * the tarball and the .deb that `npm run package` makes, are published under it (`tessera-center lm-packages
 * publish`, or staff uploads for other platforms), and every customer may download them, whatever they bought. It
 * has no node roles, so no license or contract can be made for it.
 */
export const LM_PRODUCT = { id: 'prd_tesseralm', slug: 'tessera-lm', name: 'Tessera License Manager' } as const;

/** What `npm run package` names the License Manager's packages, and the platform each is listed under. */
const FILES: { pattern: RegExp; platform: string; kind: 'tarball' | 'deb' }[] = [
  { pattern: /^tessera-lm-([0-9][A-Za-z0-9.+_-]*)-linux-x64\.tar\.gz$/, platform: 'linux-x64', kind: 'tarball' },
  { pattern: /^tessera-lm_([0-9][A-Za-z0-9.+~]*)_amd64\.deb$/, platform: 'debian-amd64', kind: 'deb' },
];

export interface LmPackageFile {
  version: string;
  platform: string;
  kind: 'tarball' | 'deb';
}

/** The version and platform a License Manager package's file name says, or null for any other name. */
export function lmPackageFile(filename: string): LmPackageFile | null {
  for (const { pattern, platform, kind } of FILES) {
    const match = pattern.exec(filename);
    // A .deb writes a pre-release's "-" as "~" (Debian sorts it first); the package version is the semver.
    if (match) return { version: match[1]!.replace('~', '-'), platform, kind };
  }
  return null;
}
