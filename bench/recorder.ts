/**
 * `npm run bench:recorder [--quick]`: the recorder thread's effect on the main thread on its own
 * (recorder-delay.ts; `npm run bench` runs the same as a section of the report). Rings of 65,536
 * and 1,048,576 records (1M rounded up to a power of two, as `capacity` does) are snapshotted back
 * to back while the main thread emits, with the recorder thread and with `recorderThread: false`.
 * `--quick` runs the 65,536-record ring only.
 *
 * The npm script preloads spec/support/tsx-workers.mjs, so the TypeScript sources load in worker
 * threads too; without it the thread cannot start and the run stops.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { measureRecorderDelay, RECORDER_DELAY_PLAN, type RecorderDelayRow } from './recorder-delay.ts';

// Reports why the thread did not start, if it did not.
diag.setLogger({ error: (m) => console.error(m), warn: (m) => console.error(m), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);

const quick = process.argv.includes('--quick');
const plan = { ...RECORDER_DELAY_PLAN, sizes: quick ? [65_536] : RECORDER_DELAY_PLAN.sizes };
const { rows } = await measureRecorderDelay(plan);
print(rows);

function print(results: readonly RecorderDelayRow[]): void {
  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  console.log(
    `Node ${process.version}, ${plan.sizes.join(' and ')} records of up to ${plan.maxRecordBytes} bytes, snapshots back to back while the main thread emits`,
  );
  console.log('records   | path            | ms/snapshot | loop max ms (floor) | loop p99 ms (floor) | emit p99 µs (floor) | quiet loop max / p99 ms');
  for (const row of results) {
    console.log(
      [
        String(row.records).padEnd(9),
        row.mode.padEnd(15),
        fixed(row.snapshotMs, 0).padStart(11),
        `${fixed(row.during.loopMaxMs)} (${fixed(row.floor.loopMaxMs)})`.padStart(19),
        `${fixed(row.during.loopP99Ms)} (${fixed(row.floor.loopP99Ms)})`.padStart(19),
        `${fixed(row.during.emitP99Us, 2)} (${fixed(row.floor.emitP99Us, 2)})`.padStart(19),
        `${fixed(row.quiet.loopMaxMs)} / ${fixed(row.quiet.loopP99Ms)}`.padStart(23),
      ].join(' | '),
    );
  }
}
