/**
 * Atomic snapshot writes under failure, through the injectable file system: a disk that fills
 * up after N bytes (both the promises and the sync API), a directory that cannot exist, taken
 * names, file systems without hard links. After every failure the error reaches the caller and
 * `diag`, nothing is left under a final name or as a temp file, and the processor keeps logging.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, type SnapshotFileHandle, type SnapshotFileSystem, TTLogProcessor } from '../../src/index.ts';
import { openRingBuffer } from '../../src/record/ring-layout.ts';
import { writeFileAtomically, writeFileAtomicallySync } from '../../src/snapshot/atomic-file.ts';
import { SnapshotWriter } from '../../src/snapshot/snapshot-writer.ts';
import { diagErrorsDuring } from '../support/diag-messages.ts';
import { otel } from '../support/otel.ts';

const root = mkdtempSync(join(tmpdir(), 'ttlog-'));
let dirCount = 0;

function freshDir(): string {
  return mkdtempSync(join(root, `d${dirCount++}-`));
}

function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

/** What the faulty file system is told to do; change it between calls to heal the "disk". */
interface Faults {
  /** Bytes that may still be written before writes fail with ENOSPC (partially, as a full disk does). */
  diskBytes: number;
  /** Error codes `link` throws, one per call, before it works again. */
  linkErrors: string[];
  /** Error code the file fsync throws, if any. */
  fsyncError?: string;
  /** Error code the directory fsync throws, if any. */
  directorySyncError?: string;
}

/** `node:fs` (both APIs) with the faults above injected, and a log of the calls that change names. */
function faultyFileSystem(faults: Faults): { fs: SnapshotFileSystem; calls: string[] } {
  const calls: string[] = [];
  const isDirectory = (path: string) => nodeFs.statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  const allowance = (length: number, syscall: string): number => {
    if (faults.diskBytes <= 0) throw errnoError('ENOSPC', syscall);
    const granted = Math.min(length, faults.diskBytes);
    faults.diskBytes -= granted;
    return granted;
  };
  const linkFault = (syscall: string) => {
    const code = faults.linkErrors.shift();
    if (code !== undefined) throw errnoError(code, syscall);
  };
  const syncFault = (directory: boolean) => {
    const code = directory ? faults.directorySyncError : faults.fsyncError;
    if (code !== undefined) throw errnoError(code, 'fsync');
  };
  const wrapHandle = (handle: nodeFs.promises.FileHandle, directory: boolean): SnapshotFileHandle => ({
    write: async (data, offset, length) => handle.write(data, offset, allowance(length, 'write')),
    sync: async () => {
      syncFault(directory);
      await handle.sync();
    },
    close: () => handle.close(),
  });
  const syncFds = new Set<number>();
  const fs: SnapshotFileSystem = {
    mkdirSync: (path, options) => nodeFs.mkdirSync(path, options),
    statSync: (path) => nodeFs.statSync(path),
    openSync: (path, flags, mode) => {
      const fd = nodeFs.openSync(path, flags, mode);
      if (isDirectory(path)) syncFds.add(fd);
      return fd;
    },
    writeSync: (fd, data, offset, length) => nodeFs.writeSync(fd, data, offset, allowance(length, 'write')),
    fsyncSync: (fd) => {
      syncFault(syncFds.has(fd));
      nodeFs.fsyncSync(fd);
    },
    closeSync: (fd) => {
      syncFds.delete(fd);
      nodeFs.closeSync(fd);
    },
    linkSync: (existing, target) => {
      calls.push(`link ${basename(target)}`);
      linkFault('link');
      nodeFs.linkSync(existing, target);
    },
    renameSync: (from, to) => {
      calls.push(`rename ${basename(to)}`);
      nodeFs.renameSync(from, to);
    },
    unlinkSync: (path) => nodeFs.unlinkSync(path),
    promises: {
      mkdir: (path, options) => nodeFs.promises.mkdir(path, options),
      stat: (path) => nodeFs.promises.stat(path),
      open: async (path, flags, mode) => wrapHandle(await nodeFs.promises.open(path, flags, mode), isDirectory(path)),
      link: async (existing, target) => {
        calls.push(`link ${basename(target)}`);
        linkFault('link');
        await nodeFs.promises.link(existing, target);
      },
      rename: async (from, to) => {
        calls.push(`rename ${basename(to)}`);
        await nodeFs.promises.rename(from, to);
      },
      unlink: (path) => nodeFs.promises.unlink(path),
    },
  };
  return { fs, calls };
}

/**
 * A processor whose exporter writes through `fs`, and `writeSync`: the synchronous write that
 * crash capture makes, through a writer with the same settings, of the same ring.
 */
