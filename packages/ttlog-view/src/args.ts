/** `ttlog-view` command line → {@link ViewOptions}. Usage mistakes throw {@link UsageError} (exit 2). */
import { parseArgs } from 'node:util';
import type { SnapshotReason } from 'ttlog';
import { type FilterOptions, parseDuration, parseLevel, parseTime } from './filters.ts';
import { UsageError } from './usage-error.ts';

export type OutputMode = 'text' | 'json' | 'otlp' | 'stats' | 'html' | 'interactive';

/** Everything the command line says, checked and parsed. */
export interface ViewOptions extends FilterOptions {
  /** The PATH arguments; none: the default snapshot location (default-location.ts). */
  readonly paths: readonly string[];
  readonly mode: OutputMode;
  /** `--stats --json`: the summary as one JSON document. */
  readonly statsJson: boolean;
  readonly htmlPath?: string;
  /** `--otlp --out FILE`: the lines go to FILE (`.jsonl`, or `.jsonl.gz` compressed) instead of stdout. */
  readonly outPath?: string;
  readonly utc: boolean;
  readonly color: boolean;
  /** Whole trace ids in the text output. */
  readonly wide: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

const DEFAULT_WINDOW_NS = 30_000_000_000n;
/** The names `--out` takes: OTLP JSON lines, plain or gzip-compressed (the otlpjsonfile receiver's one compression). */
const OUT_FILE_NAME = /\.jsonl(\.gz)?$/;

const optionSpec = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  utc: { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  wide: { type: 'boolean' },
  json: { type: 'boolean' },
  otlp: { type: 'boolean' },
  stats: { type: 'boolean' },
  html: { type: 'string' },
  out: { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
  level: { type: 'string', short: 'l' },
  since: { type: 'string' },
  until: { type: 'string' },
  grep: { type: 'string', short: 'g' },
  where: { type: 'string', short: 'w', multiple: true },
  'trace-id': { type: 'string' },
  service: { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  last: { type: 'string', short: 'n' },
  around: { type: 'string' },
  window: { type: 'string' },
} as const;

/** Reasons the help names, checked against the library's list by the type. */
const ROUTINE_REASONS: readonly SnapshotReason[] = ['manual', 'flush', 'shutdown', 'periodic', 'error'];
const CRASH_REASONS: readonly SnapshotReason[] = ['uncaught-exception', 'unhandled-rejection', 'signal', 'stall', 'recovered'];

export const HELP = `Usage: ttlog-view [options] [PATH...]

Shows the records of ttlog snapshot files as one timeline. PATH is a snapshot file, a persisted
ring file (*.persist, read as the snapshot it recovers to), or a directory of snapshot files (its
*.bin files); several are merged by timestamp. 'ttlog-view recover PATH' writes a persisted ring
file's snapshot file (see 'ttlog-view recover --help'). Without PATH, it reads
where snapshots go by default: TTLOG_SNAPSHOT_DIR, else the ttlog-*.bin files in the OS temp
directory, and says which on stderr.

Output (default: one line per record: time, level, service/pid, the first 8 hex digits of
the trace id, [scope], body, attributes as key=value)
  --wide                 whole trace ids (32 hex digits)
  --json                 NDJSON, one record per line, lossless (64-bit values as strings)
  --otlp                 OTLP JSON lines (one ExportLogsServiceRequest per line, each at most
                         1 MiB, as the Collector's otlpjsonfile receiver reads them)
  --out FILE             with --otlp: write FILE instead of stdout, gzip-compressed if it ends
                         in .jsonl.gz (else it must end in .jsonl); complete or not at all
                         (written to a temp file, then renamed), mode 0600
  --stats                summary per file and overall (with --json: as JSON), with the reason
                         each snapshot was written: ${ROUTINE_REASONS.join(', ')}, …,
                         for a crash ${CRASH_REASONS.join(', ')}, …
  --html FILE            self-contained HTML report with a chart and a filterable table
  -i, --interactive      full-screen viewer
  --utc                  times in UTC (default: local time)
  --color, --no-color    colors on / off, also in a pipe (default: on for a terminal); the first
                         that applies decides: --no-color, --color, NO_COLOR (off), FORCE_COLOR
                         (off if 0 or false, else on), a terminal

Filters (all must match)
  -l, --level LEVEL      minimum severity: trace, debug, info, warn, error, fatal or 1-24
  --since TIME           at or after TIME: ISO 8601, or a duration such as 90s, 5m, 2h, 1d
  --until TIME           at or before TIME; durations count back from the newest snapshot
  -g, --grep REGEX       body matches REGEX (JavaScript syntax)
  -w, --where KEY=VALUE  attribute KEY equals VALUE (KEY alone: has KEY); repeatable
  --trace-id ID          records of one trace: its id, or its first 8 or more hex digits
  --service NAME         service name (* matches any characters); repeatable
  --scope NAME           instrumentation scope name (* matches any characters); repeatable
  -n, --last N           only the last N matching records
  --around first-error|TIME
                         records within --window of the first error (or of TIME)
  --window DURATION      half-width of --around (default 30s)

  -h, --help             this help
  -V, --version          the version

Exit status: 0 ok, 1 an input was unreadable or damaged (what could be read is shown), 2 usage.
`;

/** Parses `argv` (without node and the script). `isTerminal` and `env` decide the default for colors. */
export function parseViewArgs(argv: readonly string[], env: NodeJS.ProcessEnv, isTerminal: boolean): ViewOptions {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof optionSpec; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: optionSpec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const modes = (['json', 'otlp', 'stats', 'interactive'] as const).filter((mode) => values[mode] === true);
  if (values.html !== undefined) modes.push('html' as never);
  const exclusive = modes.filter((mode) => !(mode === 'json' && values.stats === true));
  if (exclusive.length > 1) throw new UsageError(`choose one output: ${exclusive.map((mode) => `--${mode}`).join(', ')}`);
  if (values.json === true && (values.html !== undefined || values.interactive === true)) {
    throw new UsageError('--json goes with the default output or --stats only');
  }
  const mode: OutputMode = values.stats === true ? 'stats' : ((exclusive[0] as OutputMode | undefined) ?? 'text');
  if (values.out !== undefined) {
    if (mode !== 'otlp') throw new UsageError('--out goes with --otlp');
    // The name says whether the file is compressed, for the receiver as for anyone else.
    if (!OUT_FILE_NAME.test(values.out)) throw new UsageError(`--out ${JSON.stringify(values.out)}: expected a name ending in .jsonl, or .jsonl.gz for gzip`);
  }

  return {
    paths: positionals,
    mode,
    statsJson: values.stats === true && values.json === true,
    ...(values.html === undefined ? {} : { htmlPath: values.html }),
    ...(values.out === undefined ? {} : { outPath: values.out }),
    utc: values.utc === true,
    color: colorsWanted(values['no-color'] === true, values.color === true, env, isTerminal),
    wide: values.wide === true,
    ...optional('minSeverity', values.level, (text) => parseLevel(text)),
    ...optional('since', values.since, (text) => parseTime(text, '--since')),
    ...optional('until', values.until, (text) => parseTime(text, '--until')),
    ...optional('grep', values.grep, toRegExp),
    where: (values.where ?? []).map(toWhere),
    ...optional('traceId', values['trace-id'], toTraceId),
    services: values.service ?? [],
    scopes: values.scope ?? [],
    ...optional('last', values.last, toCount),
    ...optional('around', values.around, (text) => (text === 'first-error' ? 'first-error' : parseTime(text, '--around'))),
    window: values.window === undefined ? DEFAULT_WINDOW_NS : checkedDuration(values.window, '--window'),
    help: values.help === true,
    version: values.version === true,
  };
}

/**
 * Whether to color, the first that says: `--no-color`, `--color`, `NO_COLOR` (any value but
 * empty: off), `FORCE_COLOR` (`0` or `false`: off, any other value but empty: on), then whether
 * stdout is a terminal. The flags are what the user typed for this run, so they win over the
 * environment, as no-color.org asks; `NO_COLOR` wins over `FORCE_COLOR` (Node's own order is
 * the other way round) because it is the user's own choice, where `FORCE_COLOR` is often set by
 * a CI service or inherited from a parent tool.
 */
export function colorsWanted(noColorFlag: boolean, colorFlag: boolean, env: NodeJS.ProcessEnv, isTerminal: boolean): boolean {
  if (noColorFlag) return false;
  if (colorFlag) return true;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force) return force !== '0' && force.toLowerCase() !== 'false';
  return isTerminal;
}

function optional<K extends string, T>(key: K, text: string | undefined, parse: (text: string) => T): { [P in K]?: T } {
  return (text === undefined ? {} : { [key]: parse(text) }) as { [P in K]?: T };
}

function toRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new UsageError(`--grep: ${(error as Error).message}`);
  }
}

function toWhere(text: string): readonly [string, string | undefined] {
  const equals = text.indexOf('=');
  const key = equals < 0 ? text : text.slice(0, equals);
  if (key === '') throw new UsageError(`--where ${JSON.stringify(text)}: expected KEY=VALUE or KEY`);
  return [key, equals < 0 ? undefined : text.slice(equals + 1)];
}

/** A trace id or its start, as the text output shows it: at least 8 hex digits, fewer would match unrelated traces. */
function toTraceId(text: string): string {
  if (!/^[0-9a-fA-F]{8,32}$/.test(text)) throw new UsageError(`--trace-id ${JSON.stringify(text)}: expected 32 hex digits, or the first 8 or more`);
  return text.toLowerCase();
}

function toCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(count) || count < 1) throw new UsageError(`--last ${JSON.stringify(text)}: expected a positive integer`);
  return count;
}

function checkedDuration(text: string, option: string): bigint {
  const duration = parseDuration(text);
  if (duration === undefined) throw new UsageError(`${option} ${JSON.stringify(text)}: expected a duration such as 500ms, 30s, 5m, 2h or 1d`);
  return duration;
}
