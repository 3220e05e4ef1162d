"""CPython's asyncio on the scenarios of bench_core.cpp, for side-by-side ratios.

Prints one line per scenario: name and ns per operation.
"""
import asyncio
import random
import sys
import time

BATCH = 1000


def bench(fn, min_time=0.5):
    ops = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_time:
        ops += fn()
    return (time.perf_counter() - start) * 1e9 / ops


def call_soon():
    loop = asyncio.new_event_loop()
    counter = [0]

    def cb():
        counter[0] += 1

    def batch():
        for _ in range(BATCH):
            loop.call_soon(cb)
        loop.call_soon(loop.stop)
        loop.run_forever()
        return BATCH

    ns = bench(batch)
    loop.close()
    return ns


async def trivial():
    return 1


def run_async(body):
    async def main():
        ops = 0
        start = time.perf_counter()
        while time.perf_counter() - start < 0.5:
            ops += await body()
        return (time.perf_counter() - start) * 1e9 / ops
    return asyncio.run(main())


async def create_task_batch():
    for _ in range(BATCH):
        await asyncio.create_task(trivial())
    return BATCH


async def sleep0_batch():
    for _ in range(BATCH):
        await asyncio.sleep(0)
    return BATCH


async def future_batch():
    loop = asyncio.get_running_loop()
    for _ in range(BATCH):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 1)
        await fut
    return BATCH


def call_later_100k():
    loop = asyncio.new_event_loop()
    rng = random.Random(42)
    delays = [rng.uniform(0, 0.001) for _ in range(100000)]
    fired = [0]

    def cb():
        fired[0] += 1

    def batch():
        target = fired[0] + len(delays)
        for d in delays:
            loop.call_later(d, cb)
        loop.call_later(0.0011, loop.stop)
        loop.run_forever()
        while fired[0] < target:
            loop.call_soon(loop.stop)
            loop.run_forever()
        return len(delays)

    ns = bench(batch, 1.0)
    loop.close()
    return ns


def main():
    results = {
        "call_soon": call_soon(),
        "create_task_await": run_async(create_task_batch),
        "sleep0": run_async(sleep0_batch),
        "future_set_result_wakeup": run_async(future_batch),
        "call_later_100k": call_later_100k(),
    }
    for name, ns in results.items():
        print(f"{name} {ns:.1f}")


if __name__ == "__main__":
    sys.exit(main())