function loggingProcessor(directory: string, fs: SnapshotFileSystem) {
  const exporter = new SnapshotExporter({ directory, fileSystem: fs, serviceName: 'atomic' });
  const processor = new TTLogProcessor({ exporter, capacity: 64 });
  const writer = new SnapshotWriter({ directory, fileSystem: fs, serviceName: 'atomic' });
  const ring = openRingBuffer(processor.handle.buffer);
  const writeSync = (reason: string) => writer.writeSync({ ring, reason });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('atomic-spec');
  let next = 0;
  const emit = (count: number) => {
    // Pinned times keep the file size the same from run to run (time deltas are varints).
    for (let i = 0; i < count; i++, next++) {
      const time: [number, number] = [1_767_225_600 + next, 0];
      logger.emit({
        timestamp: time,
        observedTimestamp: time,
        severityNumber: 9,
        body: `record ${next} ${'padding '.repeat(next % 7)}`,
        attributes: { n: next },
      });
    }
  };
  return { processor, provider, emit, writeSync };
}

const bodiesUpTo = (count: number) => Array.from({ length: count }, (_, n) => `record ${n} ${'padding '.repeat(n % 7)}`);

/** Size of the snapshot the test processors write for `count` records and `reason` (a working disk). */
async function snapshotSize(count: number, reason: string, sync = false): Promise<number> {
  const { processor, emit, writeSync } = loggingProcessor(freshDir(), nodeFs);
  emit(count);
  // The sync writer is given no resource here, so its header is shorter.
  const path = sync ? writeSync(reason) : await processor.snapshot(reason);
  return statSync(path).size;
}

