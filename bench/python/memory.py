"""CPython: peak RSS of N tasks each awaiting one Event (default 1,000,000)."""
import asyncio
import resource
import sys


async def main(n):
    event = asyncio.Event()
    tasks = [asyncio.create_task(event.wait()) for _ in range(n)]
    await asyncio.sleep(0)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    event.set()
    await asyncio.gather(*tasks)
    print(f"tasks: {n}\npeak RSS: {rss_kib / 1024:.1f} MB\nbytes per task (RSS / tasks): {rss_kib * 1024 / n:.0f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000000))
