/**
 * The busy, full and odd directory cases (bench/reliability/directory-cases.ts, docs/reliability.md):
 * every snapshot either rejects with a reason or writes a complete file, never leaves a partial
 * file under a final name, never hangs, and no rejection goes unhandled. The long run, with more
 * full-disk trials, is `npm run stress:directories`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CaseReport, runDirectoryCases } from '../../bench/reliability/directory-cases.ts';

let cases: CaseReport[] = [];
let unhandledRejections = -1;

test.before(async () => {
  ({ cases, unhandledRejections } = await runDirectoryCases({ fullDiskTrials: 30, seed: 3, boundMs: 30_000 }));
});

function caseNamed(start: string): CaseReport {
  const found = cases.find((report) => report.name.startsWith(start));
  if (found === undefined) throw new Error(`no case "${start}"`);
  return found;
}

test('every case: a reasoned rejection or a complete file, nothing partial under a final name, no hang', () => {
  assert.ok(cases.length >= 10);
  for (const report of cases) {
    assert.equal(report.problems, [], report.name);
    assert.is(report.hangs, 0, report.name);
  }
  assert.is(unhandledRejections, 0);
});

test('a disk failing at random points both rejects and writes, with the failing call’s code', () => {
  const full = caseNamed('full disk');
  assert.is(full.trials, 30);
  assert.ok(full.written > 0 && full.rejected > 0, `${full.written} written, ${full.rejected} rejected`);
  assert.ok(
    Object.keys(full.codes).every((code) => ['ENOSPC', 'EDQUOT', 'EIO', 'EBUSY', 'EAGAIN', 'EMFILE'].includes(code)),
    Object.keys(full.codes).join(),
  );
});

test('what cannot take a file is rejected with its code; what can, takes it', () => {
  assert.equal(caseNamed('read-only file system').codes, { EROFS: 1 });
  assert.equal(caseNamed('a path through a file').codes, { ENOTDIR: 1 });
  assert.equal(caseNamed('EMFILE').codes, { EMFILE: 1 });
  assert.is(caseNamed('EMFILE').written, 1, 'written once descriptors are free again');
  assert.is(caseNamed('missing directory').written, 1);
  assert.is(caseNamed('a symlink planted at the final name').written, 1, 'written under the next name');
  assert.is(caseNamed('busy directory').written, 32);
});

test('a directory under /proc/self is rejected instead of looping', () => {
  const proc = caseNamed('a directory under /proc/self');
  assert.is(proc.rejected, 1);
});

test.run();
