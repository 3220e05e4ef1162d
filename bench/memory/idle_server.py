"""The memory-per-connection benchmark's server on uvloop (or, with
--asyncio, CPython's own loop): each connection's handler awaits
readline() and writes the line back. Prints "listening on 127.0.0.1:PORT".

    /usr/bin/python3 bench/memory/idle_server.py [--asyncio] [--port 0]
"""
import asyncio
import sys


async def handle_client(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(port):
    server = await asyncio.start_server(handle_client, "127.0.0.1", port, backlog=4096)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    port = int(args[args.index("--port") + 1]) if "--port" in args else 0
    if "--asyncio" not in args:
        import uvloop
        uvloop.install()
    try:
        asyncio.run(main(port))
    except KeyboardInterrupt:
        pass
