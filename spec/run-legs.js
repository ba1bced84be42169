#!/usr/bin/env node
// `npm test`: runs each leg (a package.json script) in turn, every one even when an earlier one
// failed, then lists how each ended and closes with one line "N passed, N failed, N skipped":
// the test legs' counts summed, a failed check leg or a test leg that failed outside its tests
// (the coverage gate, a crash) counting as one failure. Exits 1 when anything failed.
import { spawn } from 'node:child_process';

const LEGS = ['typecheck', 'lint', 'deps', 'test:otel2', 'test:otel3'];
/** The closing line of spec/run.js. */
const COUNTS = /^otel\d+: (\d+) passed, (\d+) failed, (\d+) skipped$/m;

/** Runs one npm script, its output passed through and kept; resolves with its exit code and output. */
function runScript(script) {
  // npm sets npm_execpath for the scripts it runs; outside npm, the npm on PATH.
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', script]] : ['npm', ['run', script]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('error', (error) => resolve({ code: 1, output: String(error) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const outcomes = [];
for (const leg of LEGS) {
  const started = Date.now();
  const { code, output } = await runScript(leg);
  const ending = ` (${Math.round((Date.now() - started) / 1000)} s${code === 0 ? '' : `, exit code ${code}`})`;
  if (!leg.startsWith('test:')) {
    if (code !== 0) totals.failed += 1;
    outcomes.push(`${leg}: ${code === 0 ? 'ok' : 'FAILED'}${ending}`);
    continue;
  }
  const counts = COUNTS.exec(output);
  const [passed, failed, skipped] = counts ? counts.slice(1).map(Number) : [0, 0, 0];
  totals.passed += passed;
  totals.skipped += skipped;
  totals.failed += counts === null || (code !== 0 && failed === 0) ? Math.max(failed, 1) : failed;
  outcomes.push(`${leg}: ${counts ? `${passed} passed, ${failed} failed, ${skipped} skipped` : 'no test counts'}${ending}`);
}

console.log(`\n${outcomes.join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 ? 1 : 0;
