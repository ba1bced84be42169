/**
 * The two packages as a user gets them: builds both, packs both, and installs the tarballs into
 * fresh apps on both OpenTelemetry lines — Node 20 with the 0.2xx SDK, and Node 24 with the 3.x
 * SDK (through `npm exec --package=node@…`, as `npm run test:otel3` does). In each app it checks:
 * - both packs hold a LICENSE and no source maps (their sources are not shipped);
 * - `ttlog` alone adds no package beyond cbor-x, lz4-wasm-nodejs and their own dependencies;
 * - `npm ls` exits 0 with `ttlog` alone and with both packages (no invalid or missing peers);
 * - `npx ttlog-view --version`, and reading a snapshot the app writes with its own SDK, work
 *   from the installed packages (text, `--json` and `--otlp`).
 * It prints the install footprint (packages, bytes of node_modules) at each step.
 *
 * Run: `node --import tsx bench/pack-install.ts` for the working tree (it rebuilds `dist/` in
 * both packages), or `… bench/pack-install.ts --commit <ref>` for a commit, built in a temporary
 * copy beside the repository's node_modules. It needs the npm registry and takes a few minutes,
 * so it is not part of `npm test`. Exits 1 when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ttlog-pack-'));
const commitIndex = process.argv.indexOf('--commit');
const commit = commitIndex > 0 ? process.argv[commitIndex + 1] : undefined;
/** Where the packages are built and packed from: the repository, or a copy of `commit`. */
const root = commit === undefined ? repository : exportCommit(commit);
const NODE_24 = 'node@24.21.0';
/** What `ttlog` may bring: its two dependencies, and theirs. */
const TTLOG_DEPENDENCIES = ['cbor-x', 'lz4-wasm-nodejs'];

interface AppLine {
  readonly name: string;
  /** Runs a shell command with this line's Node (and the npm it runs). */
  readonly node: string | undefined;
  readonly otel: readonly string[];
}

const LINES: readonly AppLine[] = [
  {
    name: 'Node 20, OpenTelemetry 0.2xx',
    node: undefined,
    otel: [
      '@opentelemetry/api@1.9.0',
      '@opentelemetry/api-logs@0.223.0',
      '@opentelemetry/sdk-logs@0.223.0',
      '@opentelemetry/resources@2.12.0',
      '@opentelemetry/core@2.12.0',
    ],
  },
  {
    name: 'Node 24, OpenTelemetry 3.x',
    node: NODE_24,
    otel: ['@opentelemetry/api@1.10.0', '@opentelemetry/sdk-logs@3.1.0', '@opentelemetry/resources@3.1.0', '@opentelemetry/core@3.1.0'],
  },
];

let failures = 0;

function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

/**
 * The files of `ref` in a temporary folder, with a node_modules of links to the repository's,
 * except the two packages' own links, which point into the copy.
 */
function exportCommit(ref: string): string {
  const copy = join(work, 'source');
  mkdirSync(join(copy, 'node_modules'), { recursive: true });
  mustRun(`git archive ${ref} | tar -x -C ${copy}`, repository);
  const modules = join(repository, 'node_modules');
  for (const entry of readdirSync(modules)) {
    if (entry !== 'ttlog' && entry !== 'ttlog-view') symlinkSync(join(modules, entry), join(copy, 'node_modules', entry));
  }
  symlinkSync('..', join(copy, 'node_modules/ttlog'));
  symlinkSync('../packages/ttlog-view', join(copy, 'node_modules/ttlog-view'));
  return copy;
}

