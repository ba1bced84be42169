#!/usr/bin/env node
// Runs every spec file in its own process (uvu prints a summary per file), sums the results and
// ends with one line "LABEL: N passed, N failed, N skipped". Usage: node spec/run.js [--otel 3] [files...]
//
// A file is stopped only when none of its tests has finished for TTLOG_SPEC_IDLE_SECONDS (uvu
// prints a mark as each test ends), so the limit applies to one test, not to a file that holds
// many slow ones: a loaded machine makes a long file longer but no single test much slower.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const TSX_IN_WORKERS = new URL('./support/tsx-workers.mjs', import.meta.url).href;
const args = process.argv.slice(2);
const otelIndex = args.indexOf('--otel');
const otelLine = otelIndex >= 0 ? args.splice(otelIndex, 2)[1] : '2';
const label = `otel${otelLine}`;
const files = args.length > 0 ? args : [...findSpecs(join(root, 'spec')), ...findSpecs(join(root, 'packages/ttlog-view/spec'))];
/**
 * Everything the specs write to the temp directory goes to one of this run's, removed at its end:
 * their files, and tsx's compile cache (kept under the temp directory), which the many child
 * processes then share instead of each compiling every source again. The machine's shared cache
 * is not used: its source maps name the first checkout that compiled a file, so another clone's
 * coverage would be booked to that checkout.
 */
const RUN_TEMP = mkdtempSync(join(tmpdir(), `ttlog-spec-${label}-`));
process.on('exit', () => rmSync(RUN_TEMP, { recursive: true, force: true }));
const IDLE_LIMIT_MS = Number(process.env.TTLOG_SPEC_IDLE_SECONDS ?? 300) * 1000;
const PARALLEL = 2;
/** The line spec/support/skip.ts prints for each skipped test: its name and the reason. */
const SKIP_LINE = /^skipped: (.*)$/gm;

function findSpecs(dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'support' || name === 'fixtures' ? [] : findSpecs(path);
      return name.endsWith('.spec.ts') ? [path] : [];
    })
    .sort();
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    // tsx-workers.mjs lets the worker threads ttlog starts (the recorder thread) load the sources
    // on Node 20 too, so every spec runs with them as a service does, on both lines.
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', TSX_IN_WORKERS, file], {
      cwd: root,
      // The run's own temp directory (see RUN_TEMP) for the spec and every process it starts.
      env: { ...process.env, TTLOG_OTEL_LINE: otelLine, FORCE_COLOR: '0', TMPDIR: RUN_TEMP },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let lastOutput = started;
    let longestWait = 0;
    const onOutput = (chunk) => {
      const now = Date.now();
      longestWait = Math.max(longestWait, now - lastOutput);
      lastOutput = now;
      output += chunk;
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const idleCheck = setInterval(() => {
      if (Date.now() - lastOutput < IDLE_LIMIT_MS) return;
      output += `\n${label}: ${relative(root, file)} stopped: no test finished for ${IDLE_LIMIT_MS / 1000} s (TTLOG_SPEC_IDLE_SECONDS)\n`;
      child.kill('SIGKILL');
      clearInterval(idleCheck);
    }, 1000);
    child.on('close', (code, signal) => {
      clearInterval(idleCheck);
      const plain = stripVTControlCharacters(output);
      const count = (name) => Number(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'm').exec(plain)?.[1] ?? 0);
      // uvu's Total leaves out the skipped tests.
      const total = count('Total');
      const passed = count('Passed');
      const skipped = count('Skipped');
      const reasons = [...plain.matchAll(SKIP_LINE)].map((match) => match[1]);
      if (skipped > reasons.length) reasons.push(`${skipped - reasons.length} without a reason (test.skip or test.only)`);
      let failed = total - passed;
      if ((code !== 0 || signal !== null) && failed === 0) failed = 1;
      if (total === 0 && skipped === 0 && failed === 0) failed = 1; // a spec file that ran no test is a failure
      const seconds = (Date.now() - started) / 1000;
      resolve({ file: relative(root, file), passed, failed, skipped, reasons, output, seconds, longestWait: Math.max(longestWait, Date.now() - lastOutput) });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const result = await runFile(files[next++]);
    results.push(result);
    const status = result.failed > 0 ? 'FAIL' : 'ok  ';
    const counts = `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`;
    process.stdout.write(`${status} ${result.file}: ${counts} (${result.seconds.toFixed(1)} s)\n`);
    for (const reason of result.reasons) process.stdout.write(`       skipped: ${reason}\n`);
    if (result.failed > 0) process.stdout.write(`${result.output.replace(/^/gm, '    ')}\n`);
  }
}
await Promise.all(Array.from({ length: PARALLEL }, worker));

const sum = (key) => results.reduce((total, result) => total + result[key], 0);
const slowest = results.reduce((a, b) => (b.longestWait > a.longestWait ? b : a), results[0]);
console.log(`node ${process.version}, OpenTelemetry line ${otelLine === '3' ? '3.x' : '0.2xx'}, ${files.length} spec files`);
if (slowest !== undefined) {
  console.log(`longest wait for one test: ${(slowest.longestWait / 1000).toFixed(1)} s (${slowest.file}); the limit is ${IDLE_LIMIT_MS / 1000} s`);
}
for (const result of results) for (const reason of result.reasons) console.log(`skipped in ${result.file}: ${reason}`);
for (const result of results) if (result.failed > 0) console.log(`failed: ${result.file}`);
console.log(`${label}: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exitCode = sum('failed') > 0 ? 1 : 0;
