# wasm32-emscripten: the JavaScript event loop drives the portable core loop
# (see emscripten_backend.hpp for the facts and docs/platforms.md for the
# choice of stepping the loop from JS timers over Asyncify).
set(ASYNCIO_PLATFORM_NAME wasm32-emscripten)
# Threads: only with ASYNCIO_EMSCRIPTEN_PTHREADS (-pthread; the
# emscripten-pthreads preset), else one thread. No signals or processes.
# Sockets: under Node.js, from its net and dns modules (node_net.cpp,
# asyncio_node_net.js); in a browser the network methods raise
# NotImplementedError at run time.
option(ASYNCIO_EMSCRIPTEN_PTHREADS "wasm32-emscripten: build with pthreads (-pthread): threads, executors, to_thread" OFF)
# Workers Emscripten starts before main() (-sPTHREAD_POOL_SIZE) in this
# tree's programs: a thread started beyond them gets a worker that loads
# asynchronously, and starts only once the main thread returns to the
# JavaScript event loop (docs/platforms.md).
set(ASYNCIO_EMSCRIPTEN_PTHREAD_POOL_SIZE 8 CACHE STRING "wasm32-emscripten pthreads: -sPTHREAD_POOL_SIZE for this tree's programs")
if(ASYNCIO_EMSCRIPTEN_PTHREADS)
  set(ASYNCIO_PLATFORM_HAS_THREADS 1)
  set(_asyncio_em_threads_file emscripten_pthreads.cpp)
  set(_asyncio_em_threads -pthread)
else()
  set(ASYNCIO_PLATFORM_HAS_THREADS 0)
  set(_asyncio_em_threads_file emscripten_one_thread.cpp)
  set(_asyncio_em_threads "")
endif()
set(ASYNCIO_PLATFORM_HAS_SIGNALS 0)
set(ASYNCIO_PLATFORM_HAS_NETWORK 1)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 0)
# Node.js owns the sockets: the program's own socket() is Emscripten's
# emulation, which reaches no network, so asyncio::Socket (the sock_*
# coroutines, add_reader on sockets, UDP, sendfile) stays the stub.
set(ASYNCIO_PLATFORM_HAS_OS_SOCKETS 0)
# Node.js or a browser: known at run time (platform::network_available()).
set(ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME 1)

include(GNUInstallDirs)
set(ASYNCIO_BACKEND_SOURCES ${CMAKE_CURRENT_LIST_DIR}/emscripten_backend.cpp ${CMAKE_CURRENT_LIST_DIR}/node_net.cpp
  ${CMAKE_CURRENT_LIST_DIR}/${_asyncio_em_threads_file})

# How C++ exceptions are compiled. "wasm": WebAssembly's own exception
# handling (-fwasm-exceptions; Node.js >= 17, Chrome >= 95, Firefox >= 100,
# Safari >= 15.2): a call that may throw is an ordinary call. "js":
# Emscripten's JavaScript emulation (-fexceptions), for older engines: every
# such call goes out to JavaScript through an invoke_* wrapper, which made
# the loop 10-30x slower than natively (bench/README.md). The library and
# every program linked with it must use the same mode: the options below
# are PUBLIC.
set(ASYNCIO_EMSCRIPTEN_EXCEPTIONS js CACHE STRING "C++ exceptions on wasm32-emscripten: wasm or js")
set_property(CACHE ASYNCIO_EMSCRIPTEN_EXCEPTIONS PROPERTY STRINGS wasm js)
if(ASYNCIO_EMSCRIPTEN_EXCEPTIONS STREQUAL "wasm")
  set(_asyncio_eh -fwasm-exceptions)
elseif(ASYNCIO_EMSCRIPTEN_EXCEPTIONS STREQUAL "js")
  set(_asyncio_eh -fexceptions)
else()
  message(FATAL_ERROR "ASYNCIO_EMSCRIPTEN_EXCEPTIONS must be wasm or js, not '${ASYNCIO_EMSCRIPTEN_EXCEPTIONS}'")
endif()

# Emscripten 3.1.6's libc++ only has <experimental/coroutine>, which clang 14
# warns is going away. -pthread: every object of a threaded program needs it
# (atomics in shared memory), the library's users' too.
set(ASYNCIO_BACKEND_COMPILE_OPTIONS ${_asyncio_eh} ${_asyncio_em_threads} -Wno-deprecated-experimental-coroutine)
set(ASYNCIO_BACKEND_LINK_OPTIONS
  ${_asyncio_eh} ${_asyncio_em_threads}
  "SHELL:--js-library $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/asyncio>/asyncio_webloop.js"
  "SHELL:--js-library $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/asyncio>/asyncio_node_net.js"
  # This tree's own programs (tests, examples, the browser demo): one .js
  # file each (Node 20 cannot fetch a separate .wasm from disk), an exit
  # status for ctest, and a heap that may grow.
  "$<BUILD_INTERFACE:-sSINGLE_FILE=1;-sEXIT_RUNTIME=1;-sALLOW_MEMORY_GROWTH=1>")
if(ASYNCIO_EMSCRIPTEN_PTHREADS)
  # With pthreads each program also has a <name>.worker.js beside it, which
  # Emscripten's workers load. Growing shared memory is allowed, and makes
  # Emscripten warn that JavaScript reading the heap may be slower.
  list(APPEND ASYNCIO_BACKEND_LINK_OPTIONS
    "$<BUILD_INTERFACE:-sPTHREAD_POOL_SIZE=${ASYNCIO_EMSCRIPTEN_PTHREAD_POOL_SIZE};-Wno-pthreads-mem-growth>")
endif()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/asyncio_webloop.js ${CMAKE_CURRENT_LIST_DIR}/asyncio_node_net.js
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/asyncio)
# The test programs run under Node.js only: they see the machine's file
# system (Unix socket files, temporary directories) as Node's net module
# does (tests/CMakeLists.txt links them with these options).
set(ASYNCIO_BACKEND_TEST_LINK_OPTIONS -sNODERAWFS=1)

# Linking at -O2 and above runs Emscripten's JavaScript optimizer, and so
# does every link with pthreads (a heap that grows is reached through a
# rewrite of the JavaScript). It needs the npm module `acorn`: emsdk ships it, Debian's emscripten package
# does not. tools/setup installs it with npm into wasm/emscripten/node_modules;
# this tree's links then find it through NODE_PATH.
include(${CMAKE_CURRENT_LIST_DIR}/acorn.cmake)
