/** Random-access reads from a file or from bytes in memory, so the reader handles both alike. */
import { open, type FileHandle } from 'node:fs/promises';

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the source). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

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

function memorySource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: async () => undefined,
  };
}

function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const wanted = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.allocUnsafe(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}
