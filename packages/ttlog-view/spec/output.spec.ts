/**
 * LineOutput: lines reach the stream intact and in order, also when the stream is slow and the
 * output's buffers are used again. (A closed pipe: run.spec.ts, through `| head`.)
 */

import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../../spec/support/seeded-random.ts';
import { LineOutput } from '../src/output.ts';

/** A stream that reads each write only when it completes it, some time later: a buffer used again too early shows. */
function slowStream(delay: (write: number) => number): { stream: Writable; text: () => string } {
  const parts: string[] = [];
  let writes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      setTimeout(() => {
        parts.push(chunk.toString('utf8'));
        done();
      }, delay(writes++));
    },
  });
  return { stream, text: () => parts.join('') };
}

test('every line arrives intact and in order through a slow stream', async () => {
  const { stream, text } = slowStream((write) => write % 5);
  const output = new LineOutput(stream);
  const expected: string[] = [];
  for (let i = 0; i < 60_000; i++) {
    const line = `line ${i} ${'é'.repeat(i % 7)}${'x'.repeat(i % 200)}`;
    expected.push(line);
    // Whole lines first, then lines written piece by piece.
    if (i === 30_000) await output.flush();
    let pause: Promise<void> | undefined;
    if (i < 30_000) pause = output.line(line);
    else {
      output.text(line);
      pause = output.endLine();
    }
    if (pause !== undefined) await pause;
  }
  await output.end();
  assert.is(output.failure, undefined);
  assert.is(text(), `${expected.join('\n')}\n`);
});

test('a line written piece by piece while whole lines wait is refused: it would come out ahead of them', () => {
  const output = new LineOutput(slowStream(() => 0).stream);
  output.line('whole');
  output.text('piece');
  assert.throws(() => output.endLine(), /piece by piece/);
});

test('a buffer is not used again while the stream still holds a write from it', async () => {
  // Runs of lines with no flush between them (a chunk's lines are written so), then a flush,
  // of random sizes: buffers are filled, grown and retired while writes from them are in flight.
  const random = seededRandom(0x0b0f);
  let changedInFlight = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const copy = Buffer.from(chunk);
      setTimeout(() => {
        if (!chunk.equals(copy)) changedInFlight++;
        done();
      }, random() * 5);
    },
  });
  const output = new LineOutput(stream);
  for (let run = 0; run < 150; run++) {
    const lines = Math.floor(random() ** 3 * 40_000);
    for (let i = 0; i < lines; i++) {
      output.text(`run ${run} line ${i} `.padEnd(10 + Math.floor(random() * 200), 'x'));
      output.lineFeed();
    }
    const pause = output.flush();
    if (pause !== undefined) await pause;
  }
  await output.end();
  assert.is(changedInFlight, 0);
});

test.run();
