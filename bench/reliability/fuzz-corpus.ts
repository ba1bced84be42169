/**
 * The snapshot files the mutation fuzz starts from, written through the public API (a
 * `TTLogProcessor` behind a real OpenTelemetry `LoggerProvider`): records of every value kind
 * (text, numbers, -0, bigints past 64 bits, bytes, nested maps and arrays, trace context,
 * warnings in the reserve lane), with bodies long enough that a file has several chunks, since
 * the chunk-level mutations need chunks to rearrange. Two files of one ring (taken at different
 * times) and one of another service give the splices their foreign chunks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otel } from '../../spec/support/otel.ts';
import { seededRandom } from '../../spec/support/seeded-random.ts';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';

/** One file of the corpus. */
export interface CorpusFile {
  /** `orders-early`, `orders`, `billing`: which ring and when. */
  readonly name: string;
  readonly service: string;
  readonly bytes: Buffer;
}

const WORDS = ['GET', '/api/v1/orders', 'user=alice', 'ü€😀', '<script>', 'timeout', 'retry', '\u001b]0;x\u0007', 'ok', 'ℵ₀', 'id', '→'];

function words(random: () => number, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `${WORDS[Math.floor(random() * WORDS.length)]} ${Math.floor(random() * 1e6)} `;
  return text;
}

/** Record `i` of a ring: its attributes cover every value kind a record can carry. */
function logRecord(random: () => number, service: string, i: number) {
  const attributes = {
    service,
    i,
    ratio: random() * 100,
    negative: -i - 1,
    zero: i % 5 === 0 ? -0 : 0,
    big: 2n ** 70n + BigInt(i),
    small: BigInt(i),
    flag: i % 2 === 0,
    bytes: new Uint8Array([i & 0xff, (i >> 8) & 0xff, 0, 255]),
    nested: { list: [i, `n${i % 7}`, [true, null]], text: words(random, 2) },
    url: `https://example.test/orders/${i}?q=${i % 13}`,
    // A chunk closes at 512 KiB of ring bytes: long, compressible byte strings give a file of a
    // few hundred records several chunks, and bytes cost the reader a copy where text would
    // cost a decode, so an input reads in about a millisecond.
    payload: patternBytes(8000 + Math.floor(random() * 6000), i),
  };
  return {
    body: i % 9 === 0 ? { message: words(random, 20), code: i } : words(random, 4 + Math.floor(random() * 20)),
    attributes: attributes as never,
    // Every seventh record is a warning or worse, which the reserve lane keeps.
    severityNumber: i % 7 === 0 ? 13 + (i % 11) : 1 + (i % 12),
    severityText: i % 7 === 0 ? 'WARN' : 'INFO',
  };
}

/** Logs `count` records from `start` into `logger`. */
function logRecords(
  logger: ReturnType<InstanceType<typeof otel.LoggerProvider>['getLogger']>,
  random: () => number,
  service: string,
  start: number,
  count: number,
) {
  for (let i = start; i < start + count; i++) logger.emit(logRecord(random, service, i));
}

/** Writes the corpus's files (seeded, so every run fuzzes the same bytes) and returns them. */
export async function buildCorpus(seed = 1): Promise<CorpusFile[]> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-fuzz-corpus-'));
  const random = seededRandom(seed);
  const files: CorpusFile[] = [];
  try {
    for (const service of ['orders', 'billing']) {
      const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: service }), capacity: 256, maxRecordBytes: 16384 });
      const provider = new otel.LoggerProvider({ processors: [processor as never] });
      const logger = provider.getLogger(`${service}-scope`, '1.0.0');
      logRecords(logger, random, service, 0, 150);
      if (service === 'orders') files.push({ name: 'orders-early', service, bytes: readFileSync(await processor.snapshot('early')) });
      logRecords(logger, random, service, 150, 100);
      files.push({ name: service, service, bytes: readFileSync(await processor.snapshot('fuzz')) });
      await provider.shutdown();
    }
    return files;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** `length` bytes repeating a 64-byte pattern: LZ4 copies long-offset matches many bytes at a time, byte runs one byte at a time. */
function patternBytes(length: number, i: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let k = 0; k < length; k++) bytes[k] = (k % 64) * 3 + i;
  return bytes;
}
