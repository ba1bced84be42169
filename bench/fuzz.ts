/**
 * The mutation fuzz of snapshot files (docs/reliability.md, "Mutation fuzz"):
 *
 *   npm run fuzz -- --inputs 100000 [--seed 1] [--workers 2] [--timeout-ms 30000] [--save dir] [--json] [--progress-file report.json]
 *
 * Prints the outcomes per mutation as a Markdown table, then the defects found (each input is
 * made again by its seed and index; `--save` also writes them as files). Exits 1 when there is a
 * defect: a hang, an untyped error, a silent wrong read, wrong records despite damage, or read
 * paths that disagree. Stopped early (SIGINT, SIGTERM), it prints what it had at the last
 * thousand inputs; `--progress-file` keeps that report (JSON) in a file during a long run.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { type FuzzReport, runFuzz } from './reliability/fuzz-runner.ts';
import { DEFECTS, OUTCOMES } from './reliability/read-outcome.ts';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    'timeout-ms': { type: 'string', default: '30000' },
    save: { type: 'string' },
    json: { type: 'boolean', default: false },
    'progress-file': { type: 'string' },
  },
});

function table(report: FuzzReport): string {
  const rows = [`| mutation | inputs | ${OUTCOMES.join(' | ')} |`, `|---|--:|${OUTCOMES.map(() => '--:').join('|')}|`];
  const line = (name: string, counts: Record<string, number>) =>
    `| ${name} | ${Object.values(counts).reduce((a, b) => a + b, 0)} | ${OUTCOMES.map((outcome) => counts[outcome]).join(' | ')} |`;
  for (const [name, counts] of Object.entries(report.byMutation).sort(([a], [b]) => a.localeCompare(b))) rows.push(line(name, counts));
  rows.push(line('**all**', report.outcomes));
  return rows.join('\n');
}

function print(report: FuzzReport): void {
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(
    `${report.inputs} inputs, seed ${report.seed}, ${report.seconds.toFixed(0)} s; slowest input ${report.slowestMs.toFixed(0)} ms; largest worker RSS ${(report.maxRssBytes / 2 ** 20).toFixed(0)} MiB\n`,
  );
  console.log(table(report));
  for (const finding of report.findings) console.log(`\n${finding.outcome}: input ${finding.index} (${finding.steps.join(' + ')}): ${finding.detail}`);
  process.exitCode = OUTCOMES.some((outcome) => DEFECTS.has(outcome) && report.outcomes[outcome] > 0) ? 1 : 0;
}

let sofar: FuzzReport | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nstopped by ${signal}\n`);
    if (sofar !== undefined) print(sofar);
    process.exit(process.exitCode ?? 1);
  });
}

const report = await runFuzz({
  inputs: Number(values.inputs),
  seed: Number(values.seed),
  workers: Number(values.workers),
  timeoutMs: Number(values['timeout-ms']),
  saveDirectory: values.save,
  onProgress: (progress) => {
    sofar = progress;
    if (values['progress-file'] !== undefined) writeFileSync(values['progress-file'], JSON.stringify(progress, null, 2));
    process.stderr.write(`\r${progress.inputs} inputs`);
  },
});
process.stderr.write('\n');
print(report);
