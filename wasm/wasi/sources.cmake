# wasm32-wasi: a stub. The library, its headers and the examples build; a
# program that starts an event loop prints why it cannot and exits with
# status 69 (asyncio::platform::exit_status_unavailable), as the asyncio docs
# say: "Availability: not WASI".
set(ASYNCIO_PLATFORM_NAME wasm32-wasi)
set(ASYNCIO_PLATFORM_AVAILABLE 0)
set(ASYNCIO_PLATFORM_HAS_THREADS 0)
set(ASYNCIO_PLATFORM_HAS_SIGNALS 0)
set(ASYNCIO_PLATFORM_HAS_NETWORK 0)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 0)

set(ASYNCIO_BACKEND_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/wasi_backend.cpp
  ${CMAKE_CURRENT_LIST_DIR}/no_exceptions.cpp
  ${CMAKE_CURRENT_LIST_DIR}/no_demangle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/no_threads.cpp)
# The standard library gaps of single-threaded wasm32-wasi (compat/README.md).
# Before libc++'s own headers, for the library and for its users alike.
include(GNUInstallDirs)
set(ASYNCIO_BACKEND_COMPILE_OPTIONS
  "SHELL:-isystem $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/compat>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_INCLUDEDIR}/asyncio/wasi-compat>")
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/compat/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asyncio/wasi-compat
  PATTERN README.md EXCLUDE)

# This tree's programs leave out the DWARF that Debian's wasi-libc and libc++
# carry (most of a stub program's file otherwise), except in Debug builds.
set(ASYNCIO_BACKEND_LINK_OPTIONS "$<BUILD_INTERFACE:$<$<NOT:$<CONFIG:Debug>>:-Wl,--strip-debug>>")
# The stub's size target (docs/platforms.md): examples/hello.wasm at most
# 100 KB; tests/CMakeLists.txt checks it.
if(NOT DEFINED ASYNCIO_HELLO_SIZE_LIMIT)
  set(ASYNCIO_HELLO_SIZE_LIMIT 100000)
endif()
