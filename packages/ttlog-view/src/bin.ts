#!/usr/bin/env node
/** The `ttlog-view` executable: runs the command and sets the exit code (never `exit()`, so output is flushed). */
import { runView } from './run.ts';

process.exitCode = await runView(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).catch((error: unknown) => {
  process.stderr.write(`ttlog-view: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
});
