# Chooses the backend for the target platform (libuv's folder-per-platform
# rule: the build picks files, the code has no #ifdef chains).
#   uv          native Linux/macOS/Windows and cross-compiled Linux (libuv)
#   emscripten  wasm32-emscripten: the JavaScript event loop
#   wasi        wasm32-wasi: a stub reporting that asyncio is unavailable
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
if(ASYNCIO_BACKEND STREQUAL "uv")
  find_package(Libuv REQUIRED)
  set(ASYNCIO_BACKEND_SOURCES ${PROJECT_SOURCE_DIR}/platform/uv/uv_backend.cpp
                              ${PROJECT_SOURCE_DIR}/platform/uv/uv_net.cpp)
  set(ASYNCIO_BACKEND_LIBRARIES Libuv::Libuv)
elseif(ASYNCIO_BACKEND STREQUAL "emscripten" OR ASYNCIO_BACKEND STREQUAL "wasi")
  include(${PROJECT_SOURCE_DIR}/wasm/${ASYNCIO_BACKEND}/sources.cmake)
else()
  message(FATAL_ERROR "Unknown ASYNCIO_BACKEND '${ASYNCIO_BACKEND}'")
endif()
