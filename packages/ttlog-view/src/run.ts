/**
 * The `ttlog-view` command: arguments → inputs → merged, filtered timeline → the chosen output.
 * Returns the exit code (0 ok, 1 an input was unreadable or damaged, 2 usage) instead of
 * exiting, so that output is flushed first (as uvu's CLI does).
 */
import type { Writable } from 'node:stream';
import type { SnapshotMerge } from 'ttlog';
import { HELP, parseViewArgs, type ViewOptions } from './args.ts';
import { writeSourceText } from './chunk-text.ts';
import { defaultSnapshotFiles } from './default-location.ts';
import { filterTimeline, recordPredicate } from './filters.ts';
import { formatJsonRecord } from './format-json.ts';
import { duplicatesText, StatsCollector } from './format-stats.ts';
import { TextFormatter, textFormatFor } from './format-text.ts';
import { mergedBatches, mergedLast, mergeSources } from './merge.ts';
import type { OutFile } from './out-file.ts';
import { LineOutput } from './output.ts';
import { runRecover } from './recover-command.ts';
import { describeError, expandPaths, openSources, type ReportProblem, type SnapshotSource, type ViewRecord } from './sources.ts';
import { UsageError } from './usage-error.ts';
import { terminalSafeJson, terminalText } from './values.ts';
import { VERSION } from './version.ts';

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

