/**
 * `--otlp --out FILE`: the lines go to FILE, gzip-compressed when its name ends in `.gz`, so that
 * a Collector watching the directory never reads a file in part: they are written to a temp file
 * in the same directory (its name starts with a dot and ends in `.tmp`, so no `*.jsonl` or
 * `*.jsonl.gz` pattern matches it), synced to disk, and renamed to FILE only once complete. On
 * failure the temp file is removed and FILE is left as it was. Mode 0600: logs hold secrets.
 *
 * Written here rather than with write-file-atomic, which takes the whole content in memory (the
 * lines of a large snapshot run to hundreds of megabytes), or fs-write-stream-atomic, which
 * neither syncs nor has been kept up to date.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const FILE_MODE = 0o600;

/** A file being written under a temp name; {@link commit} names it, {@link discard} removes it. */
export class OutFile {
  private constructor(
    readonly path: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
    private readonly file: Writable,
    /** Where the lines go: the gzip stream in front of the file, or the file itself. */
    readonly stream: Writable,
    /** Settles when every byte has reached the file, or with the first error on the way. */
    private readonly written: Promise<void>,
  ) {
    // Seen by whoever awaits commit(); until then an early error must not count as unhandled.
    written.catch(() => undefined);
  }

  /** Creates the temp file beside `path`; rejects (nothing left behind) when the directory is not writable. */
  static async create(path: string): Promise<OutFile> {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', FILE_MODE);
    // The handle stays open after the stream finishes, to be synced before it is closed.
    const file = handle.createWriteStream({ autoClose: false });
    if (path.endsWith('.gz')) {
      const gzip = createGzip();
      return new OutFile(path, temp, handle, file, gzip, pipeline(gzip, file));
    }
    return new OutFile(path, temp, handle, file, file, finished(file));
  }

  /** Ends the stream, waits for the bytes to be on disk and renames the temp file to {@link path}. */
  async commit(): Promise<void> {
    this.stream.end();
    await this.written;
    await this.handle.sync();
    // The stream holds the handle until it is destroyed (its fd stays open: autoClose is off); close() would wait for it.
    this.file.destroy();
    await this.handle.close();
    await rename(this.temp, this.path);
    await syncDirectory(dirname(this.path));
  }

  /** Stops writing and removes the temp file. */
  async discard(): Promise<void> {
    this.stream.destroy();
    this.file.destroy();
    await this.written.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}

/** Makes the rename itself durable; a file system that cannot sync a directory leaves it to the kernel. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Some file systems (and Windows) refuse a directory sync; the file itself is synced.
  }
}
