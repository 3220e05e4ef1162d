// Loads the demo page (index.html next to the built modules) in Debian's
// headless Chromium through playwright-core and checks the text it shows.
//   node check_page.mjs [--http] <build>/wasm/browser/index.html
// --http: served by this script's own server on 127.0.0.1 with the COOP/COEP
// headers (serve.mjs), as modules built with pthreads need; else from file://.
// Exit status: 0 pass, 1 fail, 77 Chromium or playwright-core is missing
// (1 instead when ASYNCIO_REQUIRE_BROWSER is set, as tools/setup does).
// Never downloads a browser: it runs /usr/bin/chromium (or $CHROMIUM).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { serve } from './serve.mjs';

const args = process.argv.slice(2);
const over_http = args[0] === '--http';
const page_path = over_http ? args[1] : args[0];
const chromium_path = process.env.CHROMIUM || '/usr/bin/chromium';
const missing = (what) => {
  console.log(`SKIP: ${what} (tools/setup test emscripten installs it)`);
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

const expected_hello = 'Hello ...\n... World!\n';
const expected_demo = [
  'main: returned; the JavaScript event loop drives the rest',
  'demo: running on wasm32-emscripten',
  // No raw sockets in a browser: the network methods say where they are not.
  'demo: sockets: create_connection is not available on wasm32-emscripten (browser)',
  'task A: started',
  'task B: started',
  'task C: started',
  'task B: woke after 50 ms',
  'task C: woke after 100 ms',
  'timer: fired after 120 ms',
  'task A: woke after 150 ms',
  'demo: results add up to 6',
  'demo: the future says forty-two',
  'demo: the stuck task was cancelled',
  'demo: finished with 6',
].join('\n') + '\n';

// The flags that keep Chromium off this machine's closed network, and a
// fresh profile each run.
const server = over_http ? await serve(path.dirname(path.resolve(page_path))) : null;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncio-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromium_path,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
let failures = 0;
try {
  const page = browser.pages()[0] || await browser.newPage();
  const console_lines = [];
  page.on('console', (m) => console_lines.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console_lines.push(`page error: ${e.message}`));
  await page.goto(server ? server.url(path.basename(page_path)) : pathToFileURL(path.resolve(page_path)).href);
  await page.waitForFunction(() => /^(done|failed)/.test(document.getElementById('status').textContent),
                             null, { timeout: 60000 });
  const text = async (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
  const got = { status: await text('status'), hello: await text('hello'), demo: await text('demo'),
                frames: Number(await text('frames')) };
  await page.screenshot({ path: path.join(path.dirname(page_path), 'demo-page.png'), fullPage: true });
  const check = (what, ok, detail) => {
    console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${ok ? '' : `\n${detail}`}`);
    if (!ok) failures++;
  };
  check('the page finished', got.status === 'done', `  status: ${got.status}`);
  check('hello printed its two lines', got.hello === expected_hello,
        `  expected ${JSON.stringify(expected_hello)}\n  got      ${JSON.stringify(got.hello)}`);
  check('the tasks demo printed its lines in order', got.demo === expected_demo,
        `  expected:\n${expected_demo}  got:\n${got.demo}`);
  // webloop::run() yields to the browser between passes: frames get painted
  // while the demo's tasks sleep (a blocking run would paint none).
  check(`the page repainted while the demo ran (${got.frames} frames)`, got.frames >= 2,
        `  frames: ${got.frames}`);
  if (failures) console.log(console_lines.join('\n'));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  if (server) await server.close();
}
process.exit(failures ? 1 : 0);
