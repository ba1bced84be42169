/**
 * The busy, full and odd directory cases (docs/reliability.md, "Directory cases"):
 *
 *   npm run stress:directories -- [--full-disk-trials 500] [--seed 1] [--bound-ms 30000] [--json]
 *
 * Prints each case's outcomes; exits 1 when a case broke a rule (a partial file under a final
 * name, a promise that did not settle, a rejection without a reason, an outcome the case rules
 * out) or a rejection went unhandled.
 */
import { parseArgs } from 'node:util';
import { runDirectoryCases } from './reliability/directory-cases.ts';

const { values } = parseArgs({
  options: {
    'full-disk-trials': { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
    'bound-ms': { type: 'string', default: '30000' },
    json: { type: 'boolean', default: false },
  },
});

const result = await runDirectoryCases({ fullDiskTrials: Number(values['full-disk-trials']), seed: Number(values.seed), boundMs: Number(values['bound-ms']) });
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log('| case | snapshot() calls | written | rejected (codes) | hangs | temp files left | problems |');
  console.log('|---|--:|--:|---|--:|--:|--:|');
  for (const row of result.cases) {
    const codes = Object.entries(row.codes)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    console.log(
      `| ${row.name} | ${row.trials} | ${row.written} | ${row.rejected}${codes ? ` (${codes})` : ''} | ${row.hangs} | ${row.tempLeftovers} | ${row.problems.length} |`,
    );
  }
  console.log(`\nunhandled rejections: ${result.unhandledRejections}`);
  for (const row of result.cases) for (const problem of row.problems) console.log(`${row.name}: ${problem}`);
}
process.exitCode = result.unhandledRejections > 0 || result.cases.some((row) => row.problems.length > 0) ? 1 : 0;
