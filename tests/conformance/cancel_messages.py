# CPython's behaviour pinned by tests/test_cancellation.cpp: a task
# cancelled twice before it wakes up raises the first request's message,
# whatever it awaits; a task (or gather child) cancelled twice before its
# first step raises the second. Run: python3 tests/conformance/cancel_messages.py
import asyncio


async def recording(make, label):
    try:
        await make()
    except asyncio.CancelledError as e:
        print(f"{label}: task got {e.args}")
        raise


async def cancel_twice(label, make, second="second", iterations=1, start=True):
    t = asyncio.create_task(recording(make, label))
    for _ in range(iterations if start else 0):
        await asyncio.sleep(0)
    t.cancel("first")
    t.cancel(second) if second else t.cancel()
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"{label}: awaiter got {e.args}, cancelling()={t.cancelling()}")


async def main():
    loop = asyncio.get_running_loop()
    await cancel_twice("sleep", lambda: asyncio.sleep(3600))
    await cancel_twice("sleep, then cancel()", lambda: asyncio.sleep(3600), second=None)
    await cancel_twice("before the first step", lambda: asyncio.sleep(3600), start=False)
    await cancel_twice("future", lambda: loop.create_future())
    inner = asyncio.create_task(asyncio.sleep(3600))
    await cancel_twice("task", lambda: inner)
    print("inner task cancelled:", inner.cancelled())
    lock = asyncio.Lock()
    await lock.acquire()
    await cancel_twice("Lock.acquire", lock.acquire)
    await cancel_twice("Event.wait", asyncio.Event().wait)
    await cancel_twice("Semaphore.acquire", asyncio.Semaphore(0).acquire)
    cond = asyncio.Condition()

    async def cond_wait():
        await cond.acquire()
        await cond.wait()

    await cancel_twice("Condition.wait", cond_wait)
    await cancel_twice("Barrier.wait", asyncio.Barrier(2).wait)
    reader = asyncio.StreamReader()
    await cancel_twice("StreamReader.readline", reader.readline)
    await cancel_twice("StreamReader.readexactly", lambda: reader.readexactly(10))
    await cancel_twice("Queue.get", asyncio.Queue().get)
    full = asyncio.Queue(1)
    full.put_nowait(1)
    await cancel_twice("Queue.put", lambda: full.put(2))

    async def gather_started():
        a = asyncio.create_task(asyncio.sleep(3600))
        b = asyncio.create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)
        await asyncio.gather(a, b)

    await cancel_twice("gather, children started", gather_started, iterations=2)
    await cancel_twice("gather, children not started",
                       lambda: asyncio.gather(asyncio.sleep(3600), asyncio.sleep(3600)))
    shielded = asyncio.create_task(asyncio.sleep(3600))
    await cancel_twice("shield", lambda: asyncio.shield(shielded))
    shielded.cancel()
    await cancel_twice("wait_for", lambda: asyncio.wait_for(asyncio.sleep(3600), 5))

    async def in_timeout():
        async with asyncio.timeout(5):
            await asyncio.sleep(3600)

    await cancel_twice("timeout", in_timeout)


asyncio.run(main())
