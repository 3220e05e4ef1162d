// Runs a wasm32-wasi program under Node.js's WASI (preview 1), passing its
// arguments and exit status through: the CTest emulator of the wasi preset.
//   node wasm/wasi/run.mjs program.wasm [args...]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [program, ...args] = process.argv.slice(2);
if (!program) {
  console.error('usage: node run.mjs program.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [program, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
