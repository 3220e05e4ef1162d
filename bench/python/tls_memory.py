"""CPython: memory per idle TLS connection pair, as bench/bench_tls_memory.cpp
measures it (N connections to a TLS server in the same process, one message
each way, then idle; RSS growth per connection pair, TLS and plain TCP).

    python3 tls_memory.py CERT KEY [N]   (default 2000)
"""
import asyncio
import resource
import ssl
import sys


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


class Peer(asyncio.Protocol):
    def __init__(self, replies=None):
        self.replies = replies

    def connection_made(self, transport):
        self.transport = transport
        if self.replies is not None:
            transport.write(b"ping")

    def data_received(self, data):
        if self.replies is not None:
            self.replies[0] += 1
        else:
            self.transport.write(data)


async def open_idle(n, server_ctx, client_ctx, measure):
    loop = asyncio.get_running_loop()
    server_side = []

    def factory():
        server_side.append(Peer())
        return server_side[-1]

    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=server_ctx, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    await asyncio.sleep(0.05)
    before = rss()
    replies = [0]
    clients = []
    for _ in range(n):
        kw = dict(ssl=client_ctx, server_hostname="localhost") if client_ctx else {}
        transport, _ = await loop.create_connection(lambda: Peer(replies), "127.0.0.1", port, **kw)
        clients.append(transport)
    while replies[0] < n:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    per = (rss() - before) / n
    if measure:
        print(f"{'TLS' if client_ctx else 'TCP':5} {n:6} connections: RSS {per:7.0f} B per connection pair")
    for c in clients:
        c.close()
    server.close()
    await asyncio.sleep(0.2)
    return per


async def main(cert, key, n):
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    await open_idle(50, server_ctx, client_ctx, False)
    plain = await open_idle(n, None, None, True)
    tls = await open_idle(n, server_ctx, client_ctx, True)
    print(f"TLS adds {tls - plain:.0f} B of RSS per connection pair")


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2000))
