# wasm32-wasi with wasi-sdk ($WASI_SDK_PATH) or, by default, Debian's clang 14,
# wasi-libc and libc++ for wasm32
# (packages clang-14 lld-14 wasi-libc libc++-14-dev-wasm32
# libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32). Programs run under
# Node.js's WASI through wasm/wasi/run.mjs.
# Platform/WASI.cmake beside this file (CMake 3.25 has none).
list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_LIST_DIR})
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(WASI TRUE)
# wasi-sdk where $WASI_SDK_PATH is set: its clang in bin/ and its sysroot in
# share/wasi-sysroot (docs/platforms.md).
if(DEFINED ENV{WASI_SDK_PATH} AND NOT "$ENV{WASI_SDK_PATH}" STREQUAL "")
  set(_asyncio_wasi_sdk "$ENV{WASI_SDK_PATH}")
  if(NOT EXISTS "${_asyncio_wasi_sdk}/bin/clang++")
    message(FATAL_ERROR "WASI_SDK_PATH is set to '${_asyncio_wasi_sdk}', which has no bin/clang++: is wasi-sdk there?")
  endif()
  set(CMAKE_C_COMPILER "${_asyncio_wasi_sdk}/bin/clang")
  set(CMAKE_CXX_COMPILER "${_asyncio_wasi_sdk}/bin/clang++")
  set(CMAKE_SYSROOT "${_asyncio_wasi_sdk}/share/wasi-sysroot")
  if(EXISTS "${_asyncio_wasi_sdk}/bin/llvm-ar")
    set(CMAKE_AR "${_asyncio_wasi_sdk}/bin/llvm-ar" CACHE FILEPATH "wasi-sdk's ar")
    set(CMAKE_RANLIB "${_asyncio_wasi_sdk}/bin/llvm-ranlib" CACHE FILEPATH "wasi-sdk's ranlib")
  endif()
  set(CMAKE_FIND_ROOT_PATH "${CMAKE_SYSROOT}")
else()
  set(CMAKE_C_COMPILER clang-14)
  set(CMAKE_CXX_COMPILER clang++-14)
  set(CMAKE_FIND_ROOT_PATH /usr/lib/wasm32-wasi /usr/include/wasm32-wasi)
endif()
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
# No shared libraries on WASI preview 1.
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Single-threaded target: find_package(Threads) must find nothing to link
# (its probes would otherwise settle on a -lpthreads that does not exist).
set(CMAKE_HAVE_LIBC_PTHREAD TRUE CACHE INTERNAL "single-threaded wasm32-wasi")
find_program(ASYNCIO_WASI_NODE node)
if(ASYNCIO_WASI_NODE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${ASYNCIO_WASI_NODE};--no-warnings;${CMAKE_CURRENT_LIST_DIR}/../../wasm/wasi/run.mjs)
endif()
