// Pyodide's asyncio (its WebLoop, stepped from the Node.js event loop) on the
// three scenarios of bench/bench_loop_scenarios.cpp, so the library's
// figures on webloop::run can be compared in the same run:
//
//   cd bench/pyodide && npm install && node bench_webloop.mjs
//
// Each scenario runs OPS operations per round, ROUNDS rounds; the best round
// is printed in ns per operation of wall time and of the process's CPU time
// (process.cpuUsage()), as the C++ benchmark prints them.
import { loadPyodide } from "pyodide";

const OPS = 20000;
const ROUNDS = 5;

const SCENARIOS = {
  "await sleep(0)": `
async def scenario(n):
    for _ in range(n):
        await asyncio.sleep(0)
`,
  "create_task + await a trivial task": `
async def trivial():
    return 1

async def scenario(n):
    total = 0
    for _ in range(n):
        total += await asyncio.create_task(trivial())
    assert total == n
`,
  "call_soon + run the callback": `
async def scenario(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0
    def bump():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)
    for _ in range(n):
        loop.call_soon(bump)
    await done
`,
};

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

const pyodide = await loadPyodide();
pyodide.runPython("import asyncio");
console.log(`Pyodide ${pyodide.version} asyncio (WebLoop): ns per operation, best of ${ROUNDS} rounds of ${OPS}`);
console.log(`  ${"".padEnd(38)} ${"wall".padStart(9)} ${"CPU".padStart(9)}`);
for (const [name, code] of Object.entries(SCENARIOS)) {
  pyodide.runPython(code);
  const scenario = pyodide.globals.get("scenario");
  let bestWall = Infinity;
  let bestCpu = Infinity;
  for (let round = 0; round < ROUNDS; ++round) {
    const wall0 = performance.now();
    const cpu0 = cpuNs();
    await scenario(OPS);
    bestCpu = Math.min(bestCpu, (cpuNs() - cpu0) / OPS);
    bestWall = Math.min(bestWall, ((performance.now() - wall0) * 1e6) / OPS);
  }
  scenario.destroy();
  console.log(`  ${name.padEnd(38)} ${bestWall.toFixed(1).padStart(9)} ${bestCpu.toFixed(1).padStart(9)}`);
}
