"""What CPython's asyncio does in the subprocess and pipe cases that
tests/test_subprocess.cpp pins (returncodes, callback order, error messages,
what wait() and signals do around the child's exit, pipe transports' ends).

    python3 tests/conformance/subprocess_behaviour.py

The expected output (CPython 3.11 on Debian 12, Linux 6.1, except where a
line says 3.12+: those follow the 3.12+ semantics the library implements)
is at the end of this file; the script prints what it sees, one line each.
"""
import asyncio
import os
import signal
import sys
from asyncio.subprocess import PIPE, STDOUT, DEVNULL


class Recorder(asyncio.SubprocessProtocol):
    def __init__(self, loop):
        self.events, self.done = [], loop.create_future()

    def connection_made(self, t):
        self.events.append("connection_made")

    def pipe_data_received(self, fd, data):
        pass

    def pipe_connection_lost(self, fd, exc):
        self.events.append(f"pipe_lost {fd}")

    def process_exited(self):
        self.events.append("process_exited")

    def connection_lost(self, exc):
        self.events.append("connection_lost")
        self.done.set_result(None)


class PipeRecorder(asyncio.Protocol):
    def __init__(self, loop):
        self.events, self.done = [], loop.create_future()

    def connection_made(self, t):
        self.events.append("made")

    def data_received(self, d):
        self.events.append(("data", d))

    def eof_received(self):
        self.events.append("eof")
        return True

    def connection_lost(self, exc):
        self.events.append(("lost", type(exc).__name__ if exc else None))
        self.done.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    p = await asyncio.create_subprocess_exec("sleep", "30")
    p.kill()
    print("kill:", await p.wait(), "== -SIGKILL:", -signal.SIGKILL)
    p = await asyncio.create_subprocess_exec("sleep", "30")
    p.terminate()
    print("terminate:", await p.wait())
    p = await asyncio.create_subprocess_shell("exit 7")
    print("shell exit 7:", await p.wait())
    try:
        p.kill()
    except ProcessLookupError as e:
        print("kill after wait:", type(e).__name__)
    try:
        await asyncio.create_subprocess_exec("/nonexistent/program-xyz")
    except OSError as e:
        print("missing program:", type(e).__name__, e.errno, repr(e.strerror), repr(e.filename))
    try:
        await asyncio.create_subprocess_exec("true", cwd="/nonexistent-dir-xyz")
    except OSError as e:
        print("missing cwd:", type(e).__name__, e.errno, repr(e.filename))
    p = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    print("communicate:", await p.communicate(b"some data"))
    p = await asyncio.create_subprocess_shell("echo out; echo err >&2", stdout=PIPE, stderr=STDOUT)
    print("stderr=STDOUT:", await p.communicate())
    p = await asyncio.create_subprocess_exec("true", stdin=PIPE, stdout=PIPE)
    print("broken pipe ignored:", await p.communicate(b"x" * (4 << 20)), p.returncode)
    p = await asyncio.create_subprocess_shell("(sleep 0.3; echo late) & echo early", stdout=PIPE)
    rc = await p.wait()
    print("grandchild holds stdout (3.12+: wait() after the pipe closed):", rc, await p.stdout.read())
    p = await asyncio.create_subprocess_exec("sleep", "30")
    try:
        await asyncio.wait_for(p.wait(), 0.1)
    except asyncio.TimeoutError:
        print("cancelled wait leaves it running:", p.returncode)
    p.kill()
    await p.wait()
    rec = Recorder(loop)
    t, _ = await loop.subprocess_exec(lambda: rec, "sh", "-c", "echo out; echo err >&2; exit 5")
    t.get_pipe_transport(0).close()
    await rec.done
    print("callbacks:", rec.events[0], sorted(rec.events[1:-1]), rec.events[-1], t.get_returncode())
    t.close()
    # Pipes.
    r, w = os.pipe()
    pr = PipeRecorder(loop)
    rt, _ = await loop.connect_read_pipe(lambda: pr, os.fdopen(r, "rb", 0))
    os.write(w, b"12345")
    await asyncio.sleep(0.05)
    os.close(w)
    await pr.done
    print("read pipe:", pr.events)
    for buffered in (False, True):
        r, w = os.pipe()
        pw = PipeRecorder(loop)
        wt, _ = await loop.connect_write_pipe(lambda: pw, os.fdopen(w, "wb", 0))
        if buffered:
            wt.write(b"q" * (1 << 20))
        os.close(r)
        await pw.done
        print("write pipe, reader closed, buffered=%s:" % buffered, pw.events)
    try:
        await loop.connect_read_pipe(asyncio.Protocol, open("/etc/passwd", "rb"))
    except ValueError as e:
        print("regular file (read):", e)
    try:
        await loop.connect_write_pipe(asyncio.Protocol, open("/etc/passwd", "rb"))
    except ValueError as e:
        print("regular file (write):", e)


asyncio.run(main())

EXPECTED = """
kill: -9 == -SIGKILL: -9
terminate: -15
shell exit 7: 7
kill after wait: ProcessLookupError
missing program: FileNotFoundError 2 'No such file or directory' '/nonexistent/program-xyz'
missing cwd: FileNotFoundError 2 '/nonexistent-dir-xyz'
communicate: (b'some data', None)
stderr=STDOUT: (b'out\\nerr\\n', None)
broken pipe ignored: (b'', None) 0
grandchild holds stdout (3.12+: wait() after the pipe closed): 0 b'early\\nlate\\n'
cancelled wait leaves it running: None
callbacks: connection_made ['pipe_lost 0', 'pipe_lost 1', 'pipe_lost 2', 'process_exited'] connection_lost 5
read pipe: ['made', ('data', b'12345'), 'eof', ('lost', None)]
write pipe, reader closed, buffered=False: ['made', ('lost', None)]
write pipe, reader closed, buffered=True: ['made', ('lost', 'BrokenPipeError')]
regular file (read): Pipe transport is for pipes/sockets only.
regular file (write): Pipe transport is only for pipes, sockets and character devices
"""