test('a full disk rejects the snapshot, reaches diag, leaves nothing, and logging goes on', async () => {
  const size = await snapshotSize(20, 'full');
  assert.ok(size > 200, `size ${size}`);
  for (const diskBytes of [0, 1, 16, 100, Math.floor(size / 2), size - 21, size - 1]) {
    const directory = freshDir();
    const faults: Faults = { diskBytes, linkErrors: [] };
    const { fs } = faultyFileSystem(faults);
    const { processor, provider, emit } = loggingProcessor(directory, fs);
    emit(20);
    let rejection: unknown;
    const errors = await diagErrorsDuring(async () => {
      rejection = await processor.snapshot('full').then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    assert.is((rejection as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC', `disk of ${diskBytes} bytes`);
    assert.is(errors.length, 1, `disk of ${diskBytes} bytes`);
    assert.match(errors[0]!, /ENOSPC/);
    assert.match(errors[0]!, new RegExp(directory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(readdirSync(directory), [], `disk of ${diskBytes} bytes`);

    // The ring is untouched: emit more, heal the disk, and the next snapshot has everything.
    emit(5);
    faults.diskBytes = Infinity;
    const path = await processor.snapshot('healed');
    assert.equal(readdirSync(directory), [basename(path)]);
    const { records, metadata } = await readSnapshot(path, { strict: true });
    assert.equal(
      records.map((record) => record.body),
      bodiesUpTo(25),
    );
    assert.is(metadata.counters.written, 25);
    await provider.shutdown();
  }
});

test('a disk with exactly enough room takes the snapshot', async () => {
  const size = await snapshotSize(20, 'exact');
  const directory = freshDir();
  const { fs } = faultyFileSystem({ diskBytes: size, linkErrors: [] });
  const { processor, emit } = loggingProcessor(directory, fs);
  emit(20);
  const path = await processor.snapshot('exact');
  assert.is(statSync(path).size, size);
  assert.equal(
    (await readSnapshot(path, { strict: true })).records.map((record) => record.body),
    bodiesUpTo(20),
  );
});

test('provider.forceFlush() on a full disk rejects without crashing the host', async () => {
  const directory = freshDir();
  const faults: Faults = { diskBytes: 10, linkErrors: [] };
  const { processor, provider, emit } = loggingProcessor(directory, faultyFileSystem(faults).fs);
  emit(3);
  const errors = await diagErrorsDuring(async () => {
    const outcome = await provider.forceFlush().then(
      () => 'resolved',
      (error: unknown) => (error as NodeJS.ErrnoException).code,
    );
    assert.is(outcome, 'ENOSPC');
  });
  assert.ok(
    errors.some((message) => message.includes('ENOSPC')),
    errors.join('\n'),
  );
  assert.equal(readdirSync(directory), []);
  emit(1);
  assert.is(processor.stats().written, 4);
});

test('the sync writer on a full disk throws, reaches diag, and leaves nothing', async () => {
  const size = await snapshotSize(20, 'fatal', true);
  for (const diskBytes of [0, 50, size - 1]) {
    const directory = freshDir();
    const faults: Faults = { diskBytes, linkErrors: [] };
    const { emit, writeSync } = loggingProcessor(directory, faultyFileSystem(faults).fs);
    emit(20);
    let thrown: unknown;
    const errors = await diagErrorsDuring(() => {
      try {
        writeSync('fatal');
      } catch (error) {
        thrown = error;
      }
    });
    assert.is((thrown as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC', `disk of ${diskBytes} bytes`);
    assert.is(errors.length, 1);
    assert.match(errors[0]!, /ENOSPC/);
    assert.equal(readdirSync(directory), []);

    emit(5);
    faults.diskBytes = Infinity;
    const path = writeSync('fatal');
    assert.equal(readdirSync(directory), [basename(path)]);
    assert.match(basename(path), /-fatal\.bin$/);
    assert.equal(
      (await readSnapshot(path, { strict: true })).records.map((record) => record.body),
      bodiesUpTo(25),
    );
  }
});

test('a directory whose parent is a regular file rejects cleanly (async and sync)', async () => {
  const parent = freshDir();
  const file = join(parent, 'regular-file');
  writeFileSync(file, 'keep me');
  const { processor, emit, writeSync } = loggingProcessor(join(file, 'snapshots'), nodeFs);
  emit(2);
  let rejection: unknown;
  let thrown: unknown;
  const errors = await diagErrorsDuring(async () => {
    rejection = await processor.snapshot('nowhere').catch((error: unknown) => error);
    try {
      writeSync('nowhere');
    } catch (error) {
      thrown = error;
    }
  });
  assert.is((rejection as NodeJS.ErrnoException).code, 'ENOTDIR');
  assert.is((thrown as NodeJS.ErrnoException).code, 'ENOTDIR');
  assert.is(errors.length, 2);
  assert.ok(errors.every((message) => message.includes('ENOTDIR')));
  assert.equal(readdirSync(parent), ['regular-file']);
  assert.is(readFileSync(file, 'utf8'), 'keep me');
});

test('a missing directory is created, 0700, by both writers', async () => {
  const parent = freshDir();
  const asyncDir = join(parent, 'async', 'nested');
  const syncDir = join(parent, 'sync', 'nested');
  const { processor, emit } = loggingProcessor(asyncDir, nodeFs);
  emit(3);
  const asyncPath = await processor.snapshot('created');
  const syncWriter = new SnapshotWriter({ directory: syncDir, serviceName: 'atomic' });
  const syncPath = syncWriter.writeSync({ ring: openRingBuffer(processor.handle.buffer), reason: 'created' });
  for (const [path, directory] of [
    [asyncPath, asyncDir],
    [syncPath, syncDir],
  ] as const) {
    assert.is(dirname(path), directory);
    assert.is(statSync(directory).mode & 0o777, 0o700);
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.equal(
      (await readSnapshot(path)).records.map((record) => record.body),
      bodiesUpTo(3),
    );
  }
});

/** Both writers, same arguments. */
const writers = {
  async: (fs: SnapshotFileSystem, directory: string, nextName: () => string, blocks: Uint8Array[]) => writeFileAtomically(fs, directory, nextName, blocks),
  sync: async (fs: SnapshotFileSystem, directory: string, nextName: () => string, blocks: Uint8Array[]) =>
    writeFileAtomicallySync(fs, directory, nextName, blocks),
};

const content = [Buffer.from('first block|'), Buffer.from('second block')];

function names(...list: string[]): () => string {
  let i = 0;
  return () => list[Math.min(i++, list.length - 1)]!;
}

for (const [kind, write] of Object.entries(writers)) {
  test(`${kind}: a taken name is never overwritten; the next name is used`, async () => {
    const directory = freshDir();
    writeFileSync(join(directory, 'taken.bin'), 'older snapshot');
    const { fs, calls } = faultyFileSystem({ diskBytes: Infinity, linkErrors: [] });
    const path = await write(fs, directory, names('taken.bin', 'free.bin'), content);
    assert.is(path, join(directory, 'free.bin'));
    assert.equal(calls, ['link taken.bin', 'link free.bin']);
    assert.is(readFileSync(join(directory, 'taken.bin'), 'utf8'), 'older snapshot');
    assert.is(readFileSync(path, 'utf8'), 'first block|second block');
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.equal(readdirSync(directory).sort(), ['free.bin', 'taken.bin']);
  });

  test(`${kind}: link failing with EEXIST moves on to the next name`, async () => {
    const directory = freshDir();
    const { fs, calls } = faultyFileSystem({ diskBytes: Infinity, linkErrors: ['EEXIST', 'EEXIST'] });
    const path = await write(fs, directory, names('a.bin', 'b.bin', 'c.bin'), content);
    assert.is(path, join(directory, 'c.bin'));
    assert.equal(calls, ['link a.bin', 'link b.bin', 'link c.bin']);
    assert.equal(readdirSync(directory), ['c.bin']);
  });

  test(`${kind}: when every name is taken it gives up and removes its temp file`, async () => {
    const directory = freshDir();
    writeFileSync(join(directory, 'only.bin'), 'older snapshot');
    const error = await write(nodeFs, directory, () => 'only.bin', content).catch((caught: unknown) => caught);
    assert.instance(error, Error);
    assert.match((error as Error).message, /no free snapshot name/);
    assert.equal(readdirSync(directory), ['only.bin']);
    assert.is(readFileSync(join(directory, 'only.bin'), 'utf8'), 'older snapshot');
  });

  test(`${kind}: without hard links (EPERM) it falls back to rename`, async () => {
    for (const code of ['EPERM', 'ENOTSUP', 'EXDEV']) {
      const directory = freshDir();
      const { fs, calls } = faultyFileSystem({ diskBytes: Infinity, linkErrors: [code] });
      const path = await write(fs, directory, names('snap.bin'), content);
      assert.is(path, join(directory, 'snap.bin'));
      assert.equal(calls, ['link snap.bin', 'rename snap.bin'], code);
      assert.is(readFileSync(path, 'utf8'), 'first block|second block');
      assert.equal(readdirSync(directory), ['snap.bin'], code);
    }
  });

  test(`${kind}: without hard links a taken name is still not overwritten`, async () => {
    const directory = freshDir();
    writeFileSync(join(directory, 'taken.bin'), 'older snapshot');
    const { fs, calls } = faultyFileSystem({ diskBytes: Infinity, linkErrors: ['EPERM'] });
    const path = await write(fs, directory, names('taken.bin', 'free.bin'), content);
    assert.is(path, join(directory, 'free.bin'));
    assert.equal(calls, ['link taken.bin', 'rename free.bin'], 'no second link on a file system without links');
    assert.is(readFileSync(join(directory, 'taken.bin'), 'utf8'), 'older snapshot');
    assert.is(readFileSync(path, 'utf8'), 'first block|second block');
    assert.equal(readdirSync(directory).sort(), ['free.bin', 'taken.bin']);
  });

  test(`${kind}: any other link error fails the write and removes the temp file`, async () => {
    const directory = freshDir();
    const { fs } = faultyFileSystem({ diskBytes: Infinity, linkErrors: ['EIO'] });
    const error = await write(fs, directory, names('snap.bin'), content).catch((caught: unknown) => caught);
    assert.is((error as NodeJS.ErrnoException).code, 'EIO');
    assert.equal(readdirSync(directory), []);
  });

  test(`${kind}: a failed fsync fails the write and leaves nothing`, async () => {
    const directory = freshDir();
    const { fs, calls } = faultyFileSystem({ diskBytes: Infinity, linkErrors: [], fsyncError: 'EIO' });
    const error = await write(fs, directory, names('snap.bin'), content).catch((caught: unknown) => caught);
    assert.is((error as NodeJS.ErrnoException).code, 'EIO');
    assert.equal(calls, []);
    assert.equal(readdirSync(directory), []);
  });

  test(`${kind}: a directory that cannot be fsynced (EINVAL) does not fail the write`, async () => {
    const directory = freshDir();
    const { fs } = faultyFileSystem({ diskBytes: Infinity, linkErrors: [], directorySyncError: 'EINVAL' });
    const path = await write(fs, directory, names('snap.bin'), content);
    assert.is(readFileSync(path, 'utf8'), 'first block|second block');
    assert.equal(readdirSync(directory), ['snap.bin']);
  });

  test(`${kind}: partial writes are continued until every byte is written`, async () => {
    const directory = freshDir();
    const small: SnapshotFileSystem = {
      ...faultyFileSystem({ diskBytes: Infinity, linkErrors: [] }).fs,
      writeSync: (fd, data, offset, length) => nodeFs.writeSync(fd, data, offset, Math.min(length, 3)),
      promises: {
        ...nodeFs.promises,
        open: async (path, flags, mode) => {
          const handle = await nodeFs.promises.open(path, flags, mode);
          return { write: (data, offset, length) => handle.write(data, offset, Math.min(length, 3)), sync: () => handle.sync(), close: () => handle.close() };
        },
      },
    };
    const path = await write(small, directory, names('snap.bin'), content);
    assert.is(readFileSync(path, 'utf8'), 'first block|second block');
  });
}

test.after(() => {
  otel.diag.disable();
  rmSync(root, { recursive: true, force: true });
});

test.run();
