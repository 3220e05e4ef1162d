// Runs a wasm32-wasi program (through run.mjs) and checks what it prints
// and its exit status exactly: the tests of the wasi preset.
//   node check.mjs --status N [--stdout TEXT] [--stderr TEXT] program.wasm [args...]
// TEXT is compared with the whole stream; "\n" in TEXT stands for a newline.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import process from 'node:process';

const argv = process.argv.slice(2);
const want = { status: null, stdout: null, stderr: null };
while (argv.length && argv[0].startsWith('--')) {
  const key = argv.shift().slice(2);
  if (!(key in want)) throw new Error(`unknown option --${key}`);
  want[key] = argv.shift().replaceAll('\\n', '\n');
}
const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.mjs');
const got = spawnSync(process.execPath, ['--no-warnings', runner, ...argv], { encoding: 'utf8' });
if (got.error) throw got.error;

let failures = 0;
const check = (what, expected, actual) => {
  if (expected === null) return;
  if (String(expected) === String(actual)) {
    console.log(`ok: ${what} is ${JSON.stringify(actual)}`);
  } else {
    console.log(`FAIL: ${what}\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(actual)}`);
    failures++;
  }
};
check('exit status', want.status, got.status);
check('stdout', want.stdout, got.stdout);
check('stderr', want.stderr, got.stderr);
process.exit(failures ? 1 : 0);
