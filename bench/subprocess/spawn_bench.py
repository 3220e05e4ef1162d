"""bench/subprocess with CPython's asyncio: the same work as spawn_bench.cpp.

    python3 spawn_bench.py spawn N P | cat BYTES | communicate BYTES
"""
import asyncio
import resource
import sys
import time


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def spawn(n, p):
    sem = asyncio.Semaphore(p)

    async def one():
        async with sem:
            proc = await asyncio.create_subprocess_exec("/bin/true", stdin=asyncio.subprocess.DEVNULL)
            await proc.wait()

    await asyncio.gather(*(one() for _ in range(n)))


async def cat(total):
    PIPE = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE, limit=1 << 20)
    chunk = b"x" * 65536

    async def feed():
        left = total
        while left > 0:
            n = min(left, 65536)
            proc.stdin.write(chunk[:n])
            left -= n
            await proc.stdin.drain()
        proc.stdin.close()

    async def drain():
        got = 0
        while True:
            s = await proc.stdout.read(1 << 20)
            if not s:
                return got
            got += len(s)

    _, got = await asyncio.gather(feed(), drain())
    await proc.wait()
    return got


async def communicate(total):
    PIPE = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, _ = await proc.communicate(b"x" * total)
    return len(out)


c0, t0 = cpu(), time.monotonic()
if sys.argv[1] == "spawn":
    n, p = int(sys.argv[2]), int(sys.argv[3])
    asyncio.run(spawn(n, p))
    print("spawn %d x%d %.3f %.3f" % (n, p, time.monotonic() - t0, cpu() - c0))
elif sys.argv[1] == "communicate":
    total = int(sys.argv[2])
    assert asyncio.run(communicate(total)) == total
    print("communicate %d %.3f %.3f" % (total, time.monotonic() - t0, cpu() - c0))
else:
    total = int(sys.argv[2])
    assert asyncio.run(cat(total)) == total
    print("cat %d %.3f %.3f" % (total, time.monotonic() - t0, cpu() - c0))
