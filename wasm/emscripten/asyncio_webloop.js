// The JavaScript half of the Emscripten backend (emscripten_backend.cpp):
// scheduling the loop's steps as JS macrotasks, and sleeping synchronously
// for the blocking run_forever(). Linked with --js-library.
mergeInto(LibraryManager.library, {
  $AsyncioWebloop: {
    // driver pointer -> {gen, pending, timer}
    drivers: {},
    channel: null,
    queue: [],
    // Runs fn in its own macrotask, without setTimeout(0)'s 4 ms clamp:
    // setImmediate in Node.js, a MessageChannel message in browsers (as
    // Pyodide's WebLoop does), setTimeout elsewhere.
    immediate: function(fn) {
      if (typeof setImmediate == 'function') {
        setImmediate(fn);
      } else if (typeof MessageChannel == 'function') {
        if (!AsyncioWebloop.channel) {
          AsyncioWebloop.channel = new MessageChannel();
          AsyncioWebloop.channel.port1.onmessage = function() {
            var next = AsyncioWebloop.queue.shift();
            if (next) next();
          };
        }
        AsyncioWebloop.queue.push(fn);
        AsyncioWebloop.channel.port2.postMessage(0);
      } else {
        setTimeout(fn, 0);
      }
    },
    cancel: function(d) {
      if (!d.pending) return;
      d.pending = false;
      d.gen++;
      if (d.timer !== null) clearTimeout(d.timer);
      d.timer = null;
      runtimeKeepalivePop();
    },
  },

  // Schedules the driver's next step in `delay_ms` (<= 0: as soon as the JS
  // event loop gets to it), replacing a step already scheduled. While a step
  // is scheduled the runtime stays alive (Node.js does not exit).
  asyncio_webloop_schedule__deps: ['$AsyncioWebloop', '$callUserCallback', '$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  asyncio_webloop_schedule: function(driver, delay_ms) {
    var d = AsyncioWebloop.drivers[driver];
    if (!d) d = AsyncioWebloop.drivers[driver] = {gen: 0, pending: false, timer: null};
    AsyncioWebloop.cancel(d);
    var gen = ++d.gen;
    d.pending = true;
    runtimeKeepalivePush();
    var fire = function() {
      if (d.gen !== gen || !d.pending) return;  // cancelled or replaced
      d.pending = false;
      d.timer = null;
      runtimeKeepalivePop();
      callUserCallback(function() { _asyncio_webloop_step(driver); });
    };
    if (delay_ms <= 0) {
      AsyncioWebloop.immediate(fire);
    } else {
      d.timer = setTimeout(fire, Math.min(Math.ceil(delay_ms), 2147483647));
    }
  },

  // Forgets the driver: cancels its scheduled step.
  asyncio_webloop_forget__deps: ['$AsyncioWebloop', '$runtimeKeepalivePop'],
  asyncio_webloop_forget: function(driver) {
    var d = AsyncioWebloop.drivers[driver];
    if (!d) return;
    AsyncioWebloop.cancel(d);
    delete AsyncioWebloop.drivers[driver];
  },

  // 1 under Node.js, 0 in a browser.
  asyncio_is_node: function() {
    return ENVIRONMENT_IS_NODE ? 1 : 0;
  },

  // How many threads other than the main one run now (pthreads builds;
  // Emscripten's main thread keeps the list, so only it can tell).
  asyncio_pthreads_running: function() {
    return typeof PThread == 'object' && PThread.runningWorkers ? PThread.runningWorkers.length : 0;
  },

  // Blocks the calling thread for `ms` milliseconds: Atomics.wait where the
  // thread may block (Node.js), else a busy wait (a browser's main thread
  // may not block; CPython's time.sleep() spins there too).
  asyncio_sleep_sync: function(ms) {
    if (ENVIRONMENT_IS_NODE && typeof SharedArrayBuffer == 'function') {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      return;
    }
    var end = performance.now() + ms;
    while (performance.now() < end) {}
  },
});
