/** Random-access reads from a file or from bytes in memory, so the reader handles both alike. */
import { type FileHandle, open } from 'node:fs/promises';

/** Bytes the reader reads by offset, from a file or from memory. */
export interface ByteSource {
  readonly size: number;
  /**
   * Up to `length` bytes from `offset` (fewer at the end of the source). The bytes may be shared
   * with the source's buffers: read them, do not change them.
   */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A ByteSource over the file at a path, or over bytes in memory. */
export async function openByteSource(source: string | Uint8Array): Promise<ByteSource> {
  if (typeof source !== 'string') return memorySource(Buffer.from(source.buffer, source.byteOffset, source.length));
  const handle = await open(source, 'r');
  try {
    return fileSource(handle, (await handle.stat()).size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads of a file are served from a window of `READ_AHEAD_BYTES`, and the window after it is read
 * while the caller works on this one. Reading block by block cost two file reads per chunk and
 * left the reader idle for a tenth of its time in bench/viewer.ts; the header reads at open stay
 * exact, so opening many files for their headers reads little.
 */
export function readingAhead(source: ByteSource): ByteSource {
  if (!(source instanceof FileByteSource)) return source;
  return new ReadAheadSource(source);
}

const READ_AHEAD_BYTES = 1024 * 1024;

function memorySource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: async () => undefined,
  };
}

function fileSource(handle: FileHandle, size: number): ByteSource {
  return new FileByteSource(handle, size);
}

class FileByteSource implements ByteSource {
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(buffer, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class ReadAheadSource implements ByteSource {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  private ahead: { readonly start: number; readonly bytes: Promise<Buffer> } | undefined;

  constructor(private readonly file: ByteSource) {}

  get size(): number {
    return this.file.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + Math.max(0, length));
    const windowEnd = this.windowStart + this.window.length;
    if (offset >= this.windowStart && end <= windowEnd) return this.window.subarray(offset - this.windowStart, end - this.windowStart);
    // Reading on: the next window starts where this one ends (or at `offset`, after a jump). A
    // read across the two is copied into a buffer of its own: copying the rest of this window
    // and the next into one, which saved that copy, cost more (bench/viewer.ts, "ReadAheadSource.read").
    const kept = offset >= this.windowStart && offset < windowEnd ? this.window.subarray(offset - this.windowStart) : undefined;
    const from = kept === undefined ? offset : windowEnd;
    const ahead = this.ahead;
    this.ahead = undefined;
    let next = ahead !== undefined && ahead.start === from ? await ahead.bytes : await this.file.read(from, Math.max(end - from, READ_AHEAD_BYTES));
    // A block longer than a window.
    if (from + next.length < end) next = Buffer.concat([next, await this.file.read(from + next.length, end - from - next.length)]);
    this.window = next;
    this.windowStart = from;
    const nextStart = from + next.length;
    if (nextStart < this.size) {
      const bytes = this.file.read(nextStart, READ_AHEAD_BYTES);
      // Not awaited if the caller stops here; its failure then belongs to no one.
      bytes.catch(() => undefined);
      this.ahead = { start: nextStart, bytes };
    }
    const rest = next.subarray(0, end - from);
    return kept === undefined ? rest : Buffer.concat([kept, rest]);
  }

  async close(): Promise<void> {
    this.window = Buffer.alloc(0);
    this.ahead = undefined;
    await this.file.close();
  }
}
