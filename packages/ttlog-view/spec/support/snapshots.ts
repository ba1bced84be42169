/**
 * Snapshots for the viewer's tests, written by the real `TTLogProcessor` through a real SDK
 * `LoggerProvider`, and two ways to run `ttlog-view`: as a subprocess (through tsx, no build
 * needed), and in this process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SnapshotExporter, TTLogProcessor } from 'ttlog';
import { otel } from '../../../../spec/support/otel.ts';
import { runView } from '../../src/run.ts';

export const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

/** One record to emit; `at` is nanoseconds since the epoch, kept exactly through HrTime. */
export interface EmitSpec {
  readonly at: bigint;
  readonly severityNumber?: number;
  readonly severityText?: string;
  readonly body?: unknown;
  readonly attributes?: Record<string, unknown>;
  readonly scope?: string;
  readonly scopeVersion?: string;
  readonly eventName?: string;
  readonly trace?: { readonly traceId: string; readonly spanId: string; readonly traceFlags: number };
}

export interface ServiceSpec {
  readonly service: string;
  readonly resource?: Record<string, unknown>;
  readonly records: readonly EmitSpec[];
  readonly capacity?: number;
  /** The ring's slot size: larger records are trimmed. */
  readonly maxRecordBytes?: number;
  /** SDK log record processors that see each record before the TTLogProcessor does. */
  readonly processorsBefore?: readonly object[];
}

/** The 2026-03-14T15:09:26Z second in nanoseconds, plus `offsetMs` milliseconds and `extraNs`. */
export function at(offsetMs: number, extraNs = 0): bigint {
  return 1_773_500_966_000_000_000n + BigInt(offsetMs) * 1_000_000n + BigInt(extraNs);
}

export function hrTime(nanos: bigint): [number, number] {
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}

interface EmitsLogs {
  emit(record: never): void;
}

/** Emits `spec.records` through a provider with a TTLogProcessor and writes one snapshot into `directory`; resolves to its path. */
export async function writeServiceSnapshot(directory: string, spec: ServiceSpec, reason = 'manual'): Promise<string> {
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory }),
    ...(spec.capacity === undefined ? {} : { capacity: spec.capacity }),
    ...(spec.maxRecordBytes === undefined ? {} : { maxRecordBytes: spec.maxRecordBytes }),
  });
  const provider = new otel.LoggerProvider({
    resource: otel.resourceFromAttributes({ 'service.name': spec.service, ...spec.resource }),
    processors: [...(spec.processorsBefore ?? []), processor] as never,
  });
  const loggers = new Map<string, EmitsLogs>();
  for (const record of spec.records) {
    const key = `${record.scope ?? 'app'}@${record.scopeVersion ?? ''}`;
    let logger = loggers.get(key);
    if (logger === undefined) {
      logger = provider.getLogger(record.scope ?? 'app', record.scopeVersion) as unknown as EmitsLogs;
      loggers.set(key, logger);
    }
    const context = record.trace === undefined ? undefined : otel.trace.setSpanContext(otel.context.active(), record.trace);
    logger.emit({
      timestamp: hrTime(record.at),
      observedTimestamp: hrTime(record.at + 1_000n),
      ...(record.severityNumber === undefined ? {} : { severityNumber: record.severityNumber }),
      ...(record.severityText === undefined ? {} : { severityText: record.severityText }),
      ...(record.body === undefined ? {} : { body: record.body }),
      ...(record.attributes === undefined ? {} : { attributes: record.attributes }),
      ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
      ...(context === undefined ? {} : { context }),
    } as never);
  }
  // No provider.shutdown(): it would write a second (shutdown) snapshot, and the tests want one file per service.
  return processor.snapshot(reason);
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ttlog-view ARGS` as a subprocess from the repository root. */
export function runViewer(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/ttlog-view/src/bin.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', TZ: 'UTC', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs `ttlog-view ARGS` in this process, through the function bin.ts calls, with stdout and
 * stderr collected and neither a terminal. For tests of what the command prints, where the
 * process itself (exit codes, signals, pipes, time zones) is not the subject: each case then costs
 * no Node start-up. Times print in this process's zone, so callers pass `--utc` or print JSON.
 */
export async function runViewInProcess(args: readonly string[]): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const collect = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString('utf8'));
        done();
      },
    });
  const code = await runView(args, { stdout: collect((text) => (stdout += text)), stderr: collect((text) => (stderr += text)), env: {} });
  return { code, stdout, stderr };
}

export const TRACE_ORDER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
export const TRACE_STOCK = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 };

/** Two services of a small shop, the data behind the golden outputs and the filter tests. */
export const CHECKOUT: ServiceSpec = {
  service: 'checkout',
  resource: { 'deployment.environment': 'prod', 'host.cores': 4 },
  records: [
    {
      at: at(0),
      severityNumber: 9,
      severityText: 'INFO',
      body: 'server started',
      attributes: { port: 8080, 'tls.enabled': true },
      scope: 'http',
      scopeVersion: '1.2.0',
    },
    { at: at(120), severityNumber: 5, severityText: 'DEBUG', body: 'cache warm', attributes: { entries: 1500 }, scope: 'cache' },
    {
      at: at(1500),
      severityNumber: 9,
      severityText: 'INFO',
      body: 'order received',
      attributes: { 'order.id': 'A-17', items: ['book', 'pen'], customer: { tier: 'gold', since: 2019 } },
      scope: 'http',
      scopeVersion: '1.2.0',
      trace: TRACE_ORDER,
    },
    {
      at: at(2500, 123),
      severityNumber: 13,
      severityText: 'WARN',
      body: 'payment slow',
      attributes: { 'latency.ms': 812.5, 'order.id': 'A-17' },
      scope: 'pay',
      trace: TRACE_ORDER,
    },
    {
      at: at(3000, 456_789),
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'payment failed: card declined',
      attributes: { 'order.id': 'A-17', 'error.type': 'CardDeclined' },
      scope: 'pay',
      trace: TRACE_ORDER,
    },
    { at: at(3100), severityNumber: 21, severityText: 'FATAL', body: 'worker crashed\n  at charge (pay.js:42)', scope: 'app' },
  ],
};

export const CART: ServiceSpec = {
  service: 'cart',
  records: [
    { at: at(1000), severityNumber: 9, body: 'cart opened', attributes: { 'cart.id': 'c-9', user: 'ana maria' }, scope: 'cart' },
    { at: at(2000), severityNumber: 11, body: 'cart updated', attributes: { 'cart.id': 'c-9' }, scope: 'cart', eventName: 'cart.update' },
    { at: at(2999), severityNumber: 17, body: 'inventory lookup failed', attributes: { sku: 'X1' }, scope: 'inventory', trace: TRACE_STOCK },
    { at: at(4000), severityNumber: 9, body: { event: 'checkout', total: 42.5 }, scope: 'cart' },
  ],
};
