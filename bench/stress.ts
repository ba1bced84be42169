/**
 * The torn-record stress (docs/reliability.md, "Torn-record stress"):
 *
 *   npm run stress -- --records 10000000 [--producers 3] [--capacity 4096] [--json]
 *
 * Producer threads write checksummed records into one ring while the main thread snapshots
 * continuously and checks every record of every snapshot. Exits 1 on any torn, mixed, repeated or
 * misordered record or any failed accounting.
 */
import { parseArgs } from 'node:util';
import { runStress } from './reliability/stress-runner.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    producers: { type: 'string', default: '3' },
    capacity: { type: 'string', default: '4096' },
    json: { type: 'boolean', default: false },
  },
});

const report = await runStress({
  records: Number(values.records),
  producers: Number(values.producers),
  capacity: Number(values.capacity),
  onProgress: (counts) => {
    if (counts.snapshots % 20 === 0) process.stderr.write(`\r${counts.snapshots} snapshots, ${counts.records} records checked`);
  },
});
process.stderr.write('\n');
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
