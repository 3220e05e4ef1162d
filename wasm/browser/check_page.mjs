// Loads the demo page (index.html next to the built modules) in Debian's
// headless Chromium through playwright-core and checks the text it shows.
//   node check_page.mjs [--http] <build>/wasm/browser/index.html
// --http: served by this script's own server on 127.0.0.1 with the COOP/COEP
// headers (serve.mjs), as modules built with pthreads need; else from file://.
// Exit status: 0 pass, 1 fail, 77 Chromium or playwright-core is missing
// (1 instead when ASYNCIO_REQUIRE_BROWSER is set, as tools/setup does).
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { find_chromium, require_page, text_of, until_finished, with_page } from './chromium.mjs';
import { serve } from './serve.mjs';

const args = process.argv.slice(2);
const over_http = args[0] === '--http';
const page_path = over_http ? args[1] : args[0];
require_page(page_path);
const browser = await find_chromium('emscripten');

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

const server = over_http ? await serve(path.dirname(path.resolve(page_path))) : null;
let status;
try {
  status = await with_page(browser, async (page, check) => {
    await page.goto(server ? server.url(path.basename(page_path)) : pathToFileURL(path.resolve(page_path)).href);
    await until_finished(page);
    const got = { status: await text_of(page, 'status'), hello: await text_of(page, 'hello'),
                  demo: await text_of(page, 'demo'), frames: Number(await text_of(page, 'frames')) };
    await page.screenshot({ path: path.join(path.dirname(page_path), 'demo-page.png'), fullPage: true });
    check('the page finished', got.status === 'done', `  status: ${got.status}`);
    check('hello printed its two lines', got.hello === expected_hello,
          `  expected ${JSON.stringify(expected_hello)}\n  got      ${JSON.stringify(got.hello)}`);
    check('the tasks demo printed its lines in order', got.demo === expected_demo,
          `  expected:\n${expected_demo}  got:\n${got.demo}`);
    // webloop::run() yields to the browser between passes: frames get painted
    // while the demo's tasks sleep (a blocking run would paint none).
    check(`the page repainted while the demo ran (${got.frames} frames)`, got.frames >= 2,
          `  frames: ${got.frames}`);
  });
} finally {
  if (server) await server.close();
}
process.exit(status);
