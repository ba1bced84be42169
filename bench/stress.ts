/**
 * The torn-record stress (docs/reliability.md, "Torn-record stress"):
 *
 *   npm run stress -- --records 10000000 [--producers 3] [--capacity 4096] [--json]
 *
 * Producer threads write checksummed records into one ring while the main thread snapshots
 * continuously and checks every record of every snapshot. Exits 1 on any torn, mixed, repeated or
 * misordered record or any failed accounting. Stopped early (SIGINT, SIGTERM), it prints the
 * counts of the snapshots checked so far.
 */
import { parseArgs } from 'node:util';
import type { StressCounts } from './reliability/stress-checks.ts';
import { runStress } from './reliability/stress-runner.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    producers: { type: 'string', default: '3' },
    capacity: { type: 'string', default: '4096' },
    json: { type: 'boolean', default: false },
  },
});

function print(report: StressCounts & { readonly written: number; readonly seconds: number }): void {
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `${report.written} records written by ${values.producers} producer threads in ${report.seconds.toFixed(0)} s; ` +
        `${report.snapshots} snapshots read back, ${report.records} records checked`,
    );
    console.log(
      `torn ${report.torn}, mixed ${report.mixed}, repeated ${report.repeated}, misordered ${report.misordered}, accounting failures ${report.accounting}`,
    );
    for (const failure of report.failures) console.log(failure);
  }
  process.exitCode = report.torn + report.mixed + report.repeated + report.misordered + report.accounting > 0 ? 1 : 0;
}

const started = performance.now();
let sofar: { counts: StressCounts; written: number } | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nstopped by ${signal}\n`);
    if (sofar !== undefined) print({ ...sofar.counts, written: sofar.written, seconds: (performance.now() - started) / 1000 });
    process.exit(process.exitCode ?? 1);
  });
}

const report = await runStress({
  records: Number(values.records),
  producers: Number(values.producers),
  capacity: Number(values.capacity),
  onProgress: (counts, written) => {
    sofar = { counts: structuredClone(counts), written };
    if (counts.snapshots % 20 === 0) process.stderr.write(`\r${counts.snapshots} snapshots, ${counts.records} records checked, ${written} written`);
  },
});
process.stderr.write('\n');
print(report);
