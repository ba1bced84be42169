import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipTest } from '../../../spec/support/skip.ts';
import { HOSTILE, RETITLE, RETITLE_SHOWN } from './support/hostile.ts';
import { at, CART, CHECKOUT, ROOT, writeServiceSnapshot } from './support/snapshots.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

if (hasTmux) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const shop = join(directory, 'shop');
  mkdirSync(shop);
  await writeServiceSnapshot(shop, CHECKOUT);
  await writeServiceSnapshot(shop, CART);
  const hostile = join(directory, 'hostile');
  mkdirSync(hostile);
  renameSync(await writeServiceSnapshot(hostile, HOSTILE, `reason${RETITLE}`), join(hostile, `ttlog-${RETITLE}.bin`));
  const crash = join(directory, 'crash');
  mkdirSync(crash);
  const STACK = `Error: boom\n    at charge (pay.js:42)\n    at ${RETITLE} (evil.js:1)\r\n    at main (app.js:7)`;
  await writeServiceSnapshot(crash, {
    service: 'checkout',
    records: [
      { at: at(0), severityNumber: 9, body: 'started', scope: 'app' },
      { at: at(1), severityNumber: 21, body: 'uncaught exception', attributes: { 'exception.type': 'Error', 'exception.stacktrace': STACK }, scope: 'app' },
    ],
  });
  // Ink renders only its last frame when it thinks it runs in CI (the is-in-ci package: CI,
  // CONTINUOUS_INTEGRATION, CI_*), and CI runs this suite with CI=true: the terminal the viewer
  // gets here is a real one, so its environment goes without those variables.
  const terminalEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== 'CI' && key !== 'CONTINUOUS_INTEGRATION' && !key.startsWith('CI_')),
  );
  // A private tmux server per test, so the test neither sees nor disturbs the user's sessions.
  // Not one shared server: a new-session right after kill-server on the same socket can reach the
  // dying server and fail with "server exited unexpectedly".
  let session = '';
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', session, ...args], { encoding: 'utf8', env: terminalEnv });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const openSession = (name: string, ...args: string[]) => {
    session = `ttlog-view-spec-${process.pid}-${name}`;
    tmux('new-session', '-d', '-s', session, ...args);
  };

  /** Polls the screen until `check` holds (the viewer starts and redraws asynchronously). */
  async function waitForScreen(check: (text: string) => boolean, what: string): Promise<string> {
    let text = '';
    for (let attempt = 0; attempt < 200; attempt++) {
      text = screen();
      if (check(text)) return text;
      await sleep(100);
    }
    throw new Error(`the screen never showed ${what}:\n${text}`);
  }

  test('interactive: open, filter, jump to an error, expand it, see the files, quit', async () => {
    const command = `cd '${ROOT}' && TZ=UTC '${process.execPath}' --import tsx packages/ttlog-view/src/bin.ts -i --utc '${shop}'; echo "viewer exited $?"; sleep 60`;
    openSession('browse', '-x', '140', '-y', '30', command);
    try {
      let text = await waitForScreen((t) => t.includes('10 of 10 records, 2 files'), 'the timeline');
      assert.match(text, /INFO {3}checkout\/\d+ {10}\[http\] server started port=8080/);
      assert.match(text, /ERROR  checkout\/\d+ 0af76519 \[pay\] payment failed/, 'the short trace id in the list');
      assert.match(text, /q quit/);

      tmux('send-keys', '-t', session, '/', 'p', 'a', 'y');
      text = await waitForScreen((t) => t.includes('3 of 10 records') && t.includes('filter: pay'), 'the filtered list');
      assert.match(text, /payment slow/);
      assert.match(text, /payment failed: card declined/);
      assert.not.match(text, /server started/);
      tmux('send-keys', '-t', session, 'Escape');
      await waitForScreen((t) => t.includes('10 of 10 records'), 'the cleared filter');

      tmux('send-keys', '-t', session, 'n');
      await waitForScreen((t) => t.includes('10 of 10 records, 2 files  at 7'), 'the first error selected');
      tmux('send-keys', '-t', session, 'Enter');
      text = await waitForScreen((t) => t.includes('trace      4bf92f3577b34da6a3ce929d0e0e4736'), 'the first error expanded');
      assert.match(text, /severity   ERROR \(17\)/);
      assert.match(text, /body       "inventory lookup failed"/);
      assert.match(text, /  sku = X1/);

      tmux('send-keys', '-t', session, 'n');
      text = await waitForScreen((t) => t.includes('at 8') && t.includes('error.type = CardDeclined'), 'the next error expanded');
      assert.match(text, /trace      0af7651916cd43dd8448eb211c80319c/);

      await waitForScreen((t) => !t.includes('sku = X1'), 'the new record only');
      tmux('send-keys', '-t', session, 'f');
      text = await waitForScreen((t) => /checkout\/\d+  manual  6 records/.test(t), 'the file list');
      assert.match(text, /cart\/\d+  manual  4 records/);

      tmux('send-keys', '-t', session, 'q');
      text = await waitForScreen((t) => t.includes('viewer exited 0'), 'the shell again');
      assert.not.match(text, /q quit/, 'the alternate screen is gone');
    } finally {
      tmux('kill-server');
    }
  });

  test('interactive: a stack trace in the detail pane on lines of its own, indented, other control characters still escaped', async () => {
    const command = `cd '${ROOT}' && TZ=UTC '${process.execPath}' --import tsx packages/ttlog-view/src/bin.ts -i --utc '${crash}'; echo "viewer exited $?"; sleep 60`;
    openSession('stack', '-x', '120', '-y', '30', command);
    try {
      await waitForScreen((t) => t.includes('2 of 2 records'), 'the timeline');
      tmux('send-keys', '-t', session, 'n');
      await waitForScreen((t) => t.includes('2 of 2 records, 1 file  at 2'), 'the crash selected');
      tmux('send-keys', '-t', session, 'Enter');
      const text = await waitForScreen((t) => t.includes('exception.stacktrace'), 'the crash expanded');
      const indent = ' '.repeat('  exception.stacktrace = '.length);
      const lines = text.split('\n').map((line) => line.trimEnd());
      const first = lines.indexOf('  exception.stacktrace = Error: boom');
      assert.ok(first > 0, text);
      assert.equal(lines.slice(first, first + 4), [
        '  exception.stacktrace = Error: boom',
        `${indent}    at charge (pay.js:42)`,
        `${indent}    at ${RETITLE_SHOWN} (evil.js:1)`,
        `${indent}    at main (app.js:7)`,
      ]);
      assert.ok(lines.includes('  exception.type = Error'), text);
      assert.ok(lines.includes('body       "uncaught exception"'), text);
      tmux('send-keys', '-t', session, 'q');
      await waitForScreen((t) => t.includes('viewer exited 0'), 'the shell again');
    } finally {
      tmux('kill-server');
    }
  });

  test('interactive: Ctrl-C restores the terminal', async () => {
    const command = `cd '${ROOT}' && '${process.execPath}' --import tsx packages/ttlog-view/src/bin.ts -i '${shop}'; echo "viewer exited $?"; stty -a | grep -o -- '-\\?icanon' ; sleep 60`;
    openSession('ctrl-c', '-x', '120', '-y', '24', command);
    try {
      await waitForScreen((t) => t.includes('10 of 10 records'), 'the timeline');
      tmux('send-keys', '-t', session, 'C-c');
      // Wait for stty's answer, not just the exit line: the shell prints them one after the other.
      const text = await waitForScreen((t) => t.includes('viewer exited') && /^-?icanon$/m.test(t), 'the shell and stty again');
      assert.match(text, /^icanon$/m, 'canonical mode (not raw) again');
    } finally {
      tmux('kill-server');
    }
  });

  test('hostile log content leaves the terminal alone: the pane keeps its title through the text output and -i', async () => {
    const viewer = `TZ=UTC '${process.execPath}' --import tsx packages/ttlog-view/src/bin.ts --utc`;
    // Each step waits for a key, so that the title can be read before anything is shown.
    const command = `cd '${ROOT}' && read _ && ${viewer} '${hostile}'; echo "text exited $?"; read _; ${viewer} -i '${hostile}'; echo "viewer exited $?"; sleep 60`;
    openSession('hostile', '-x', '200', '-y', '40', command);
    const title = () => tmux('display-message', '-p', '-t', session, '#{pane_title}').trim();
    try {
      const before = title();
      assert.is.not(before, 'pwned');
      tmux('send-keys', '-t', session, 'Enter');
      let text = await waitForScreen((t) => t.includes('text exited 0'), 'the text output');
      assert.is(title(), before, 'the text output left the title alone');
      assert.ok(text.includes(`[scope${RETITLE_SHOWN}] body${RETITLE_SHOWN} key${RETITLE_SHOWN}="value${RETITLE_SHOWN}"`), text);

      tmux('send-keys', '-t', session, 'Enter');
      await waitForScreen((t) => t.includes('5 of 5 records'), 'the timeline');
      tmux('send-keys', '-t', session, 'Enter');
      text = await waitForScreen((t) => t.includes(`  key${RETITLE_SHOWN} = "value${RETITLE_SHOWN}"`), 'the hostile record expanded');
      assert.ok(text.includes(`severity   notice${RETITLE_SHOWN} (0, "notice${RETITLE_SHOWN}")`), text);
      tmux('send-keys', '-t', session, 'f');
      text = await waitForScreen((t) => t.includes(`reason${RETITLE_SHOWN}  5 records`), 'the file list');
      assert.ok(text.includes(`ttlog-${RETITLE_SHOWN}.bin`), text);
      tmux('send-keys', '-t', session, 'q');
      await waitForScreen((t) => t.includes('viewer exited 0'), 'the shell again');
      assert.is(title(), before, 'the interactive viewer left the title alone');
    } finally {
      tmux('kill-server');
    }
  });

  test.after(() => rmSync(directory, { recursive: true, force: true }));
} else {
  skipTest(test, 'the interactive viewer', 'tmux is not installed (apt-get install -y tmux)');
}

test.run();
