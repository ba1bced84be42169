/**
 * `node --expose-gc --import tsx bench/event-micro.ts [rounds]`: what a typed event costs
 * (`processor.event(…).emit`) against OpenTelemetry's `logger.emit` into a no-op processor (the
 * SDK's own floor) and into `TTLogProcessor`, on one record of three attributes (a route of 8,
 * an int status, a double duration) and a short body, each call building a fresh attributes object
 * as a call site does. All run in one process, in rounds with the order rotating; ratios are
 * taken within a round and the median over rounds reported, which holds on a loaded machine better
 * than the absolute figures. It writes nothing.
 *
 * The typed event is measured with the trace context read from the active context (its default)
 * and without (`context: false`), both with the AsyncLocalStorage context manager a NodeSDK
 * registers, outside any span — that lookup's cost is why `context` is an option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor, type TypedEvent } from '../src/index.ts';
import { median } from './measure.ts';

const rounds = Number(process.argv[2] ?? 15);
const RECORDS = 200_000;
const ROUTES = ['/api/users/:id', '/api/orders', '/api/orders/:id', '/api/cart', '/health', '/api/search', '/api/login', '/api/items/:id'] as const;
const BODY = 'request handled';
const SCOPE = 'ttlog-bench';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));

type Loop = (from: number, count: number) => void;

function sdkLoop(processor: unknown): { loop: Loop; provider: LoggerProvider } {
  const provider = new LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger(SCOPE);
  const loop: Loop = (from, count) => {
    for (let i = from; i < from + count; i++) {
      logger.emit({
        severityNumber: 9,
        severityText: 'INFO',
        eventName: 'http.request.done',
        body: BODY,
        attributes: { 'http.route': ROUTES[i & 7]!, 'http.status_code': 200 + (i & 3), duration_ms: (i & 0x3ff) / 8 },
      });
    }
  };
  return { loop, provider };
}

function eventLoop(event: TypedEvent): Loop {
  return (from, count) => {
    for (let i = from; i < from + count; i++) {
      event.emit({ 'http.route': ROUTES[i & 7]!, 'http.status_code': 200 + (i & 3), duration_ms: (i & 0x3ff) / 8 }, BODY);
    }
  };
}

let calls = 0;
const noop = sdkLoop({ onEmit: () => void calls++, forceFlush: async () => {}, shutdown: async () => {} });
const viaSdk = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
const sdk = sdkLoop(viaSdk);
const direct = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
const declaration = { severity: 'INFO', scope: SCOPE, attributes: { 'http.route': 'string', 'http.status_code': 'int', duration_ms: 'double' } } as const;
const withContext = direct.event('http.request.done', declaration);
const withoutContext = direct.event('http.request.done', { ...declaration, context: false });

const candidates: ReadonlyArray<{ readonly name: string; readonly loop: Loop }> = [
  { name: 'SDK emit, no-op processor (floor)', loop: noop.loop },
  { name: 'SDK emit, TTLogProcessor', loop: sdk.loop },
  { name: 'typed event', loop: eventLoop(withContext) },
  { name: 'typed event, context: false', loop: eventLoop(withoutContext) },
];

const collectGarbage = (globalThis as { gc?: () => void }).gc;
/** Each sample logs records of indexes no sample used before. */
let from = 0;
function sample(loop: Loop): number {
  from += RECORDS;
  collectGarbage?.();
  const start = process.hrtime.bigint();
  loop(from, RECORDS);
  return Number(process.hrtime.bigint() - start) / RECORDS;
}

const load = loadavg()[0]!;
for (const { loop } of candidates) sample(loop);
const samples = candidates.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < candidates.length; k++) {
    const index = (k + round) % candidates.length;
    samples[index]!.push(sample(candidates[index]!.loop));
  }
}

const ratio = (of: number, to: number): number => median(samples[of]!.map((ns, round) => ns / samples[to]![round]!));
console.log(
  `${rounds} rounds × ${RECORDS.toLocaleString('en-US')} records; load average ${load.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`,
);
for (let k = 0; k < candidates.length; k++) {
  const ns = median(samples[k]!);
  console.log(
    `${candidates[k]!.name.padEnd(36)} ${ns.toFixed(1).padStart(7)} ns/record  ${(1e9 / ns / 1e6).toFixed(2).padStart(6)} M/s  ` +
      `floor/this ${ratio(0, k).toFixed(2).padStart(6)}  via-SDK/this ${ratio(1, k).toFixed(2).padStart(6)}`,
  );
}
const stats = direct.stats();
if (stats.written !== 2 * RECORDS * (rounds + 1) || stats.dropped !== 0 || stats.truncated !== 0)
  throw new Error(`typed events: ring counts ${JSON.stringify(stats)}`);
await Promise.all([noop.provider.shutdown(), sdk.provider.shutdown(), direct.shutdown()]);
rmSync(directory, { recursive: true, force: true });
