/**
 * The process's `--unhandled-rejections` mode, which decides how crash capture may observe an
 * unhandled rejection without changing what the process does with it
 * (https://nodejs.org/api/cli.html#--unhandled-rejectionsmode). Node offers no API to read it,
 * so it is read from the command line and NODE_OPTIONS, where the command line wins.
 */

/** The values `--unhandled-rejections` takes. */
export type UnhandledRejectionsMode = 'throw' | 'strict' | 'warn' | 'none' | 'warn-with-error-code';

const MODES: ReadonlySet<string> = new Set(['throw', 'strict', 'warn', 'none', 'warn-with-error-code']);
const FLAG = '--unhandled-rejections';

/** The process's mode from `execArgv` and `NODE_OPTIONS` (these two by default); Node's default, `throw`, when neither sets one it knows. */
export function unhandledRejectionsMode(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): UnhandledRejectionsMode {
  const mode = lastMode(execArgv) ?? lastMode(nodeOptions?.split(/\s+/) ?? []);
  return mode !== undefined && MODES.has(mode) ? (mode as UnhandledRejectionsMode) : 'throw';
}

function lastMode(args: readonly string[]): string | undefined {
  let mode: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`${FLAG}=`)) mode = arg.slice(FLAG.length + 1);
    else if (arg === FLAG && i + 1 < args.length) mode = args[++i];
  }
  return mode;
}

/**
 * Whether ttlog may add an `unhandledRejection` listener. In `throw` and `warn-with-error-code`
 * a listener changes what happens (no crash, no exit code 1); in `strict` the rejection reaches
 * `uncaughtExceptionMonitor` first. Only `warn` and `none` are safe to listen to, and there the
 * process keeps running, so the snapshot is not a crash snapshot.
 */
export function mayListenForRejections(mode: UnhandledRejectionsMode): boolean {
  return mode === 'warn' || mode === 'none';
}
