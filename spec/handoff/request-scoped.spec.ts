/**
 * Request-scoped hand-off in a real service (fixtures/http-service.ts): 100 concurrent requests
 * under NodeSDK's http instrumentation, 5 failing; the OTLP receiver gets the records of exactly
 * those 5 traces, each whole, and nothing of the 95 others.
 */
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpReceiver } from './otlp-receiver.ts';

const CHILD = new URL('./fixtures/http-service.ts', import.meta.url).pathname;

test('100 concurrent requests, 5 fail: exactly those 5 traces arrive', async () => {
  const receiver = await OtlpReceiver.start();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, receiver.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (part: Buffer) => {
      stdout += part;
    });
    child.stderr.on('data', (part: Buffer) => {
      stderr += part;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.is(code, 0, stderr);
    const { failingTraces, stats } = JSON.parse(stdout) as { failingTraces: string[]; stats: { exported: number; failed: number } };
    assert.is(failingTraces.length, 5);
    const arrived = receiver.records();
    assert.equal([...new Set(arrived.map((record) => record.traceId))].sort(), [...failingTraces].sort());
    assert.is(arrived.length, 15, 'received, looked up, failed: for each of the 5');
    for (const traceId of failingTraces) {
      const bodies = arrived.filter((record) => record.traceId === traceId).map((record) => record.body);
      const index = String(bodies[0]).split(' ')[1];
      assert.equal(bodies, [`request ${index} received`, `request ${index} looked up`, `request ${index} failed`]);
    }
    assert.equal(stats, { exported: 15, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  } finally {
    await receiver.close();
  }
});

test.run();
