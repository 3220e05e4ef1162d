// Runs one of the suite's Catch2 test programs in Debian's headless
// Chromium: suite.html (next to <program>.js, a browser build of a test
// program, emscripten-pthreads preset) served by this script's own server on
// 127.0.0.1 with the COOP/COEP headers SharedArrayBuffer needs, given the
// Catch2 arguments after the program's name. Passes only if main() exited
// with status 0 and Catch2 said that all of a non-zero number of test cases
// passed.
//   node check_suite_page.mjs <build>/tests/suite.html test_threads_browser --warn NoTests
// Exit status: 0 pass, 1 fail, 77 Chromium or playwright-core is missing
// (1 instead when ASYNCIO_REQUIRE_BROWSER is set, as tools/setup does).
import path from 'node:path';
import process from 'node:process';
import { find_chromium, require_page, text_of, with_page } from './chromium.mjs';
import { serve } from './serve.mjs';

const [page_path, program, ...args] = process.argv.slice(2);
require_page(page_path);
if (!program) {
  console.log('FAIL: usage: check_suite_page.mjs <suite.html> <program> [Catch2 arguments...]');
  process.exit(1);
}
const browser = await find_chromium('emscripten-pthreads');

// A whole test program may take a while: wait for the status up to this.
const limit_ms = Number(process.env.ASYNCIO_SUITE_PAGE_TIMEOUT_MS || 240000);
const dir = path.dirname(path.resolve(page_path));
const server = await serve(dir, { isolated: true });
let status;
try {
  status = await with_page(browser, async (page, check) => {
    const query = new URLSearchParams({ program, args: JSON.stringify(args) });
    const started = Date.now();
    try {
      await page.goto(`${server.url(path.basename(page_path))}?${query}`, { timeout: limit_ms });
      await page.waitForFunction(() => /^(done|failed)/.test(document.getElementById('status').textContent),
                                 null, { timeout: limit_ms, polling: 100 });
    } catch (e) {
      // The console record (printed on failure) has the lines so far.
      check(`${program} finished within ${limit_ms / 1000} s`, false, `  ${e.message}`);
      return;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const got = { status: await text_of(page, 'status'), isolated: await text_of(page, 'isolated'),
                  out: await text_of(page, 'out'), err: await text_of(page, 'err') };
    check('served with COOP/COEP, the page is cross-origin isolated', got.isolated === 'true',
          `  crossOriginIsolated: ${got.isolated}`);
    check(`${program} ran in the page and exited with status 0 (${seconds} s)`,
          got.status === 'done: exit status 0', `  status: ${got.status}`);
    // Catch2 2.13's console reporter's last line when every test passed.
    const passed = got.out.match(/^All tests passed \((\d+) assertions? in (\d+) test cases?\)$/m);
    check(`Catch2 reports all tests passed${passed ? `: ${passed[2]} test cases, ${passed[1]} assertions` : ''}`,
          passed !== null && Number(passed[2]) > 0,
          `  stdout:\n${got.out}  stderr:\n${got.err}`);
  });
} finally {
  await server.close();
}
process.exit(status);
