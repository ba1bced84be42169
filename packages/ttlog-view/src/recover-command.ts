/**
 * `ttlog-view recover PATH... [--to DIR]`: each persisted ring file (what a process with ttlog's
 * `persist` option left when it was killed) → a snapshot file, beside it or in DIR, through the
 * library's public `recoverPersistedFile`. The persisted file stays: the command only reads it.
 */
import { parseArgs } from 'node:util';
import { PersistedFileError, recoverPersistedFile } from 'ttlog';
import type { CommandIO } from './run.ts';
import { describeError } from './sources.ts';
import { terminalText } from './values.ts';

export const RECOVER_HELP = `Usage: ttlog-view recover [--to DIR] PATH...

Turns each persisted ring file (ttlog-*.persist, left by a process with ttlog's persist option
that was killed before it could write a snapshot) into a snapshot file (reason recovered), beside
it or in DIR, and prints the snapshot's path. The persisted file is left in place.
A processor with persist does this by itself when it starts; this is for files moved elsewhere.

  --to DIR               write the snapshots into DIR
  -h, --help             this help

Exit status: 0 ok, 1 a file could not be recovered or was damaged (its intact records are kept), 2 usage.
`;

/** Runs `recover` with its arguments (after the word `recover`); resolves to the exit code. */
export async function runRecover(argv: readonly string[], io: CommandIO): Promise<number> {
  const parsed = parseRecoverArgs(argv);
  if (parsed instanceof Error) {
    io.stderr.write(`ttlog-view recover: ${parsed.message}\nTry 'ttlog-view recover --help' for more.\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout.write(RECOVER_HELP);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    io.stderr.write("ttlog-view recover: name a persisted file (ttlog-*.persist)\nTry 'ttlog-view recover --help' for more.\n");
    return 2;
  }
  let failed = false;
  for (const path of parsed.positionals) {
    try {
      const recovered = await recoverPersistedFile(path, parsed.values.to === undefined ? {} : { directory: parsed.values.to });
      io.stdout.write(`${terminalText(recovered.path)}\n`);
      const { damage } = recovered;
      const damaged = damage.slots + damage.internEntries + damage.stateCopies + (damage.missingBytes > 0 ? 1 : 0);
      if (damaged > 0) {
        failed = true;
        io.stderr.write(
          `ttlog-view: warning: ${terminalText(path)}: damaged (${damage.slots} records, ${damage.internEntries} strings, ${damage.stateCopies} counter blocks failed their checks; ${damage.missingBytes} bytes missing at the end); ${recovered.records} intact records recovered\n`,
        );
      }
    } catch (error) {
      failed = true;
      const why = error instanceof PersistedFileError ? `${error.reason} (${error.code})` : describeError(error);
      io.stderr.write(`ttlog-view: ${terminalText(path)}: cannot recover: ${terminalText(why)}\n`);
    }
  }
  return failed ? 1 : 0;
}

const RECOVER_OPTIONS = { to: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function parseRecoverArgs(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: RECOVER_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return error as Error;
  }
}
