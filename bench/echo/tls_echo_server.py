"""The TLS echo server of bench/echo in Python: CPython's asyncio (or
uvloop) with ssl=, a Protocol that writes back what it receives and stops
reading while the transport's buffer is full (as examples/echo_server
--api protocol does).

    python3 tls_echo_server.py --cert CERT --key KEY [--port 0] [--uvloop]

Prints "listening on HOST:PORT" once ready; runs until killed.
"""
import argparse
import asyncio
import ssl


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def main(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, args.host, args.port, ssl=ctx, backlog=1024)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop
        uvloop.install()
    try:
        asyncio.run(main(args))
    except KeyboardInterrupt:
        pass
