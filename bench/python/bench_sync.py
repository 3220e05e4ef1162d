"""CPython's asyncio on the scenarios of bench_sync.cpp, for side-by-side ratios.

Prints one line per scenario: name and ns per operation. Pass --uvloop to
run on uvloop (if installed).
"""
import asyncio
import sys
import time

BATCH = 1000
WAITERS = 1000


async def measure(body, min_time=0.5):
    ops = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_time:
        ops += await body()
    return (time.perf_counter() - start) * 1e9 / ops


async def lock_acquire_release():
    lock = asyncio.Lock()

    async def batch():
        for _ in range(BATCH):
            await lock.acquire()
            lock.release()
        return BATCH
    return await measure(batch)


async def lock_async_with():
    lock = asyncio.Lock()

    async def batch():
        for _ in range(BATCH):
            async with lock:
                pass
        return BATCH
    return await measure(batch)


async def semaphore_acquire_release():
    sem = asyncio.Semaphore(4)

    async def batch():
        for _ in range(BATCH):
            await sem.acquire()
            sem.release()
        return BATCH
    return await measure(batch)


async def queue_put_get():
    q = asyncio.Queue()

    async def batch():
        for i in range(BATCH):
            await q.put(i)
            await q.get()
        return BATCH
    return await measure(batch)


async def queue_put_get_nowait():
    q = asyncio.Queue()

    async def batch():
        for i in range(BATCH):
            q.put_nowait(i)
            q.get_nowait()
        return BATCH
    return await measure(batch)


async def queue_handoff_maxsize1():
    q = asyncio.Queue(1)

    async def produce(n):
        for i in range(n):
            await q.put(i)

    async def batch():
        producer = asyncio.create_task(produce(BATCH))
        for _ in range(BATCH):
            await q.get()
        await producer
        return BATCH
    return await measure(batch)


async def event_set_wakes_1000():
    a, b = asyncio.Event(), asyncio.Event()
    stop = False

    async def waiter():
        while not stop:
            await a.wait()
            if stop:
                break
            await b.wait()

    tasks = [asyncio.create_task(waiter()) for _ in range(WAITERS)]
    await asyncio.sleep(0)
    state = {"use_a": True}

    async def one_round():
        now, nxt = (a, b) if state["use_a"] else (b, a)
        nxt.clear()
        now.set()
        await asyncio.sleep(0)
        state["use_a"] = not state["use_a"]
        return WAITERS
    ns = await measure(one_round)
    stop = True
    a.set()
    b.set()
    await asyncio.gather(*tasks)
    return ns


async def condition_ping_pong():
    cond = asyncio.Condition()
    turn = [0]

    async def ping(me, rounds):
        async with cond:
            for _ in range(rounds):
                while turn[0] != me:
                    await cond.wait()
                turn[0] = 1 - me
                cond.notify()

    async def batch():
        await asyncio.gather(ping(0, BATCH), ping(1, BATCH))
        return 2 * BATCH
    return await measure(batch)


SCENARIOS = [
    ("lock_acquire_release", lock_acquire_release),
    ("lock_hold (async with)", lock_async_with),
    ("semaphore_acquire_release", semaphore_acquire_release),
    ("queue_put_get", queue_put_get),
    ("queue_put_get_nowait", queue_put_get_nowait),
    ("queue_handoff_maxsize1", queue_handoff_maxsize1),
    ("event_set_wakes_1000 (per waiter)", event_set_wakes_1000),
    ("condition_ping_pong", condition_ping_pong),
]


def main():
    if "--uvloop" in sys.argv:
        import uvloop
        runner = uvloop.run
    else:
        runner = asyncio.run
    for name, fn in SCENARIOS:
        print(f"{name:36s} {runner(fn()):10.1f} ns")


if __name__ == "__main__":
    main()