/** Where the command reads its environment and writes; `process` in bin.ts, the same in tests. */
export interface CommandIO {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Runs `ttlog-view` with `argv` (arguments only) and resolves to its exit code. */
export async function runView(argv: readonly string[], io: CommandIO): Promise<number> {
  if (argv[0] === 'recover') return runRecover(argv.slice(1), io);
  let options: ViewOptions;
  try {
    options = parseViewArgs(argv, io.env, io.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`ttlog-view: ${error.message}\nTry 'ttlog-view --help' for more.\n`);
    return EXIT_USAGE;
  }
  if (options.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (options.version) {
    io.stdout.write(`ttlog-view ${VERSION}\n`);
    return EXIT_OK;
  }
  if (options.mode === 'interactive' && (io.stdout.isTTY !== true || process.stdin.isTTY !== true)) {
    io.stderr.write('ttlog-view: --interactive needs a terminal; use the default output or --json in a pipe\n');
    return EXIT_USAGE;
  }

  let problems = 0;
  const report = (message: string) => {
    problems++;
    // Paths, reader messages and error texts can hold what a file or its name holds.
    io.stderr.write(`ttlog-view: warning: ${terminalText(message)}\n`);
  };
  const files = options.paths.length > 0 ? await expandPaths(options.paths, report) : await defaultSnapshotFiles(io.env, io.stderr, report);
  const sources = await openSources(files, report);
  // Relative times (--since 5m) count back from the newest snapshot: at 3 a.m. the question is
  // "what happened in the minutes before it was taken", not "in the minutes before now".
  const newest = sources.reduce((latest, source) => {
    const created = BigInt(source.metadata.createdAt.getTime() || 0) * 1_000_000n;
    return created > latest ? created : latest;
  }, 0n);
  // Not while records stream to the same terminal: the progress line would cut into them.
  const streamsToTerminal = (options.mode === 'text' || options.mode === 'json') && options.last === undefined && io.stdout.isTTY === true;
  const progress = new ReadProgress(io.stderr, io.stderr.isTTY === true && !streamsToTerminal);
  // --last N alone needs only the chunks at the end of each file (bench/viewer.ts: the whole
  // file decoded took most of the time of `--last 100` on 1M records).
  const unfiltered = options.around === undefined && recordPredicate(options, newest) === undefined;
  const tailOnly = unfiltered && options.last !== undefined;
  const merge = mergeSources(sources, report);
  const merged = tailOnly ? mergedLast(merge, options.last!) : mergedBatches(merge, options.mode === 'text');
  const timeline: Timeline = {
    records: filterTimeline(progress.count(merged), options, newest),
    merge,
    // All lines of one file: written straight from its chunks (chunk-text.ts).
    direct: options.mode === 'text' && unfiltered && options.last === undefined && sources.length === 1 ? sources[0] : undefined,
    report,
  };

  let failure: Error | undefined;
  try {
    failure = await writeOutput(options, sources, timeline, io, progress);
  } finally {
    progress.stop();
    await Promise.all(sources.map((source) => source.reader.close().catch(() => undefined)));
  }
  if (failure !== undefined) {
    io.stderr.write(`ttlog-view: ${terminalText(failure.message)}\n`);
    return EXIT_BAD_INPUT;
  }
  // --stats and -i say it in their own output; the streaming outputs say it beside theirs.
  if (merge.duplicates > 0 && options.mode !== 'stats' && options.mode !== 'interactive') io.stderr.write(`ttlog-view: ${duplicatesText(merge.duplicates)}\n`);
  return problems > 0 ? EXIT_BAD_INPUT : EXIT_OK;
}

/** What the output shows (the merged, filtered records, or for the text of a single file without filters, that file), and where problems met on the way go. */
interface Timeline {
  readonly records: AsyncGenerator<ViewRecord[]>;
  /** Counts the copies of records that several snapshots of one ring hold, left out of `records`. */
  readonly merge: SnapshotMerge<SnapshotSource>;
  readonly direct: SnapshotSource | undefined;
  readonly report: ReportProblem;
}

async function writeOutput(
  options: ViewOptions,
  sources: SnapshotSource[],
  timeline: Timeline,
  io: CommandIO,
  progress: ReadProgress,
): Promise<Error | undefined> {
  switch (options.mode) {
    case 'stats': {
      const stats = new StatsCollector(sources, timeline.merge);
      for await (const batch of timeline.records) for (const item of batch) stats.add(item);
      progress.stop();
      const output = new LineOutput(io.stdout);
      if (options.statsJson) output.line(terminalSafeJson(JSON.stringify(stats.toJSON(), null, 2)));
      else for (const line of stats.toText(options)) output.line(line);
      await output.end();
      return output.failure;
    }
    case 'html': {
      const { writeHtmlReport } = await import('./html-report.ts');
      await writeHtmlReport(options.htmlPath!, sources, timeline.records, options, timeline.merge);
      progress.stop();
      return undefined;
    }
    case 'interactive': {
      const records: ViewRecord[] = [];
      for await (const batch of timeline.records) for (const item of batch) records.push(item);
      progress.stop();
      const { runInteractive } = await import('./interactive.ts');
      await runInteractive(records, sources, options, timeline.merge.duplicates);
      return undefined;
    }
    case 'otlp':
      return writeOtlp(timeline, options.outPath, io);
    case 'json':
    case 'text': {
      const output = new LineOutput(io.stdout);
      if (timeline.direct !== undefined) {
        await writeSourceText(timeline.direct, new TextFormatter(textFormatFor(options, sources)), output, timeline.report, (records) => progress.add(records));
      } else {
        const writeLine =
          options.mode === 'json'
            ? (item: ViewRecord) => output.line(formatJsonRecord(item))
            : textWriter(new TextFormatter(textFormatFor(options, sources)), output);
        reading: for await (const batch of timeline.records) {
          for (const item of batch) {
            const pause = writeLine(item);
            if (pause !== undefined) {
              await pause;
              if (output.closed) break reading;
            }
          }
        }
      }
      await output.end();
      return output.failure;
    }
  }
}

/**
 * `--otlp`: request lines to stdout, or with `--out` to a file that appears whole or not at all
 * (out-file.ts). Records cut to fit a line are noted on stderr; lines over the limit even so
 * count as a problem.
 */
async function writeOtlp(timeline: Timeline, outPath: string | undefined, io: CommandIO): Promise<Error | undefined> {
  // Loaded on demand, like the HTML and interactive modules: the default output should not pay their start-up.
  const { OTLP_MAX_LINE_BYTES, OtlpEncoder } = await import('./format-otlp.ts');
  let file: OutFile | undefined;
  if (outPath !== undefined) {
    const { OutFile } = await import('./out-file.ts');
    try {
      file = await OutFile.create(outPath);
    } catch (error) {
      // Not the temp file's name, which the error's message holds.
      const reason = (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not a directory' : describeError(error);
      return new Error(`--out ${outPath}: ${reason}`);
    }
  }
  const output = new LineOutput(file?.stream ?? io.stdout);
  const encoder = new OtlpEncoder();
  try {
    reading: for await (const records of timeline.records) {
      for (const item of records) {
        const line = encoder.add(item);
        if (line === undefined) continue;
        const pause = output.line(line);
        if (pause !== undefined) {
          await pause;
          if (output.closed) break reading;
        }
      }
    }
    const last = encoder.end();
    if (last !== undefined && !output.closed) output.line(last);
    await output.end();
  } catch (error) {
    await file?.discard();
    throw error;
  }
  let failure = output.failure;
  if (file !== undefined) {
    if (failure === undefined)
      failure = await file.commit().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    if (failure !== undefined) {
      await file.discard();
      failure = new Error(`--out ${outPath}: ${describeError(failure)}; nothing written`);
    }
  }
  const limit = `${OTLP_MAX_LINE_BYTES / 1024 / 1024} MiB`;
  if (encoder.cutRecords > 0) {
    const records = encoder.cutRecords === 1 ? '1 record' : `${encoder.cutRecords} records`;
    io.stderr.write(`ttlog-view: ${records} larger than one OTLP line (${limit}): body cut to fit, marked "… [cut by ttlog-view …]"\n`);
  }
  if (encoder.oversizedLines > 0) {
    timeline.report(
      `${encoder.oversizedLines} OTLP lines are over ${limit} (a resource or scope alone is larger); the otlpjsonfile receiver needs a larger max_log_size for them`,
    );
  }
  return failure;
}

function textWriter(formatter: TextFormatter, output: LineOutput): (item: ViewRecord) => Promise<void> | undefined {
  return (item) => {
    formatter.write(item, output);
    return output.endLine();
  };
}

/** "reading… N records" on a terminal's stderr once reading has taken more than a second. */
class ReadProgress {
  private records = 0;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stderr: Writable,
    enabled: boolean,
  ) {
    if (!enabled) return;
    this.timer = setTimeout(() => {
      this.timer = setInterval(() => this.show(), 250).unref();
      this.show();
    }, 1000).unref();
  }

  /** Passes the records through, counting them; without a terminal nothing is added per record. */
  count(records: AsyncGenerator<ViewRecord[]>): AsyncGenerator<ViewRecord[]> {
    if (this.timer === undefined) return records;
    return this.counting(records);
  }

  /** Counts records read. */
  add(records: number): void {
    this.records += records;
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stderr.write('\r\x1b[K');
    this.shown = false;
  }

  private async *counting(records: AsyncGenerator<ViewRecord[]>): AsyncGenerator<ViewRecord[]> {
    for await (const batch of records) {
      this.add(batch.length);
      yield batch;
    }
  }

  private show(): void {
    this.shown = true;
    this.stderr.write(`\rttlog-view: reading… ${this.records.toLocaleString('en-US')} records`);
  }
}
