// Loads the threads page (threads.html next to threads_demo_module.js, built
// by the emscripten-pthreads preset) in Debian's headless Chromium through
// playwright-core, served by this script's own server on 127.0.0.1 with the
// COOP/COEP headers SharedArrayBuffer needs, and checks the text it shows.
// Then loads it once more without those headers and checks that the page
// says what is missing.
//   node check_threads_page.mjs <build>/wasm/browser/threads.html
// Exit status: 0 pass, 1 fail, 77 Chromium or playwright-core is missing
// (1 instead when ASYNCIO_REQUIRE_BROWSER is set, as tools/setup does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { serve } from './serve.mjs';

const page_path = process.argv[2];
const chromium_path = process.env.CHROMIUM || '/usr/bin/chromium';
const missing = (what) => {
  console.log(`SKIP: ${what} (tools/setup test emscripten-pthreads installs it)`);
  process.exit(process.env.ASYNCIO_REQUIRE_BROWSER ? 1 : 77);
};
if (!page_path || !fs.existsSync(page_path)) {
  console.log(`FAIL: no page at ${page_path}`);
  process.exit(1);
}
if (!fs.existsSync(chromium_path)) missing(`no Chromium at ${chromium_path} (Debian package chromium)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  missing(`playwright-core is not installed in wasm/browser (npm ci there): ${e.message}`);
}

const expected = [
  'main: returned; the JavaScript event loop drives the rest',
  'threads: running on wasm32-emscripten',
  'to_thread: fib(25) = 75025, computed in another thread: yes',
  'run_in_executor: fib(20) + fib(21) = 17711',
  'call_soon_threadsafe: a plain thread answered 42',
  'run_coroutine_threadsafe: the loop doubled 21 for a plain thread: 42',
  'threads: finished with 75025',
].join('\n') + '\n';

const dir = path.dirname(path.resolve(page_path));
const page_name = path.basename(page_path);
const isolated = await serve(dir, { isolated: true });
const plain = await serve(dir, { isolated: false });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncio-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromium_path,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
let failures = 0;
const check = (what, ok, detail) => {
  console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${ok ? '' : `\n${detail}`}`);
  if (!ok) failures++;
};
try {
  const page = browser.pages()[0] || await browser.newPage();
  const console_lines = [];
  page.on('console', (m) => console_lines.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console_lines.push(`page error: ${e.message}`));
  const text = async (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
  const finished = () => page.waitForFunction(
    () => /^(done|failed)/.test(document.getElementById('status').textContent), null, { timeout: 60000 });

  await page.goto(isolated.url(page_name));
  await finished();
  const got = { status: await text('status'), isolated: await text('isolated'), demo: await text('demo'),
                log: await text('log'), frames: Number(await text('frames')) };
  await page.screenshot({ path: path.join(dir, 'threads-page.png'), fullPage: true });
  check('served with COOP/COEP, the page is cross-origin isolated', got.isolated === 'true',
        `  crossOriginIsolated: ${got.isolated}`);
  check('the page finished', got.status === 'done', `  status: ${got.status}`);
  check('the threads demo printed its lines in order', got.demo === expected,
        `  expected:\n${expected}  got:\n${got.demo}`);
  // Nothing else on stderr than Emscripten's one warning that the page's
  // thread blocked: webloop::run()'s end shuts the default executor down
  // and joins its (finished) threads there (docs/platforms.md).
  const blocking = 'Blocking on the main thread is very dangerous, see https://emscripten.org/docs/porting/pthreads.html#blocking-on-the-main-browser-thread\n';
  check('nothing but Emscripten\'s warning about joining threads was printed to stderr',
        got.log === '' || got.log === blocking, `  stderr:\n${got.log}`);
  // webloop::run() yields to the browser while the threads work.
  check(`the page repainted while the demo ran (${got.frames} frames)`, got.frames >= 2, `  frames: ${got.frames}`);

  await page.goto(plain.url(page_name));
  await finished();
  const status = await text('status');
  check('served without COOP/COEP, the page says SharedArrayBuffer is missing and why',
        status === 'failed: no SharedArrayBuffer: serve this page with the COOP and COEP headers',
        `  status: ${status}`);
  if (failures) console.log(console_lines.join('\n'));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  await isolated.close();
  await plain.close();
}
process.exit(failures ? 1 : 0);
