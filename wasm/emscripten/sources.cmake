# wasm32-emscripten: the JavaScript event loop drives the portable core loop
# (see emscripten_backend.hpp for the facts and docs/platforms.md for the
# choice of stepping the loop from JS timers over Asyncify).
set(ASYNCIO_PLATFORM_NAME wasm32-emscripten)
# No pthreads build: one thread, no signals, no sockets or processes.
set(ASYNCIO_PLATFORM_HAS_THREADS 0)
set(ASYNCIO_PLATFORM_HAS_SIGNALS 0)
set(ASYNCIO_PLATFORM_HAS_NETWORK 0)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 0)

include(GNUInstallDirs)
set(ASYNCIO_BACKEND_SOURCES ${CMAKE_CURRENT_LIST_DIR}/emscripten_backend.cpp)

# Exceptions are off by default in Emscripten; the library (and so every
# program using it) needs them. Emscripten 3.1.6's libc++ only has
# <experimental/coroutine>, which clang 14 warns is going away.
set(ASYNCIO_BACKEND_COMPILE_OPTIONS -fexceptions -Wno-deprecated-experimental-coroutine)
set(ASYNCIO_BACKEND_LINK_OPTIONS
  -fexceptions
  "SHELL:--js-library $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/asyncio>/asyncio_webloop.js"
  # This tree's own programs (tests, examples, the browser demo): one .js
  # file each (Node 20 cannot fetch a separate .wasm from disk), an exit
  # status for ctest, and a heap that may grow.
  "$<BUILD_INTERFACE:-sSINGLE_FILE=1;-sEXIT_RUNTIME=1;-sALLOW_MEMORY_GROWTH=1>")
install(FILES ${CMAKE_CURRENT_LIST_DIR}/asyncio_webloop.js DESTINATION ${CMAKE_INSTALL_LIBDIR}/asyncio)
