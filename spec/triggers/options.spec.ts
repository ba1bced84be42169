/** Trigger options through the processor's constructor: defaults, and misconfiguration failing at once. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { noTriggers, triggerSettings } from '../../src/triggers/options.ts';

test('true means every default', () => {
  const settings = triggerSettings({ captureCrashes: true, snapshotOnSeverity: true, watchdog: true, intervalMs: 60_000, heapPressure: true });
  assert.equal(settings.crashes, { uncaughtException: true, unhandledRejection: true, signals: ['SIGTERM', 'SIGINT'], exit: true, onDemandSignal: 'SIGUSR2' });
  assert.equal(settings.severity, { severityNumber: 17, windowMs: 500, minIntervalMs: 10_000 });
  assert.equal(settings.watchdog, { thresholdMs: 5000, heartbeatMs: 250 });
  assert.is(settings.intervalMs, 60_000);
  assert.equal(settings.heapPressure, { ratio: 0.9, checkMs: 250 });
});

test('heapPressure takes its share of the heap limit', () => {
  assert.is(triggerSettings({ heapPressure: { ratio: 0.75 } }).heapPressure?.ratio, 0.75);
  assert.is(triggerSettings({ heapPressure: {} }).heapPressure?.ratio, 0.9);
  assert.not.ok(noTriggers(triggerSettings({ heapPressure: true })));
});

test('nothing, or false, turns nothing on', () => {
  assert.ok(noTriggers(triggerSettings({})));
  assert.ok(noTriggers(triggerSettings({ captureCrashes: false, snapshotOnSeverity: false, watchdog: false, heapPressure: false })));
});

test('per-trigger crash settings', () => {
  const settings = triggerSettings({ captureCrashes: { signals: false, onDemandSignal: false, exit: false } });
  assert.equal(settings.crashes, { uncaughtException: true, unhandledRejection: true, signals: [], exit: false, onDemandSignal: undefined });
  assert.equal(triggerSettings({ captureCrashes: { signals: ['SIGHUP'], onDemandSignal: 'SIGWINCH' } }).crashes?.signals, ['SIGHUP']);
});

test('a short stall threshold beats more often', () => {
  assert.equal(triggerSettings({ watchdog: { thresholdMs: 200 } }).watchdog, { thresholdMs: 200, heartbeatMs: 10 });
});

test('misconfiguration throws a RangeError from the constructor', () => {
  const bad: TTLogProcessorOptions[] = [
    { captureCrashes: { signals: ['SIGKILL'] } },
    { captureCrashes: { onDemandSignal: 'SIGUSR1' } },
    { captureCrashes: { signals: ['SIGTERM'], onDemandSignal: 'SIGTERM' } },
    { captureCrashes: { signals: ['sigterm' as NodeJS.Signals] } },
    { intervalMs: 0 },
    { intervalMs: 2 ** 31 },
    { snapshotOnSeverity: { severityNumber: 25 } },
    { snapshotOnSeverity: { windowMs: -1 } },
    { watchdog: { thresholdMs: 10 } },
    { watchdog: { thresholdMs: 1.5 } },
    { heapPressure: { ratio: 0 } },
    { heapPressure: { ratio: 1 } },
    { heapPressure: { ratio: Number.NaN } },
  ];
  for (const options of bad) {
    assert.throws(() => new TTLogProcessor({ ...options, exporter: new SnapshotExporter() }), RangeError, JSON.stringify(options));
  }
});

test.run();
