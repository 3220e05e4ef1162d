// Loads the threads page (threads.html next to threads_demo_module.js, built
// by the emscripten-pthreads preset) in Debian's headless Chromium through
// playwright-core, served by this script's own server on 127.0.0.1 with the
// COOP/COEP headers SharedArrayBuffer needs, and checks the text it shows.
// Then loads it once more without those headers and checks that the page
// says what is missing.
//   node check_threads_page.mjs <build>/wasm/browser/threads.html
// Exit status: 0 pass, 1 fail, 77 Chromium or playwright-core is missing
// (1 instead when ASYNCIO_REQUIRE_BROWSER is set, as tools/setup does).
import path from 'node:path';
import process from 'node:process';
import { find_chromium, require_page, text_of, until_finished, with_page } from './chromium.mjs';
import { serve } from './serve.mjs';

const page_path = process.argv[2];
require_page(page_path);
const browser = await find_chromium('emscripten-pthreads');

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
let status;
try {
  status = await with_page(browser, async (page, check) => {
    await page.goto(isolated.url(page_name));
    await until_finished(page);
    const got = { status: await text_of(page, 'status'), isolated: await text_of(page, 'isolated'),
                  demo: await text_of(page, 'demo'), log: await text_of(page, 'log'),
                  frames: Number(await text_of(page, 'frames')) };
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
    check(`the page repainted while the demo ran (${got.frames} frames)`, got.frames >= 2,
          `  frames: ${got.frames}`);

    await page.goto(plain.url(page_name));
    await until_finished(page);
    const status_text = await text_of(page, 'status');
    check('served without COOP/COEP, the page says SharedArrayBuffer is missing and why',
          status_text === 'failed: no SharedArrayBuffer: serve this page with the COOP and COEP headers',
          `  status: ${status_text}`);
  });
} finally {
  await isolated.close();
  await plain.close();
}
process.exit(status);
