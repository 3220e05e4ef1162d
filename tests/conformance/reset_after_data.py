"""What CPython's asyncio does when a peer resets a TCP connection right after
sending data (SO_LINGER {1, 0}, then close), which tests/test_transports.cpp
("Data then a reset ...", "A FIN before the reset ...") and
tests/test_streams.cpp ("readline raises ConnectionResetError ...") pin.

    python3 tests/conformance/reset_after_data.py

CPython 3.11 on Debian 12 (Linux 6.1) prints, every run:

    protocol, data then reset: ['made', ('data', b'hello\\npartial'), ('lost', 'ConnectionResetError', 104)]
    protocol, FIN then reset: ['made', ('data', b'data'), 'eof', ('lost', None, None)]
    streams, b'hello\\npartial' then reset: [b'hello\\n', 'ConnectionResetError']
    streams, b'' then reset: ['ConnectionResetError']
"""
import asyncio
import socket
import struct
import time


def client(port, payload, fin=False):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    s.sendall(payload)
    if fin:
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


class Recorder(asyncio.Protocol):
    def __init__(self, events, done, made, pause):
        self.events, self.done, self.made, self.pause = events, done, made, pause

    def connection_made(self, transport):
        self.events.append("made")
        if self.pause:
            transport.pause_reading()
        self.made.set_result(transport)

    def data_received(self, data):
        self.events.append(("data", data))

    def eof_received(self):
        self.events.append("eof")

    def connection_lost(self, exc):
        self.events.append(("lost", type(exc).__name__ if exc else None, getattr(exc, "errno", None)))
        self.done.set_result(None)


async def protocol(fin):
    loop = asyncio.get_running_loop()
    events, done, made = [], loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: Recorder(events, done, made, fin), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    payload = b"data" if fin else b"hello\npartial"
    await loop.run_in_executor(None, client, port, payload, fin)
    transport = await made
    if fin:  # both the FIN and the reset arrived while reading was paused
        await asyncio.sleep(0.1)
        transport.resume_reading()
    await done
    server.close()
    print(f"protocol, {'FIN then reset' if fin else 'data then reset'}: {events}")


async def streams(payload):
    loop = asyncio.get_running_loop()
    seen, done = [], loop.create_future()

    async def handle(reader, writer):
        try:
            while line := await reader.readline():
                seen.append(line)
            seen.append("<eof>")
        except Exception as e:
            seen.append(type(e).__name__)
        writer.close()
        done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    await loop.run_in_executor(None, client, server.sockets[0].getsockname()[1], payload)
    await done
    server.close()
    print(f"streams, {payload!r} then reset: {seen}")


async def main():
    await protocol(fin=False)
    await protocol(fin=True)
    await streams(b"hello\npartial")
    await streams(b"")


asyncio.run(main())
