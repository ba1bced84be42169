/** What a result depends on besides the code: the machine, the runtime, the peers' versions, the command. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, type as osType, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { VERSION } from '../src/index.ts';

export interface Environment {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly command: string;
  /** The commit measured, and the files under src/ that differ from it (measured as they were). */
  readonly commit: string;
  readonly uncommittedSources: readonly string[];
  /** 1-minute load average when the run started: other work on the machine competes for its cores. */
  readonly loadAverage: number;
}

const require = createRequire(import.meta.url);
const PEERS = [
  '@opentelemetry/sdk-logs',
  '@opentelemetry/api',
  '@opentelemetry/otlp-transformer',
  'pino',
  'winston',
  'bunyan',
  '@aws-lambda-powertools/logger',
  'hdr-histogram-js',
  'tsx',
] as const;

export function describeEnvironment(): Environment {
  const versions: Record<string, string> = { ttlog: VERSION };
  for (const name of PEERS) versions[name] = packageVersion(name);
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    os: `${osType()} ${release()} ${process.arch}`,
    node: process.version,
    date: new Date().toISOString(),
    versions,
    command: command(),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    uncommittedSources: git(['status', '--porcelain', '--', 'src'])
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3)),
    loadAverage: loadavg()[0] ?? 0,
  };
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return '';
  }
}

/** The installed version: from `name/package.json`, or found upwards from the entry point when `exports` hides it. */
function packageVersion(name: string): string {
  try {
    let directory = dirname(require.resolve(name));
    for (;;) {
      const manifestPath = join(directory, 'package.json');
      if (existsSync(manifestPath)) {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version ?? 'unknown';
      }
      const parent = dirname(directory);
      if (parent === directory) return 'unknown';
      directory = parent;
    }
  } catch {
    return 'not installed';
  }
}

/** `npm run bench` when npm started us (with the script it ran), else the node command line. */
function command(): string {
  const script = process.env.npm_lifecycle_event;
  const line = process.env.npm_lifecycle_script;
  if (script !== undefined && line !== undefined) return `npm run ${script}   (${line})`;
  return ['node', ...process.execArgv, ...process.argv.slice(1).map((arg) => arg.replace(process.cwd() + '/', ''))].join(' ');
}
