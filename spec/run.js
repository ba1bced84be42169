#!/usr/bin/env node
// Runs every spec file in its own process (uvu prints a summary per file), sums the results and
// ends with one line "LABEL: N passed, N failed". Usage: node spec/run.js [--otel 3] [files...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const otelIndex = args.indexOf('--otel');
const otelLine = otelIndex >= 0 ? args.splice(otelIndex, 2)[1] : '2';
const label = `otel${otelLine}`;
const files = args.length > 0 ? args : [...findSpecs(join(root, 'spec')), ...findSpecs(join(root, 'packages/ttlog-view/spec'))];
const FILE_TIMEOUT_MS = 180_000;
const PARALLEL = 2;

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
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, TTLOG_OTEL_LINE: otelLine, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n${label}: ${relative(root, file)} timed out after ${FILE_TIMEOUT_MS} ms\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const count = (name) => Number(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'm').exec(plain)?.[1] ?? 0);
      const total = count('Total');
      const passed = count('Passed');
      const skipped = count('Skipped');
      let failed = total - passed - skipped;
      if ((code !== 0 || signal !== null) && failed === 0) failed = 1;
      if (total === 0 && failed === 0) failed = 1; // a spec file that ran no test is a failure
      resolve({ file, passed, failed, skipped, output });
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
    process.stdout.write(`${status} ${relative(root, result.file)}: ${result.passed} passed, ${result.failed} failed\n`);
    if (result.failed > 0) process.stdout.write(result.output.replace(/^/gm, '    ') + '\n');
  }
}
await Promise.all(Array.from({ length: PARALLEL }, worker));
const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
console.log(`node ${process.version}, OpenTelemetry line ${otelLine === '3' ? '3.x' : '0.2xx'}`);
console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
