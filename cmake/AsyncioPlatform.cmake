# Chooses the backend for the target platform (libuv's folder-per-platform
# rule: the build picks files, the code has no #ifdef chains).
#   uv          native Linux/macOS/Windows and cross-compiled Linux (libuv)
#   emscripten  wasm32-emscripten: the JavaScript event loop
#   wasi        wasm32-wasi: a stub reporting that asyncio is unavailable
#
# A backend sets, for the asyncio target:
#   ASYNCIO_BACKEND_SOURCES         its .cpp files
#   ASYNCIO_BACKEND_LIBRARIES       what it links (PUBLIC)
#   ASYNCIO_BACKEND_COMPILE_OPTIONS, ASYNCIO_BACKEND_LINK_OPTIONS  (PUBLIC:
#                                   consumers need the same, e.g. -fexceptions)
#   ASYNCIO_PLATFORM_NAME and ASYNCIO_PLATFORM_* capabilities, which become
#   the compile definitions read by src/asyncio/platform.hpp.
if(NOT ASYNCIO_BACKEND)
  if(EMSCRIPTEN)
    set(ASYNCIO_BACKEND emscripten)
  elseif(CMAKE_SYSTEM_NAME STREQUAL "WASI")
    set(ASYNCIO_BACKEND wasi)
  else()
    set(ASYNCIO_BACKEND uv)
  endif()
endif()
set(ASYNCIO_BACKEND "${ASYNCIO_BACKEND}" CACHE STRING "Backend: uv, emscripten or wasi")

set(ASYNCIO_BACKEND_SOURCES "")
set(ASYNCIO_BACKEND_LIBRARIES "")
set(ASYNCIO_BACKEND_COMPILE_OPTIONS "")
set(ASYNCIO_BACKEND_LINK_OPTIONS "")
set(ASYNCIO_PLATFORM_AVAILABLE 1)
set(ASYNCIO_PLATFORM_HAS_THREADS 1)
set(ASYNCIO_PLATFORM_HAS_SIGNALS 1)
set(ASYNCIO_PLATFORM_HAS_NETWORK 1)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 1)
set(ASYNCIO_PLATFORM_HAS_OS_SOCKETS 1)
if(ASYNCIO_BACKEND STREQUAL "uv")
  find_package(Libuv REQUIRED)
  set(ASYNCIO_BACKEND_SOURCES ${PROJECT_SOURCE_DIR}/platform/uv/uv_backend.cpp
                              ${PROJECT_SOURCE_DIR}/platform/uv/uv_net.cpp)
  set(ASYNCIO_BACKEND_LIBRARIES Libuv::Libuv)
  # Python's sys.platform names.
  if(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
    set(ASYNCIO_PLATFORM_NAME darwin)
  elseif(CMAKE_SYSTEM_NAME STREQUAL "Windows")
    set(ASYNCIO_PLATFORM_NAME win32)
  else()
    string(TOLOWER "${CMAKE_SYSTEM_NAME}" ASYNCIO_PLATFORM_NAME)
  endif()
elseif(ASYNCIO_BACKEND STREQUAL "emscripten" OR ASYNCIO_BACKEND STREQUAL "wasi")
  include(${PROJECT_SOURCE_DIR}/wasm/${ASYNCIO_BACKEND}/sources.cmake)
else()
  message(FATAL_ERROR "Unknown ASYNCIO_BACKEND '${ASYNCIO_BACKEND}'")
endif()

set(ASYNCIO_BACKEND_DEFINITIONS
  ASYNCIO_PLATFORM_NAME="${ASYNCIO_PLATFORM_NAME}"
  ASYNCIO_PLATFORM_AVAILABLE=${ASYNCIO_PLATFORM_AVAILABLE}
  ASYNCIO_PLATFORM_HAS_THREADS=${ASYNCIO_PLATFORM_HAS_THREADS}
  ASYNCIO_PLATFORM_HAS_SIGNALS=${ASYNCIO_PLATFORM_HAS_SIGNALS}
  ASYNCIO_PLATFORM_HAS_NETWORK=${ASYNCIO_PLATFORM_HAS_NETWORK}
  ASYNCIO_PLATFORM_HAS_SUBPROCESSES=${ASYNCIO_PLATFORM_HAS_SUBPROCESSES}
  ASYNCIO_PLATFORM_HAS_OS_SOCKETS=${ASYNCIO_PLATFORM_HAS_OS_SOCKETS})
message(STATUS "asyncio: backend ${ASYNCIO_BACKEND} (${ASYNCIO_PLATFORM_NAME})")
