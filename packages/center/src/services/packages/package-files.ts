/**
 * The packages folder: package files named by their package id (never by the uploader's filename). An upload is
 * streamed to a temporary file in the same folder while its size and SHA-256 are computed, and renamed into place
 * only once it is complete and recorded, so an interrupted or refused upload leaves no file behind. Several LC
 * instances must share the folder (a shared volume), as they share the database.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface ReceivedFile {
  /** The temporary file; place() or discard() it. */
  temp: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

export type ReceiveOutcome = { ok: true; file: ReceivedFile } | { ok: false; reason: 'too-large' | 'interrupted' };

/** The name prefix of an upload's temporary file. */
const INCOMING = '.incoming-';

export class PackageFiles {
  constructor(readonly dir: string) {}

  /**
   * Streams `body` to a temporary file, counting and hashing; more than `maxBytes` stops it and leaves nothing.
   * The body is read here rather than piped: a pipeline would destroy the request on a refusal, and with it the
   * connection the refusal must be answered on. After a refusal the rest of the body is read and dropped, so the
   * client gets the answer once it has sent it (a size declared too large is refused before reading).
   */
  async receive(body: Readable, maxBytes: number): Promise<ReceiveOutcome> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const temp = join(this.dir, `${INCOMING}${randomBytes(8).toString('hex')}`);
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o640 });
    let writeError: Error | null = null;
    out.on('error', (error) => (writeError = error));
    const hash = createHash('sha256');
    let size = 0;
    let tooLarge = false;
    let readFailed = false;
    try {
      try {
        for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) {
            tooLarge = true;
            break;
          }
          hash.update(chunk);
          if (writeError) throw writeError;
          if (!out.write(chunk)) await once(out, 'drain');
        }
      } catch (error) {
        // The client went away or the connection broke mid-body; a write error is the disk's, not the client's.
        if (writeError || error === writeError) throw error;
        readFailed = true;
      }
      if (tooLarge || readFailed) {
        if (tooLarge) body.resume();
        await closed(out);
        await this.discard(temp);
        return { ok: false, reason: tooLarge ? 'too-large' : 'interrupted' };
      }
      out.end();
      await finished(out);
    } catch (error) {
      await closed(out);
      await this.discard(temp);
      throw error;
    }
    return { ok: true, file: { temp, size, sha256: hash.digest('hex') } };
  }

  /** Moves a received file into place as package `packageId`. */
  async place(file: ReceivedFile, packageId: string): Promise<void> {
    await rename(file.temp, this.pathOf(packageId));
  }

  /** Removes a temporary or placed file; one already gone is fine. */
  async discard(path: string): Promise<void> {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async remove(packageId: string): Promise<void> {
    await this.discard(this.pathOf(packageId));
  }

  /** The open file of a package, or null when it is not there (withdrawn, or lost from the folder). */
  async open(packageId: string): Promise<FileHandle | null> {
    try {
      return await open(this.pathOf(packageId), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Removes the temporary files of uploads that never finished (an instance stopped mid-upload) and are older than
   * `ageMs`; an upload still running on another instance keeps its file fresh. How many went.
   */
  async sweepIncoming(now: number, ageMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names.filter((n) => n.startsWith(INCOMING))) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > ageMs) {
        await this.discard(path);
        removed++;
      }
    }
    return removed;
  }

  pathOf(packageId: string): string {
    // Ids are checked by the routes' schemas (pkg_ and base32); the guard keeps a bad caller inside the folder.
    if (!/^pkg_[a-z0-9]+$/.test(packageId)) throw new Error(`Not a package id: ${packageId}`);
    return join(this.dir, packageId);
  }
}

/** Destroys the stream and waits for its file to be closed (it may still be opening), so an unlink comes after. */
async function closed(out: WriteStream): Promise<void> {
  if (out.closed) return;
  const done = once(out, 'close').catch(() => undefined);
  out.destroy();
  await done;
}
