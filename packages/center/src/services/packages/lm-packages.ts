/**
 * Publishing the License Manager's packages from files (`tessera-center lm-packages publish`, and `npm start` with
 * what `npm run package` made): each becomes an installation package of the built-in product, through the same
 * upload as staff's (the packages folder, its row, the audit). A file already published is left as it is; a
 * changed file of the same version and platform replaces the old one, which is withdrawn.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';
import { LM_PRODUCT, lmPackageFile } from './lm-product.js';
import type { LmPackageFile } from './lm-product.js';
import type { Packages, PackageView } from './packages.js';

export interface Published {
  file: string;
  outcome: 'published' | 'replaced' | 'unchanged';
  package: PackageView;
}

/** The first bytes of each kind of package: a gzip stream, an ar archive (a .deb). */
const MAGIC: Record<LmPackageFile['kind'], Buffer> = { tarball: Buffer.from([0x1f, 0x8b]), deb: Buffer.from('!<arch>\n', 'latin1') };

export class LmPackages {
  constructor(private readonly packages: Packages) {}

  /** Publishes `paths`; every file is checked before any is published, so a wrong one changes nothing. */
  async publish(paths: string[], actor: string): Promise<Result<Published[]>> {
    const files: { path: string; filename: string; meta: LmPackageFile; size: number; sha256: string }[] = [];
    for (const path of paths) {
      const checked = await checkFile(path);
      if (!checked.ok) return checked;
      files.push(checked.value);
    }
    const done: Published[] = [];
    for (const file of files) {
      const current = await this.packages.list(LM_PRODUCT.slug);
      if (!current.ok) return current;
      const same = current.value.find((p) => p.version === file.meta.version && p.platform === file.meta.platform);
      if (same?.sha256 === file.sha256 && same.filename === file.filename) {
        done.push({ file: file.path, outcome: 'unchanged', package: same });
        continue;
      }
      if (same) {
        const withdrawn = await this.packages.withdraw(same.id, actor);
        if (!withdrawn.ok) return withdrawn;
      }
      const input = { product: LM_PRODUCT.slug, version: file.meta.version, platform: file.meta.platform, filename: file.filename };
      const uploaded = await this.packages.upload(input, createReadStream(file.path), file.size, actor);
      if (!uploaded.ok) return uploaded;
      done.push({ file: file.path, outcome: same ? 'replaced' : 'published', package: uploaded.value });
    }
    return ok(done);
  }
}

async function checkFile(path: string) {
  const filename = basename(path);
  const meta = lmPackageFile(filename);
  if (!meta) {
    return fail(
      'BAD_REQUEST',
      `${filename} is not a License Manager package of npm run package: tessera-lm-<version>-linux-x64.tar.gz or tessera-lm_<version>_amd64.deb.`,
    );
  }
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error)
    return fail('BAD_REQUEST', `Cannot read ${path}: ${info.code === 'ENOENT' ? 'there is no such file' : info.message}.`);
  if (!info.isFile()) return fail('BAD_REQUEST', `${path} is not a file.`);
  const head = Buffer.alloc(MAGIC[meta.kind].length);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (!head.equals(MAGIC[meta.kind])) {
    return fail('BAD_REQUEST', `${filename} is not a ${meta.kind === 'deb' ? '.deb (an ar archive)' : 'gzip-compressed tarball'}.`);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return ok({ path, filename, meta, size: info.size, sha256: hash.digest('hex') });
}
