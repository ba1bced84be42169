/**
 * Snapshots into busy, full and odd directories (docs/reliability.md, "Directory cases"). Each
 * trial logs records through a real `LoggerProvider`, then calls `snapshot()` and `shutdown()`,
 * each under a time bound. What may happen: a rejection with an `Error` that says why, or a
 * complete file (it reads strictly, with every record). What may not: a partial file under a
 * final name, a promise that does not settle, an unhandled rejection.
 */
import { spawn } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { otel } from '../../spec/support/otel.ts';
import { seededRandom } from '../../spec/support/seeded-random.ts';
import { readSnapshot, SnapshotExporter, type SnapshotFileSystem, TTLogProcessor } from '../../src/index.ts';
import { type BeforeCall, errnoError, faultyFileSystem } from './faulty-file-system.ts';

/** How one call ended. */
export type Settled =
  | { readonly kind: 'written'; readonly path: string }
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string }
  | { readonly kind: 'hang' };

/** The tally of one case over its trials. */
export interface CaseReport {
  readonly name: string;
  trials: number;
  written: number;
  rejected: number;
  hangs: number;
  /** Error codes of the rejections, with counts. */
  readonly codes: Record<string, number>;
  /** Temp files (`.ttlog-*.tmp`) left in the directory after a trial. */
  tempLeftovers: number;
  /** What broke a rule: a partial file, a rejection without a reason, a hang, an outcome the case rules out. */
  readonly problems: string[];
}

/** What a case allows: `rejected` for a directory that cannot take a file, `written` for one that must, `either`. */
type Expect = 'rejected' | 'written' | 'either';

const RECORDS = 50;
const SNAPSHOT_NAME = /^ttlog-.*\.bin$/;
const TEMP_NAME = /^\.ttlog-.*\.tmp$/;

