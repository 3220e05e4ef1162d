// The JavaScript half of the Emscripten backend's networking (node_net.cpp):
// sockets and DNS from Node.js's own `net` and `dns` modules. Linked with
// --js-library beside asyncio_webloop.js.
//
// Facts about this platform:
// - Node.js delivers socket events only while its event loop runs, and the
//   blocking asyncio::run() keeps the loop's thread inside WebAssembly. So
//   every socket lives in an I/O worker (a plain worker_threads Worker,
//   started on first use); it sends events through a MessagePort and bumps
//   a shared counter. The loop takes them with receiveMessageOnPort() inside
//   Backend::poll() and sleeps in Atomics.wait() on the counter: the same
//   for a blocking run and for webloop::run() (which also hears the port's
//   'message' event while the JavaScript event loop runs, and wakes its
//   driver).
// - Operations that must answer at once (bind errors of create_server and
//   of create_connection's local_addr) are synchronous round trips to the
//   worker; everything else is a message one way.
// - Node.js accepts connections as soon as it listens: a server's worker
//   side holds them (paused) until the loop starts accepting. A server that
//   was not started by the loop's next poll (create_server(start_serving=
//   False)) stops listening until it is, so that connecting is refused as
//   with a bound socket that does not listen yet.
// - A write is copied out of WebAssembly memory and acknowledged once Node
//   has handed it to the kernel; up to kWindow bytes may be unacknowledged
//   (they stand for the kernel's send buffer), which is what try_write()
//   accepts at once.
// - The worker stops reading a socket when the loop holds more than a few
//   hundred KiB of its data undelivered, and resumes as the loop catches up.
// - In a browser there are no sockets: AsyncioNet.available() is false and
//   the loop's network methods raise NotImplementedError.
mergeInto(LibraryManager.library, {
  $AsyncioNet__deps: ['$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  $AsyncioNet: {
    wt: null,
    worker: null,
    port: null,
    sig: null,
    queue: [],
    // (Maps and Sets are made in start(): Emscripten writes this object out
    // as source text, which keeps only plain values.)
    handles: null,        // Map: id -> the C++ object (its address)
    streams: null,        // Map: stream id -> {reading, pending: [events held while not reading]}
    nextId: 1,
    nextReq: 1,
    refs: 0,
    wakers: null,         // Set: backends driven by webloop, told when a message arrives
    services: null,

    available: function() {
      if (!ENVIRONMENT_IS_NODE || typeof require != 'function' || typeof SharedArrayBuffer != 'function') return false;
      try {
        AsyncioNet.wt = AsyncioNet.wt || require('worker_threads');
      } catch (e) {
        return false;
      }
      return typeof AsyncioNet.wt.receiveMessageOnPort == 'function';
    },

    // Starts the I/O worker. `sigPtr`: an int32 in WebAssembly memory to use
    // as the wake-up counter when that memory is shared (pthreads builds:
    // other threads' wake() bumps it too), else 0.
    start: function(sigPtr) {
      if (AsyncioNet.port) return;
      AsyncioNet.handles = new Map();
      AsyncioNet.streams = new Map();
      AsyncioNet.wakers = new Set();
      // Each thread of a pthreads build has its own JavaScript realm, and
      // the C++ side asked available() once for all of them.
      var wt = AsyncioNet.wt = AsyncioNet.wt || require('worker_threads');
      var sab, offset;
      if (sigPtr && typeof SharedArrayBuffer == 'function' && HEAP32.buffer instanceof SharedArrayBuffer) {
        sab = HEAP32.buffer;
        offset = sigPtr;
      } else {
        sab = new SharedArrayBuffer(4);
        offset = 0;
      }
      AsyncioNet.sig = new Int32Array(sab, offset, 1);
      var channel = new wt.MessageChannel();
      AsyncioNet.port = channel.port1;
      AsyncioNet.worker = new wt.Worker(AsyncioNet.workerSource, {
        eval: true,
        workerData: {port: channel.port2, sab: sab, offset: offset},
        transferList: [channel.port2],
        stdout: false,
        stderr: false,
      });
      AsyncioNet.worker.on('error', function(e) {
        err('asyncio: the network worker failed: ' + e);
      });
      // Only while sockets are open does the port keep Node.js alive.
      AsyncioNet.port.on('message', function(m) {
        AsyncioNet.queue.push(m);
        AsyncioNet.wakers.forEach(function(backend) { _asyncio_net_event_arrived(backend); });
      });
      AsyncioNet.port.unref();
      AsyncioNet.worker.unref();
    },

    // One object more (or less) that can bring events: while there is any,
    // Node.js and the Emscripten runtime stay alive for them.
    ref: function() {
      if (AsyncioNet.refs++ == 0) {
        AsyncioNet.port.ref();
        runtimeKeepalivePush();
      }
    },
    unref: function() {
      if (--AsyncioNet.refs == 0) {
        AsyncioNet.port.unref();
        runtimeKeepalivePop();
      }
    },

    post: function(msg, transfer) {
      AsyncioNet.port.postMessage(msg, transfer);
    },

    // The next event from the worker, or undefined.
    take: function() {
      if (AsyncioNet.queue.length) return AsyncioNet.queue.shift();
      var got = AsyncioNet.wt.receiveMessageOnPort(AsyncioNet.port);
      return got ? got.message : undefined;
    },

    // A synchronous round trip: posts `msg` and waits for the worker's
    // answer to it; events arriving meanwhile are kept, in order.
    call: function(msg) {
      var req = AsyncioNet.nextReq++;
      msg.req = req;
      AsyncioNet.post(msg);
      var deadline = Date.now() + 60000;
      for (;;) {
        var seen = Atomics.load(AsyncioNet.sig, 0);
        var got;
        while ((got = AsyncioNet.wt.receiveMessageOnPort(AsyncioNet.port))) {
          if (got.message.t == 'reply' && got.message.req == req) return got.message;
          AsyncioNet.queue.push(got.message);
        }
        if (Date.now() > deadline) throw new Error('asyncio: the network worker did not answer');
        Atomics.wait(AsyncioNet.sig, 0, seen, 1000);
      }
    },

    // A new id for a C++ object that expects events; while it has one,
    // Node.js and the runtime stay alive (ref()).
    newId: function(handle) {
      var id = AsyncioNet.nextId++;
      AsyncioNet.handles.set(id, handle);
      AsyncioNet.ref();
      return id;
    },

    // The C++ object expects no more events.
    forget: function(id) {
      if (AsyncioNet.handles.delete(id)) AsyncioNet.unref();
    },

    // A string for a C++ callback, in the scratch area (`slot` 0 or 1).
    str: function(s, slot) {
      var p = _asyncio_net_scratch() + slot * 256;
      stringToUTF8(s, p, 256);
      return p;
    },

    // Writes a socket description into `out` (node_net.cpp's JsSockInfo).
    writeInfo: function(out, info) {
      // {fd, family: 4 | 6 | 0 (unix), local: [host, port], remote: [host, port]}
      HEAP32[out >> 2] = info.fd;
      HEAP32[(out + 4) >> 2] = info.family;
      HEAP32[(out + 8) >> 2] = info.local[1];
      HEAP32[(out + 12) >> 2] = info.remote ? info.remote[1] : -1;
      stringToUTF8(info.local[0], out + 16, 128);
      stringToUTF8(info.remote ? info.remote[0] : '', out + 144, 128);
    },

    // /etc/services, for service names in getaddrinfo() (Node.js's dns
    // resolves host names only).
    servicePort: function(name, proto) {
      if (!AsyncioNet.services) {
        AsyncioNet.services = {};
        try {
          var text = require('fs').readFileSync('/etc/services', 'utf8');
          text.split('\n').forEach(function(line) {
            var m = /^([^\s#]+)\s+(\d+)\/(\w+)([^#]*)/.exec(line);
            if (!m) return;
            var names = [m[1]].concat(m[4].trim().split(/\s+/).filter(Boolean));
            names.forEach(function(n) {
              var key = n + '/' + m[3];
              if (!(key in AsyncioNet.services)) AsyncioNet.services[key] = Number(m[2]);
            });
          });
        } catch (e) {
        }
      }
      var port = AsyncioNet.services[name + '/' + proto];
      return port === undefined ? -1 : port;
    },

    serviceName: function(port, proto) {
      AsyncioNet.servicePort('', proto);
      for (var key in AsyncioNet.services) {
        if (AsyncioNet.services[key] === port && key.endsWith('/' + proto)) return key.slice(0, key.indexOf('/'));
      }
      return String(port);
    },

    // Delivers the events waiting in the port to their C++ objects.
    // Returns the number delivered.
    deliver: function() {
      var n = 0;
      // Held data of streams that read again.
      AsyncioNet.streams.forEach(function(s, id) {
        if (s.reading && s.pending.length) n += AsyncioNet.flush(id, s);
      });
      var m;
      while ((m = AsyncioNet.take()) !== undefined) {
        n++;
        AsyncioNet.dispatch(m);
      }
      return n;
    },

    dispatch: function(m) {
      var handle = AsyncioNet.handles.get(m.id);
      if (handle === undefined) {  // closed meanwhile
        if (m.t == 'accepted') AsyncioNet.post({op: 'drop', conn: m.conn});
        return;
      }
      switch (m.t) {
        case 'data':
        case 'eof':
        case 'error': {
          var s = AsyncioNet.streams.get(m.id);
          if (!s) return;
          s.pending.push(m);
          if (s.reading) AsyncioNet.flush(m.id, s);
          return;
        }
        case 'written':
          _asyncio_net_on_written(handle, m.n, m.last ? 1 : 0, m.code ? AsyncioNet.str(m.code, 0) : 0);
          return;
        case 'connected': {
          var out = _asyncio_net_info_buffer();
          AsyncioNet.writeInfo(out, m.info);
          AsyncioNet.streams.set(m.id, {reading: false, pending: []});
          _asyncio_net_on_connected(handle, out, 0);
          return;
        }
        case 'connect_failed':
          AsyncioNet.forget(m.id);
          _asyncio_net_on_connected(handle, 0, AsyncioNet.str(m.code, 0));
          return;
        case 'accepted': {
          var out2 = _asyncio_net_info_buffer();
          AsyncioNet.writeInfo(out2, m.info);
          var cid = AsyncioNet.newId(0);
          AsyncioNet.streams.set(cid, {reading: false, pending: []});
          AsyncioNet.post({op: 'adopt', from: m.conn, id: cid});
          var h = _asyncio_net_on_accepted(handle, cid, out2);
          if (h) {
            AsyncioNet.handles.set(cid, h);
          } else {
            AsyncioNet.closeStream(cid);
          }
          return;
        }
        case 'accept_error':
          _asyncio_net_on_accept_error(handle, AsyncioNet.str(m.code, 0));
          return;
        case 'resolved':
          AsyncioNet.forget(m.id);
          if (m.code) {
            _asyncio_net_on_resolved(handle, 0, 0, AsyncioNet.str(m.code, 0));
            return;
          }
          m.list.forEach(function(a) {
            _asyncio_net_on_resolved(handle, a.family, AsyncioNet.str(a.address, 0), 0);
          });
          _asyncio_net_on_resolved(handle, 0, 0, 0);
          return;
        case 'named':
          AsyncioNet.forget(m.id);
          if (m.code) {
            _asyncio_net_on_named(handle, 0, 0, AsyncioNet.str(m.code, 0));
          } else {
            _asyncio_net_on_named(handle, AsyncioNet.str(m.host, 0), AsyncioNet.str(m.service, 1), 0);
          }
          return;
      }
    },

    // Hands a reading stream what it holds: data through the C++ object's
    // read buffer (what does not fit stays for the next poll), then EOF or
    // the error. Returns the number of events handed over.
    flush: function(id, s) {
      var n = 0;
      while (s.reading && s.pending.length) {
        var handle = AsyncioNet.handles.get(id);
        if (handle === undefined) return n;
        var m = s.pending[0];
        if (m.t == 'data') {
          var bytes = m.buf;
          var off = m.off || 0;
          while (off < bytes.length) {
            var ptr = _asyncio_net_read_buffer(handle, bytes.length - off);
            var room = _asyncio_net_read_room();
            if (room == 0) break;
            var len = Math.min(room, bytes.length - off);
            HEAPU8.set(bytes.subarray(off, off + len), ptr);
            off += len;
            n++;  // a partial delivery counts: the loop has work
            _asyncio_net_on_read(handle, len);
            if (!AsyncioNet.handles.has(id)) return n;
          }
          if (off < bytes.length) {
            m.off = off;
            return n;  // the owner declined: later
          }
          s.pending.shift();
          n++;
          AsyncioNet.post({op: 'ack', id: id, n: bytes.length});
        } else {
          s.pending.shift();
          n++;
          s.reading = false;  // reading stops at EOF and on errors
          if (m.t == 'eof') {
            _asyncio_net_on_eof(handle);
          } else {
            _asyncio_net_on_read_error(handle, AsyncioNet.str(m.code, 0));
          }
        }
      }
      return n;
    },

    closeStream: function(id) {
      AsyncioNet.forget(id);
      AsyncioNet.streams.delete(id);
      AsyncioNet.post({op: 'destroy', id: id});
    },

    // The I/O worker: plain JavaScript run by worker_threads (not part of
    // the WebAssembly module, so not touched by Emscripten's optimizers).
    workerSource: `
'use strict';
const { workerData } = require('worker_threads');
const net = require('net');
const dns = require('dns');
const fs = require('fs');
const port = workerData.port;
const sig = new Int32Array(workerData.sab, workerData.offset, 1);
const kReadHigh = 512 * 1024;  // undelivered bytes at which reading pauses
const kReadLow = 128 * 1024;   // ... and resumes
const sockets = new Map();     // id -> {sock, wantRead, unacked}
const servers = new Map();     // id -> {server, address, accepting, held: [], backlog}
let nextConn = -1;             // worker-side ids of accepted sockets, until adopted
const held = new Map();        // accepted socket id (negative) -> socket
const connecting = new Map();  // id -> socket not connected yet

function send(msg, transfer) {
  port.postMessage(msg, transfer);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
}
function reply(req, body) {
  body.t = 'reply';
  body.req = req;
  send(body);
}
function codeOf(e) {
  return (e && e.code) || 'EIO';
}
function family(f) {
  return f === 'IPv6' || f === 6 ? 6 : f === 'IPv4' || f === 4 ? 4 : 0;
}
function infoOf(sock) {
  const fd = sock._handle && typeof sock._handle.fd == 'number' ? sock._handle.fd : -1;
  if (sock.remoteAddress === undefined && sock.localAddress === undefined) {
    // AF_UNIX: Node.js gives no names; the loop knows the path.
    return {fd, family: 0, local: ['', 0], remote: ['', 0]};
  }
  return {fd, family: family(sock.remoteFamily || (net.isIPv6(sock.localAddress) ? 6 : 4)),
          local: [sock.localAddress || '', sock.localPort || 0],
          remote: sock.remoteAddress !== undefined ? [sock.remoteAddress, sock.remotePort] : null};
}
function serverInfo(server) {
  const a = server.address();
  const fd = server._handle && typeof server._handle.fd == 'number' ? server._handle.fd : -1;
  if (typeof a == 'string') return {fd, family: 0, local: [a, 0], remote: null};
  return {fd, family: family(a.family), local: [a.address, a.port], remote: null};
}

// A connected socket: events go to the loop as it reads.
function watch(id, sock) {
  const s = {sock, wantRead: false, unacked: 0, paused: true};
  sockets.set(id, s);
  sock.on('data', (buf) => {
    s.unacked += buf.length;
    const copy = new Uint8Array(buf);  // its own buffer, exactly this size
    send({t: 'data', id, buf: copy}, [copy.buffer]);
    update(s);
  });
  sock.on('end', () => send({t: 'eof', id}));
  sock.on('error', (e) => send({t: 'error', id, code: codeOf(e)}));
  return s;
}
function update(s) {
  const want = s.wantRead && s.unacked < (s.paused ? kReadLow : kReadHigh);
  if (want && s.paused) {
    s.paused = false;
    s.sock.resume();
  } else if (!want && !s.paused) {
    s.paused = true;
    s.sock.pause();
  }
}

const ops = {
  connect(m) {
    const opts = m.path !== undefined ? {path: m.path, allowHalfOpen: true}
                                      : {host: m.host, port: m.port, family: m.family, allowHalfOpen: true,
                                         localAddress: m.lhost, localPort: m.lport};
    const sock = new net.Socket({allowHalfOpen: true});
    sock.pause();
    connecting.set(m.id, sock);
    let connected = false;
    let bindFailed = null;
    const onError = (e) => {
      if (connected) return;
      connecting.delete(m.id);
      if (e.syscall === 'bind') bindFailed = codeOf(e);
      else send({t: 'connect_failed', id: m.id, code: codeOf(e)});
      sock.destroy();
    };
    sock.once('error', onError);
    sock.connect(opts, () => {
      connected = true;
      connecting.delete(m.id);
      sock.removeListener('error', onError);
      if (m.path === undefined) sock.setNoDelay(true);  // as Python does for TCP
      watch(m.id, sock);
      send({t: 'connected', id: m.id, info: infoOf(sock)});
    });
    if (m.req !== undefined) {
      // The bind (of local_addr) has happened, or failed, by the next turn.
      setImmediate(() => reply(m.req, {code: bindFailed}));
    } else if (bindFailed) {
      send({t: 'connect_failed', id: m.id, code: bindFailed});
    }
  },
  listen(m) {
    const entry = {server: null, address: m, accepting: false, held: []};
    servers.set(m.id, entry);
    start(entry, m.id, (code) => reply(m.req, code ? {code} : {info: serverInfo(entry.server)}));
  },
  relisten(m) {
    const entry = servers.get(m.id);
    if (!entry) return reply(m.req, {code: 'EBADF'});
    start(entry, m.id, (code) => reply(m.req, code ? {code} : {}));
  },
  unlisten(m) {
    const entry = servers.get(m.id);
    if (!entry || !entry.server) return;
    entry.server.close();
    entry.server = null;
    for (const sock of entry.held) sock.destroy();
    entry.held = [];
  },
  accept(m) {
    const entry = servers.get(m.id);
    if (!entry) return;
    entry.accepting = m.on;
    if (m.on) {
      const held = entry.held;
      entry.held = [];
      for (const sock of held) offer(entry, m.id, sock);
    }
  },
  close_server(m) {
    const entry = servers.get(m.id);
    if (!entry) return;
    servers.delete(m.id);
    for (const sock of entry.held) sock.destroy();
    if (entry.server) {
      // Node.js removes an AF_UNIX socket file when it closes; Python leaves
      // it when asked to (cleanup_socket=False) or when it was replaced.
      const keep = m.path && (!m.cleanup || !sameInode(m.path, m.inode));
      const aside = keep ? m.path + '.asyncio-keep-' + process.pid + '-' + m.id : null;
      if (aside) {
        try { fs.linkSync(m.path, aside); } catch (e) { }
      }
      entry.server.close();
      if (aside) {
        try { fs.renameSync(aside, m.path); } catch (e) { }
      }
    }
  },
  drop(m) {
    const sock = held.get(m.conn);
    held.delete(m.conn);
    if (sock) sock.destroy();
  },
  adopt(m) {
    const sock = held.get(m.from);
    held.delete(m.from);
    if (!sock) return send({t: 'error', id: m.id, code: 'ECONNRESET'});
    watch(m.id, sock);
    if (sock.destroyed) send({t: 'error', id: m.id, code: 'ECONNRESET'});
  },
  read(m) {
    const s = sockets.get(m.id);
    if (!s) return;
    s.wantRead = m.on;
    update(s);
  },
  ack(m) {
    const s = sockets.get(m.id);
    if (!s) return;
    s.unacked -= m.n;
    update(s);
  },
  write(m) {
    const s = sockets.get(m.id);
    const n = m.data.byteLength;
    if (m.req !== undefined) {
      // A synchronous write (asyncio_net_write_sync): the answer is the reply.
      if (!s || s.sock.destroyed) return reply(m.req, {code: 'EPIPE'});
      s.sock.write(Buffer.from(m.data), (e) => reply(m.req, {code: e ? codeOf(e) : null}));
      return;
    }
    if (!s || s.sock.destroyed) return send({t: 'written', id: m.id, n, last: m.last, code: 'EPIPE'});
    s.sock.write(Buffer.from(m.data), (e) => send({t: 'written', id: m.id, n, last: m.last, code: e ? codeOf(e) : null}));
  },
  end(m) {
    const s = sockets.get(m.id);
    if (s && !s.sock.destroyed) s.sock.end();
  },
  destroy(m) {
    const pending = connecting.get(m.id);
    if (pending) {
      connecting.delete(m.id);
      pending.destroy();
    }
    const s = sockets.get(m.id);
    if (!s) return;
    sockets.delete(m.id);
    s.sock.removeAllListeners('data');
    s.sock.on('error', () => {});
    // What was written reaches the peer, as close(2) leaves it to the kernel.
    if (s.sock.writableLength > 0 && !s.sock.destroyed) s.sock.destroySoon();
    else s.sock.destroy();
  },
  resolve(m) {
    const hints = (m.flags & 0x20 ? dns.ADDRCONFIG : 0) | (m.flags & 0x8 ? dns.V4MAPPED : 0) | (m.flags & 0x10 ? dns.ALL : 0);
    dns.lookup(m.host, {all: true, family: m.family, hints, verbatim: true}, (e, list) => {
      if (e) return send({t: 'resolved', id: m.id, code: e.code === 'ENOTFOUND' ? 'EAI_NONAME' : codeOf(e)});
      send({t: 'resolved', id: m.id, list: list.map((a) => ({family: a.family, address: a.address}))});
    });
  },
  name(m) {
    dns.lookupService(m.host, m.port, (e, host, service) => {
      if (e) return send({t: 'named', id: m.id, code: e.code === 'ENOTFOUND' ? 'EAI_NONAME' : codeOf(e)});
      send({t: 'named', id: m.id, host, service});
    });
  },
};

function sameInode(path, inode) {
  try {
    return fs.statSync(path).ino === inode;
  } catch (e) {
    return false;
  }
}

function start(entry, id, done) {
  const m = entry.address;
  const server = net.createServer({allowHalfOpen: true, pauseOnConnect: true});
  let listening = false;
  server.once('error', (e) => {
    if (!listening) done(codeOf(e));
  });
  server.on('connection', (sock) => {
    if (servers.get(id) !== entry || entry.server !== server) return sock.destroy();
    if (entry.accepting) offer(entry, id, sock);
    else entry.held.push(sock);
  });
  const opts = m.path !== undefined ? {path: m.path, backlog: m.backlog}
                                    : {host: m.host, port: m.port, backlog: m.backlog, ipv6Only: m.ipv6Only, exclusive: true};
  server.listen(opts, () => {
    listening = true;
    entry.server = server;
    // Listening again (relisten) takes the same port, not a new free one.
    if (m.path === undefined) m.port = server.address().port;
    server.on('error', (e) => send({t: 'accept_error', id, code: codeOf(e)}));
    done(null);
  });
}

function offer(entry, id, sock) {
  const conn = nextConn--;
  held.set(conn, sock);
  sock.on('error', () => {});
  send({t: 'accepted', id, conn, info: infoOf(sock)});
}

port.on('message', (m) => {
  try {
    ops[m.op](m);
  } catch (e) {
    if (m.req !== undefined) reply(m.req, {code: codeOf(e)});
    else if (m.id !== undefined) send({t: 'error', id: m.id, code: codeOf(e)});
  }
});
`,
  },

  asyncio_net_available__deps: ['$AsyncioNet'],
  asyncio_net_available: function() {
    return AsyncioNet.available() ? 1 : 0;
  },

  asyncio_net_start__deps: ['$AsyncioNet'],
  asyncio_net_start: function(sigPtr) {
    AsyncioNet.start(sigPtr);
  },

  // The wake-up counter's value now (waits compare against it).
  asyncio_net_seq__deps: ['$AsyncioNet'],
  asyncio_net_seq: function() {
    return AsyncioNet.sig ? Atomics.load(AsyncioNet.sig, 0) : 0;
  },

  // Sleeps until the worker sends something (the counter moves past
  // `seen`) or `ms` pass (< 0: no limit).
  asyncio_net_wait__deps: ['$AsyncioNet'],
  asyncio_net_wait: function(seen, ms) {
    if (AsyncioNet.queue.length) return;
    Atomics.wait(AsyncioNet.sig, 0, seen, ms < 0 ? Infinity : ms);
  },

  // Bumps the counter: a wait in progress or about to start returns.
  asyncio_net_notify__deps: ['$AsyncioNet'],
  asyncio_net_notify: function() {
    if (!AsyncioNet.sig) return;
    Atomics.add(AsyncioNet.sig, 0, 1);
    Atomics.notify(AsyncioNet.sig, 0);
  },

  asyncio_net_deliver__deps: ['$AsyncioNet'],
  asyncio_net_deliver: function() {
    return AsyncioNet.port ? AsyncioNet.deliver() : 0;
  },

  // Lets (or stops letting) a backend driven by webloop hear of events
  // while the JavaScript event loop runs (asyncio_net_event_arrived()).
  asyncio_net_set_waker__deps: ['$AsyncioNet'],
  asyncio_net_set_waker: function(backend, on) {
    if (!AsyncioNet.wakers) return;
    if (on) AsyncioNet.wakers.add(backend);
    else AsyncioNet.wakers.delete(backend);
  },

  asyncio_net_connect__deps: ['$AsyncioNet'],
  asyncio_net_connect: function(handle, family, host, port, lhost, lport, path) {
    var id = AsyncioNet.newId(handle);
    var m = {op: 'connect', id: id};
    if (path) {
      m.path = UTF8ToString(path);
    } else {
      m.host = UTF8ToString(host);
      m.port = port;
      m.family = family;
      if (lhost) {
        m.lhost = UTF8ToString(lhost);
        m.lport = lport;
      }
    }
    if (!lhost) {
      AsyncioNet.post(m);
      return id;
    }
    var r = AsyncioNet.call(m);
    if (r.code) {
      AsyncioNet.forget(id);
      AsyncioNet.post({op: 'destroy', id: id});
      _asyncio_net_set_error(AsyncioNet.str(r.code, 0));
      return 0;
    }
    return id;
  },

  // Gives up a connection attempt (or a connected stream): nothing more is
  // delivered for it.
  asyncio_net_close_stream__deps: ['$AsyncioNet'],
  asyncio_net_close_stream: function(id) {
    if (!AsyncioNet.handles.has(id) && !AsyncioNet.streams.has(id)) return;
    AsyncioNet.closeStream(id);
  },

  asyncio_net_read__deps: ['$AsyncioNet'],
  asyncio_net_read: function(id, on) {
    var s = AsyncioNet.streams.get(id);
    if (!s) return;
    s.reading = !!on;
    AsyncioNet.post({op: 'read', id: id, on: !!on});
  },

  // Copies `n` bytes at `ptr` out to the worker. `last`: the write whose
  // completion the C++ side waits for.
  asyncio_net_write__deps: ['$AsyncioNet'],
  asyncio_net_write: function(id, ptr, n, last) {
    var data = HEAPU8.slice(ptr, ptr + n).buffer;
    AsyncioNet.post({op: 'write', id: id, data: data, last: !!last}, [data]);
  },

  // Writes `n` bytes at `ptr` and waits until Node.js has handed them to the
  // kernel; returns 0, or -1 and the error (asyncio_net_set_error()). For a
  // stream whose peer has shut its side down, where the kernel's answer
  // (EPIPE, ECONNRESET once the peer reset) must come back at once.
  asyncio_net_write_sync__deps: ['$AsyncioNet'],
  asyncio_net_write_sync: function(id, ptr, n) {
    var data = HEAPU8.slice(ptr, ptr + n).buffer;
    var r = AsyncioNet.call({op: 'write', id: id, data: data, last: false});
    if (r.code) {
      _asyncio_net_set_error(AsyncioNet.str(r.code, 0));
      return -1;
    }
    return 0;
  },

  asyncio_net_end__deps: ['$AsyncioNet'],
  asyncio_net_end: function(id) {
    AsyncioNet.post({op: 'end', id: id});
  },

  // Listens on host:port (or an AF_UNIX path); 0 and the error (through
  // asyncio_net_set_error) if that fails, else the listener's id with its
  // address in the info buffer. The worker holds connections until
  // asyncio_net_accept(id, 1).
  asyncio_net_listen__deps: ['$AsyncioNet'],
  asyncio_net_listen: function(handle, family, host, port, path, backlog, out) {
    var id = AsyncioNet.newId(handle);
    var m = {op: 'listen', id: id, backlog: backlog};
    if (path) {
      m.path = UTF8ToString(path);
    } else {
      m.host = UTF8ToString(host);
      m.port = port;
      m.ipv6Only = family == 6;
    }
    var r = AsyncioNet.call(m);
    if (r.code) {
      AsyncioNet.forget(id);
      AsyncioNet.post({op: 'close_server', id: id});
      _asyncio_net_set_error(AsyncioNet.str(r.code, 0));
      return 0;
    }
    AsyncioNet.writeInfo(out, r.info);
    return id;
  },

  // Listens again after asyncio_net_unlisten(); 0 or -1 and the error.
  asyncio_net_relisten__deps: ['$AsyncioNet'],
  asyncio_net_relisten: function(id) {
    var r = AsyncioNet.call({op: 'relisten', id: id});
    if (r.code) {
      _asyncio_net_set_error(AsyncioNet.str(r.code, 0));
      return -1;
    }
    return 0;
  },

  asyncio_net_unlisten__deps: ['$AsyncioNet'],
  asyncio_net_unlisten: function(id) {
    AsyncioNet.post({op: 'unlisten', id: id});
  },

  asyncio_net_accept__deps: ['$AsyncioNet'],
  asyncio_net_accept: function(id, on) {
    AsyncioNet.post({op: 'accept', id: id, on: !!on});
  },

  // Closes a listener. For an AF_UNIX one: `cleanup` and the socket file's
  // inode say whether Node.js may remove the file (see the worker).
  asyncio_net_close_server__deps: ['$AsyncioNet'],
  asyncio_net_close_server: function(id, path, cleanup, inode) {
    if (!AsyncioNet.handles.has(id)) return;
    AsyncioNet.forget(id);
    var m = {op: 'close_server', id: id};
    if (path) {
      m.path = UTF8ToString(path);
      m.cleanup = !!cleanup;
      m.inode = inode;
    }
    AsyncioNet.post(m);
  },

  // Resolves a host name in the worker (dns.lookup); the addresses arrive
  // through asyncio_net_on_resolved().
  asyncio_net_resolve__deps: ['$AsyncioNet'],
  asyncio_net_resolve: function(handle, host, family, flags) {
    var id = AsyncioNet.newId(handle);
    AsyncioNet.post({op: 'resolve', id: id, host: UTF8ToString(host), family: family, flags: flags});
    return id;
  },

  asyncio_net_name__deps: ['$AsyncioNet'],
  asyncio_net_name: function(handle, host, port) {
    var id = AsyncioNet.newId(handle);
    AsyncioNet.post({op: 'name', id: id, host: UTF8ToString(host), port: port});
    return id;
  },

  // Forgets an operation in flight (resolve, name): its answer is dropped.
  asyncio_net_forget__deps: ['$AsyncioNet'],
  asyncio_net_forget: function(id) {
    AsyncioNet.forget(id);
  },

  // The port of service `name` for "tcp" or "udp" in /etc/services, or -1.
  asyncio_net_service_port__deps: ['$AsyncioNet'],
  asyncio_net_service_port: function(name, udp) {
    return AsyncioNet.servicePort(UTF8ToString(name), udp ? 'udp' : 'tcp');
  },

  // The name of service `port` (its number if it has none), into `out`.
  asyncio_net_service_name__deps: ['$AsyncioNet'],
  asyncio_net_service_name: function(port, udp, out, size) {
    stringToUTF8(AsyncioNet.serviceName(port, udp ? 'udp' : 'tcp'), out, size);
  },

  // A file's inode number (AF_UNIX cleanup), or -1.
  asyncio_net_inode: function(path) {
    try {
      return require('fs').statSync(UTF8ToString(path)).ino;
    } catch (e) {
      return -1;
    }
  },

  // Removes `path` if it is a socket file (a stale server's), as Python's
  // create_unix_server does. Returns 0, or -1 after logging nothing (the
  // C++ side logs).
  asyncio_net_remove_stale_socket: function(path) {
    var fs = require('fs');
    var p = UTF8ToString(path);
    try {
      if (!fs.statSync(p).isSocket()) return 0;
    } catch (e) {
      return 0;
    }
    try {
      fs.unlinkSync(p);
      return 0;
    } catch (e) {
      return -1;
    }
  },
});