/** Runs `command` in a shell in `cwd`, with `line`'s Node first on the PATH. */
function sh(command: string, cwd: string, node?: string): { status: number; stdout: string; stderr: string } {
  // npm exec -c passes its own options on in the environment; an npx inside would take them as its own.
  const full = node === undefined ? command : `npm exec --yes --package=${node} -c ${JSON.stringify(`unset npm_config_call npm_config_package; ${command}`)}`;
  const result = spawnSync('bash', ['-c', full], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function mustRun(command: string, cwd: string, node?: string): string {
  const result = sh(command, cwd, node);
  if (result.status !== 0) throw new Error(`\`${command}\` in ${cwd} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Every installed package: `name` → its folders under node_modules (nested copies included). */
function installed(app: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const folders = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((name) => join(entry, name)) : [entry];
      for (const name of folders) {
        const folder = join(modules, name);
        if (!existsSync(join(folder, 'package.json'))) continue;
        found.set(name, [...(found.get(name) ?? []), folder]);
        walk(join(folder, 'node_modules'));
      }
    }
  };
  walk(join(app, 'node_modules'));
  return found;
}

function bytesIn(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || stat.isSymbolicLink()) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += bytesIn(join(path, entry));
  return total;
}

function footprint(app: string): string {
  const packages = [...installed(app).values()].reduce((sum, folders) => sum + folders.length, 0);
  return `${packages} packages, ${(bytesIn(join(app, 'node_modules')) / 1e6).toFixed(1)} MB`;
}

/** The packages `names` and their dependencies, wherever they are in the app's tree (`npm ls --all`). */
function dependencyClosure(app: string, names: readonly string[], node: string | undefined): Set<string> {
  interface Tree {
    readonly dependencies?: Record<string, Tree>;
  }
  const tree = JSON.parse(mustRun('npm ls --all --json', app, node)) as Tree;
  const reached = new Set<string>();
  const visit = (dependencies: Record<string, Tree> | undefined, inside: boolean) => {
    for (const [name, child] of Object.entries(dependencies ?? {})) {
      const counts = inside || names.includes(name);
      if (counts) reached.add(name);
      visit(child.dependencies, counts);
    }
  };
  visit(tree.dependencies, false);
  return reached;
}

/** A program that writes a snapshot with the app's own SDK and the installed ttlog. */
const WRITE_SNAPSHOT = `
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SnapshotExporter, TTLogProcessor, readSnapshot } from 'ttlog';
const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: 'snapshots' }) });
const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'packed' }), processors: [processor] });
const logger = provider.getLogger('app', '1.0.0');
for (let i = 0; i < 100; i++) logger.emit({ severityNumber: i === 99 ? 17 : 9, body: 'request handled', attributes: { i, 'user.id': 'u' + i } });
const path = await processor.snapshot('packed');
const { records } = await readSnapshot(path);
if (records.length !== 100) throw new Error('read ' + records.length + ' records');
await provider.shutdown();
console.log(path);
`;

function packBoth(): { ttlog: string; viewer: string } {
  console.log('build and pack');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  rmSync(join(root, 'packages/ttlog-view/dist'), { recursive: true, force: true });
  mustRun('npm run build', root);
  const packs = join(work, 'packs');
  mkdirSync(packs);
  const packed = (args: string) =>
    (JSON.parse(mustRun(`npm pack ${args} --json --pack-destination ${packs}`, root)) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  const ttlog = packed('');
  const viewer = packed('-w ttlog-view');
  for (const pack of [ttlog, viewer]) {
    const files = pack.files.map((file) => file.path);
    check(files.includes('LICENSE'), `${pack.filename} holds a LICENSE`);
    check(!files.some((file) => file.endsWith('.map')), `${pack.filename} holds no source maps`);
    console.log(`  ${pack.filename}: ${files.length} files, ${statSync(join(packs, pack.filename)).size} bytes packed`);
  }
  return { ttlog: join(packs, ttlog.filename), viewer: join(packs, viewer.filename) };
}

function installInto(line: AppLine, packs: { ttlog: string; viewer: string }): void {
  console.log(line.name);
  const app = join(work, line.name.replace(/\W+/g, '-').toLowerCase());
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2)}\n`);
  mustRun(`npm install --save-exact ${line.otel.join(' ')}`, app, line.node);
  const before = installed(app);
  console.log(`  the OpenTelemetry packages: ${footprint(app)}`);

  mustRun(`npm install ${packs.ttlog}`, app, line.node);
  console.log(`  + ttlog: ${footprint(app)}`);
  const allowed = dependencyClosure(app, TTLOG_DEPENDENCIES, line.node);
  const added = [...installed(app).keys()].filter((name) => !before.has(name) && name !== 'ttlog');
  const foreign = added.filter((name) => !allowed.has(name));
  check(
    foreign.length === 0,
    `ttlog adds only ${TTLOG_DEPENDENCIES.join(' and ')} and their dependencies (${added.join(', ')})${foreign.length > 0 ? `; also ${foreign.join(', ')}` : ''}`,
  );
  check(sh('npm ls', app, line.node).status === 0, 'npm ls exits 0 with ttlog');

  mustRun(`npm install ${packs.ttlog} ${packs.viewer}`, app, line.node);
  console.log(`  + ttlog-view: ${footprint(app)}`);
  const listed = sh('npm ls', app, line.node);
  check(listed.status === 0, `npm ls exits 0 with both packages${listed.status === 0 ? '' : `:\n${listed.stdout}${listed.stderr}`}`);
  const sdkCopies = installed(app).get('@opentelemetry/sdk-logs') ?? [];
  check(sdkCopies.length === 1, `one copy of @opentelemetry/sdk-logs (${sdkCopies.length})`);

  const version = sh('npx ttlog-view --version', app, line.node);
  check(
    version.status === 0 && version.stdout.trim() === `ttlog-view ${packageVersion('packages/ttlog-view')}`,
    `npx ttlog-view --version: ${version.stdout.trim()}${version.stderr.trim()}`,
  );
  writeFileSync(join(app, 'write-snapshot.js'), WRITE_SNAPSHOT);
  const file = mustRun('node write-snapshot.js', app, line.node).trim();
  const text = sh(`npx ttlog-view --utc ${file}`, app, line.node);
  const lines = text.stdout.trim().split('\n');
  check(
    text.status === 0 && lines.length === 100 && lines[99]!.includes('ERROR') && lines[0]!.includes('user.id=u0'),
    `npx ttlog-view reads the app's snapshot (${lines.length} lines)${text.stderr.trim()}`,
  );
  const json = sh(`npx ttlog-view --json ${file}`, app, line.node);
  check(
    json.status === 0 &&
      json.stdout
        .trim()
        .split('\n')
        .every((entry) => JSON.parse(entry).body === 'request handled'),
    'npx ttlog-view --json',
  );
  const otlp = sh(`npx ttlog-view --otlp ${file}`, app, line.node);
  check(otlp.status === 0 && JSON.parse(otlp.stdout).resourceLogs[0].scopeLogs[0].logRecords.length === 100, 'npx ttlog-view --otlp');
}

function packageVersion(folder: string): string {
  return (JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { version: string }).version;
}

try {
  const packs = packBoth();
  for (const line of LINES) installInto(line, packs);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failures++;
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? 'all checks passed' : `${failures} checks failed`);
process.exitCode = failures === 0 ? 0 : 1;