function newReport(name: string): CaseReport {
  return { name, trials: 0, written: 0, rejected: 0, hangs: 0, codes: {}, tempLeftovers: 0, problems: [] };
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** `promise`'s outcome (a path when written), or a hang once `boundMs` has passed. */
export async function settle(promise: Promise<string | undefined>, boundMs: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Settled>((done) => {
    timer = setTimeout(() => done({ kind: 'hang' }), boundMs);
  });
  const outcome = promise.then(
    (path): Settled => ({ kind: 'written', path: path ?? '' }),
    (error: unknown): Settled => ({
      kind: 'rejected',
      code: errorCode(error),
      message: error instanceof Error ? error.message : `not an Error: ${String(error)}`,
    }),
  );
  try {
    return await Promise.race([outcome, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** A file under a final name must be complete: it reads strictly and holds `RECORDS` records in order. */
async function checkComplete(path: string): Promise<string | undefined> {
  try {
    if (lstatSync(path).isSymbolicLink()) return `${path} is a symlink`;
    const { records } = await readSnapshot(path, { strict: true });
    const bodies = records.map((record) => record.body);
    const expected = Array.from({ length: RECORDS }, (_, i) => `record ${i}`);
    return JSON.stringify(bodies) === JSON.stringify(expected) ? undefined : `${path} holds ${records.length} records, not the ${RECORDS} logged`;
  } catch (error) {
    return `${path} does not read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Adds one call's outcome to the report and checks it against the case's rule. */
function count(report: CaseReport, what: string, settled: Settled, expect: Expect): void {
  if (settled.kind === 'hang') {
    report.hangs++;
    report.problems.push(`${what} did not settle`);
    return;
  }
  if (settled.kind === 'written') {
    report.written++;
    if (expect === 'rejected') report.problems.push(`${what} wrote ${settled.path}, expected a rejection`);
    return;
  }
  report.rejected++;
  report.codes[settled.code || '(none)'] = (report.codes[settled.code || '(none)'] ?? 0) + 1;
  if (expect === 'written') report.problems.push(`${what} rejected: ${settled.message}`);
  if (settled.message === '' || settled.message.startsWith('not an Error')) report.problems.push(`${what} rejected without a reason: ${settled.message}`);
}

/** Every file under a final name in `directory` (if it is one) but `planted` ones is complete; counts temp files left behind. */
async function checkDirectory(report: CaseReport, directory: string, planted: readonly string[] = []): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (TEMP_NAME.test(name)) report.tempLeftovers++;
    if (!SNAPSHOT_NAME.test(name) || planted.includes(join(directory, name))) continue;
    const problem = await checkComplete(join(directory, name));
    if (problem !== undefined) report.problems.push(`partial file under a final name: ${problem}`);
  }
}

interface TrialOptions {
  readonly directory: string;
  /** Paths someone else put there, which the directory check leaves out. */
  readonly planted?: readonly string[];
  readonly fileSystem?: SnapshotFileSystem | undefined;
  readonly expect: Expect;
  readonly boundMs: number;
}

/** One trial: log, `snapshot()`, `shutdown()` (which writes one more), each bounded; then the directory is checked. */
async function trial(report: CaseReport, options: TrialOptions): Promise<Settled> {
  report.trials++;
  const exporter = new SnapshotExporter({
    directory: options.directory,
    serviceName: 'odd-dir',
    ...(options.fileSystem === undefined ? {} : { fileSystem: options.fileSystem }),
  });
  const processor = new TTLogProcessor({ exporter, capacity: 64 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('directory-cases');
  for (let i = 0; i < RECORDS; i++) logger.emit({ body: `record ${i}`, severityNumber: 9 });
  const snapshot = await settle(processor.snapshot('odd'), options.boundMs);
  count(report, `snapshot() into ${options.directory}`, snapshot, options.expect);
  if (snapshot.kind === 'written') {
    const problem = await checkComplete(snapshot.path);
    if (problem !== undefined) report.problems.push(problem);
  }
  const shutdown = await settle(
    provider.shutdown().then(() => undefined),
    options.boundMs,
  );
  if (shutdown.kind === 'hang') count(report, `shutdown() with ${options.directory}`, shutdown, options.expect);
  await checkDirectory(report, options.directory, options.planted);
  return snapshot;
}

/** The cases' shared setup: a scratch root, the time bound, how many full-disk trials. */
export interface DirectoryCaseOptions {
  readonly root: string;
  readonly boundMs: number;
  readonly fullDiskTrials: number;
  readonly seed: number;
}

/** A disk that fails at a random call, with the errors a full, quota-limited, failing or busy file system gives. */
async function fullDisk(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('full disk: one call fails (ENOSPC, EDQUOT, EIO, EBUSY, EAGAIN, EMFILE) at a random point');
  const random = seededRandom(options.seed);
  const codes = ['ENOSPC', 'ENOSPC', 'EDQUOT', 'EIO', 'EBUSY', 'EAGAIN', 'EMFILE'];
  for (let n = 0; n < options.fullDiskTrials; n++) {
    const directory = join(options.root, `full-${n}`, 'snapshots');
    const { fileSystem } = faultyFileSystem({ failAt: 1 + Math.floor(random() * 30), code: codes[Math.floor(random() * codes.length)]! });
    await trial(report, { directory, fileSystem, expect: 'either', boundMs: options.boundMs });
  }
  return report;
}

/** Every call that would create or change a name fails with EROFS, as on a read-only mount. */
async function readOnlyFileSystem(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('read-only file system (EROFS on every call that creates or changes a name)');
  const directory = join(options.root, 'erofs');
  mkdirSync(directory);
  const changes = /mkdir|link|rename|unlink|rm/;
  const refuse: BeforeCall = (name, args) => {
    if (changes.test(name) || (/open/.test(name) && /[wax+]/.test(String(args[1] ?? 'r')))) throw errnoError('EROFS', name);
  };
  // A BeforeCall that throws refuses the sync call; the promise API gets the same as a rejection below.
  const { fileSystem } = faultyFileSystem({ failAt: 0, code: 'EROFS' }, refuse);
  await trial(report, { directory, fileSystem: asyncRefusals(fileSystem), expect: 'rejected', boundMs: options.boundMs });
  return report;
}

/** `fileSystem` with the promise API turning a synchronous throw into a rejection, as Node's does. */
function asyncRefusals(fileSystem: SnapshotFileSystem): SnapshotFileSystem {
  const promises = new Proxy(fileSystem.promises, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => value.apply(target, args);
    },
  });
  return new Proxy(fileSystem, { get: (target, key) => (key === 'promises' ? promises : Reflect.get(target, key, target)) });
}

/** A directory without write permission: rejected, or written when running as root (root writes anyway). */
async function readOnlyDirectory(options: DirectoryCaseOptions): Promise<CaseReport> {
  const asRoot = process.getuid?.() === 0;
  const report = newReport(`read-only directory (mode 0500${asRoot ? ', running as root, which may write' : ''})`);
  const directory = join(options.root, 'read-only');
  mkdirSync(directory, { mode: 0o500 });
  chmodSync(directory, 0o500);
  try {
    await trial(report, { directory, expect: asRoot ? 'either' : 'rejected', boundMs: options.boundMs });
  } finally {
    chmodSync(directory, 0o700);
  }
  return report;
}

async function missingDirectory(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('missing directory, three levels deep (created, mode 0700)');
  const top = join(options.root, 'missing');
  const directory = join(top, 'a', 'b');
  await trial(report, { directory, expect: 'written', boundMs: options.boundMs });
  for (const created of [top, join(top, 'a'), directory]) {
    const mode = nodeFs.statSync(created).mode & 0o777;
    if (mode !== 0o700) report.problems.push(`${created} was created with mode ${mode.toString(8)}, not 700`);
  }
  return report;
}

async function pathThroughFile(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('a path through a file (file/sub)');
  const file = join(options.root, 'plain-file');
  writeFileSync(file, 'not a directory');
  await trial(report, { directory: join(file, 'sub'), expect: 'rejected', boundMs: options.boundMs });
  return report;
}

/** The process's descriptors used up for real (held open on /dev/null), then given back: rejected, then written. */
async function descriptorsExhausted(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('EMFILE: every file descriptor of the process in use, then freed');
  const directory = join(options.root, 'emfile');
  mkdirSync(directory);
  const held: number[] = [];
  try {
    for (;;) held.push(nodeFs.openSync('/dev/null', 'r'));
  } catch (error) {
    if (errorCode(error) !== 'EMFILE') throw error;
  }
  try {
    await trial(report, { directory, expect: 'rejected', boundMs: options.boundMs });
  } finally {
    for (const fd of held) nodeFs.closeSync(fd);
  }
  await trial(report, { directory, expect: 'written', boundMs: options.boundMs });
  return report;
}

async function symlinkedDirectory(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('the directory is a symlink to a directory');
  const target = join(options.root, 'symlink-target');
  mkdirSync(target);
  const link = join(options.root, 'symlinked');
  symlinkSync(target, link);
  const settled = await trial(report, { directory: link, expect: 'either', boundMs: options.boundMs });
  if (settled.kind === 'written' && !readdirSync(target).includes(basename(settled.path)))
    report.problems.push(`${settled.path} is not in the symlink's target`);
  return report;
}

/**
 * Someone with write access to the directory plants a symlink to a file of theirs at the name the
 * writer is about to use (the final name, or the temp name), once: the writer must neither follow
 * it nor replace it, and the victim file must keep its content.
 */
async function plantedSymlink(options: DirectoryCaseOptions, at: 'final' | 'temp'): Promise<CaseReport> {
  const report = newReport(`a symlink planted at the ${at} name just before it is used`);
  const directory = join(options.root, `planted-${at}`);
  mkdirSync(directory);
  const victim = join(options.root, `victim-${at}`);
  writeFileSync(victim, 'victim');
  const planted: string[] = [];
  const plant: BeforeCall = (name, args) => {
    const target = at === 'final' ? (/link|rename/.test(name) ? args[1] : undefined) : /open/.test(name) && String(args[1]).includes('x') ? args[0] : undefined;
    if (typeof target !== 'string' || planted.length > 0) return;
    symlinkSync(victim, target);
    planted.push(target);
  };
  const { fileSystem } = faultyFileSystem({ failAt: 0, code: '' }, plant);
  await trial(report, { directory, fileSystem, planted, expect: 'either', boundMs: options.boundMs });
  if (readFileSync(victim, 'utf8') !== 'victim') report.problems.push('the victim file was changed');
  // Removing the planted link (unlink does not follow it) is fine; replacing it is not.
  for (const path of planted) {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats !== undefined && (!stats.isSymbolicLink() || readlinkSync(path) !== victim)) report.problems.push(`the planted ${path} was replaced`);
  }
  if (planted.length === 0) report.problems.push('no symlink was planted: the writer made no call this case knows');
  return report;
}

/** Several processors of one service snapshot into one directory at once: every file distinct and complete. */
async function busyDirectory(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('busy directory: 4 processors × 8 snapshots at once, one service');
  const directory = join(options.root, 'busy');
  const processors = Array.from(
    { length: 4 },
    () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'busy', retention: false }), capacity: 64 }),
  );
  const providers = processors.map((processor) => new otel.LoggerProvider({ processors: [processor as never] }));
  for (const provider of providers) {
    const logger = provider.getLogger('busy');
    for (let i = 0; i < RECORDS; i++) logger.emit({ body: `record ${i}`, severityNumber: 9 });
  }
  // Distinct reasons: a processor shares one pending write among concurrent calls of its own.
  const calls = processors.flatMap((processor) => Array.from({ length: 8 }, (_, n) => processor.snapshot(`busy-${n}`)));
  const settled = await Promise.all(calls.map((call) => settle(call, options.boundMs)));
  for (const outcome of settled) {
    report.trials++;
    count(report, 'a concurrent snapshot()', outcome, 'written');
  }
  // Calls to one processor while its write is under way share that write (and its path); two processors never share a file.
  const pathsOf = processors.map((_, n) => new Set(settled.slice(n * 8, n * 8 + 8).flatMap((outcome) => (outcome.kind === 'written' ? [outcome.path] : []))));
  const allPaths = pathsOf.flatMap((paths) => [...paths]);
  if (new Set(allPaths).size !== allPaths.length) report.problems.push('two processors resolved to the same path');
  for (const provider of providers)
    await settle(
      provider.shutdown().then(() => undefined),
      options.boundMs,
    );
  await checkDirectory(report, directory);
  return report;
}

/**
 * A directory under /proc/self, where Node's recursive mkdir loops without end: run in a child
 * process, so that a snapshot that never settles cannot hold this one, and killed past the bound.
 */
async function procDirectory(options: DirectoryCaseOptions): Promise<CaseReport> {
  const report = newReport('a directory under /proc/self (run in a child process)');
  report.trials++;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(dirname(new URL(import.meta.url).pathname), 'directory-child.ts'), '/proc/self/ttlog-snapshots'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on('close', done));
  const outcome = await settle(
    exited.then((code) => (code === 0 ? output : Promise.reject(new Error(`child exited with ${code}`)))),
    options.boundMs * 2,
  );
  if (outcome.kind === 'hang') {
    child.kill('SIGKILL');
    count(report, 'snapshot() under /proc/self', { kind: 'hang' }, 'rejected');
    return report;
  }
  if (outcome.kind === 'rejected') {
    report.problems.push(outcome.message);
    return report;
  }
  const { snapshot, shutdown } = JSON.parse(output) as { snapshot: Settled; shutdown: Settled };
  count(report, 'snapshot() under /proc/self', snapshot, 'rejected');
  if (shutdown.kind === 'hang') count(report, 'shutdown() under /proc/self', shutdown, 'rejected');
  return report;
}

/** Runs every case in a fresh scratch directory; unhandled rejections during the run are reported apart. */
export async function runDirectoryCases(options: Omit<DirectoryCaseOptions, 'root'>): Promise<{ cases: CaseReport[]; unhandledRejections: number }> {
  const root = mkdtempSync(join(tmpdir(), 'ttlog-dirs-'));
  let unhandledRejections = 0;
  const onUnhandled = () => {
    unhandledRejections++;
  };
  process.on('unhandledRejection', onUnhandled);
  const all = { ...options, root };
  try {
    const cases: CaseReport[] = [];
    for (const run of [
      fullDisk,
      readOnlyFileSystem,
      readOnlyDirectory,
      missingDirectory,
      pathThroughFile,
      descriptorsExhausted,
      symlinkedDirectory,
      (o: DirectoryCaseOptions) => plantedSymlink(o, 'final'),
      (o: DirectoryCaseOptions) => plantedSymlink(o, 'temp'),
      busyDirectory,
      procDirectory,
    ]) {
      cases.push(await run(all));
    }
    return { cases, unhandledRejections };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    rmSync(root, { recursive: true, force: true });
  }
}
