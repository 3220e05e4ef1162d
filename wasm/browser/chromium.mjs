// What the page checks (check_page.mjs, check_threads_page.mjs) share:
// finding Debian's Chromium and playwright-core, launching the browser with
// a fresh profile and the flags that keep it off this machine's closed
// network, recording a page's console, and counting failed checks.
// Never downloads a browser: it runs /usr/bin/chromium (or $CHROMIUM).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

// Exits with 77 (CTest: skipped), or 1 when ASYNCIO_REQUIRE_BROWSER is set
// (tools/setup sets it: there a missing browser is a failure), if Chromium
// or playwright-core is missing; `preset` names what installs them.
export async function find_chromium(preset) {
  const executable = process.env.CHROMIUM || '/usr/bin/chromium';
  const missing = (what) => {
    console.log(`SKIP: ${what} (tools/setup test ${preset} installs it)`);
    process.exit(process.env.ASYNCIO_REQUIRE_BROWSER ? 1 : 77);
  };
  if (!fs.existsSync(executable)) missing(`no Chromium at ${executable} (Debian package chromium)`);
  try {
    const { chromium } = await import('playwright-core');
    return { chromium, executable };
  } catch (e) {
    return missing(`playwright-core is not installed in wasm/browser (npm ci there): ${e.message}`);
  }
}

// Exits with 1 unless `page_path` names a file.
export function require_page(page_path) {
  if (!page_path || !fs.existsSync(page_path)) {
    console.log(`FAIL: no page at ${page_path}`);
    process.exit(1);
  }
}

// Runs `body(page, check)` in a headless Chromium with a fresh profile and
// returns the process's exit status: 0 if every check passed, else 1 (the
// page's console is printed then). check(what, ok, detail) prints one line.
export async function with_page({ chromium, executable }, body) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncio-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
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
    await body(page, check);
    if (failures) console.log(console_lines.join('\n'));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return failures ? 1 : 0;
}

// The text of the element with id `id` on `page`.
export function text_of(page, id) {
  return page.evaluate((i) => document.getElementById(i).textContent, id);
}

// Waits until the page's status says done or failed (60 s at the most).
export function until_finished(page) {
  return page.waitForFunction(() => /^(done|failed)/.test(document.getElementById('status').textContent),
                              null, { timeout: 60000 });
}
