"""CPython's asyncio on the scenarios of bench_tasks.cpp, for side-by-side ratios.

Prints one line per scenario: name and ns per operation (per child task for
gather and TaskGroup), in CPU time of this process, like the ns_per_op
counters of Google Benchmark (the machine is shared: wall time is noisy).
"""
import asyncio
import sys
import time

CHILDREN = 1000


async def trivial():
    return 1


def run_async(body, min_time=0.5):
    async def main():
        ops = 0
        start = time.process_time()
        while time.process_time() - start < min_time:
            ops += await body()
        return (time.process_time() - start) * 1e9 / ops
    return asyncio.run(main())


async def gather_batch():
    await asyncio.gather(*[trivial() for _ in range(CHILDREN)])
    return CHILDREN


def gather_eager():
    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        ops = 0
        start = time.process_time()
        while time.process_time() - start < 0.5:
            ops += await gather_batch()
        return (time.process_time() - start) * 1e9 / ops
    if not hasattr(asyncio, "eager_task_factory"):
        return float("nan")  # Python < 3.12
    return asyncio.run(main())


async def task_group_batch():
    async with asyncio.TaskGroup() as tg:
        for _ in range(CHILDREN):
            tg.create_task(trivial())
    return CHILDREN


async def wait_for_done_batch():
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(1)
    for _ in range(CHILDREN):
        await asyncio.wait_for(fut, 1)
    return CHILDREN


async def wait_for_coro_batch():
    for _ in range(CHILDREN):
        await asyncio.wait_for(trivial(), 1)
    await asyncio.sleep(0)
    return CHILDREN


async def shield_batch():
    loop = asyncio.get_running_loop()
    for _ in range(CHILDREN):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 1)
        await asyncio.shield(fut)
    return CHILDREN


def main():
    results = {
        "gather_1000": run_async(gather_batch),
        "gather_1000_eager": gather_eager(),
        "task_group_1000": run_async(task_group_batch),
        "wait_for_done_future": run_async(wait_for_done_batch),
        "wait_for_coro": run_async(wait_for_coro_batch),
        "shield": run_async(shield_batch),
    }
    for name, ns in results.items():
        print(f"{name} {ns:.1f}")


if __name__ == "__main__":
    sys.exit(main())
