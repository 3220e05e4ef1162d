# Chooses the backend for the target platform (libuv's folder-per-platform
# rule: the build picks files, the code has no #ifdef chains).
#   uv          native Linux/macOS/Windows and cross-compiled Linux (libuv)
#   emscripten  wasm32-emscripten: the JavaScript event loop
#   wasi        wasm32-wasi: a stub reporting that asyncio is unavailable
#   cortex-m    bare-metal Cortex-M (no OS, newlib): platform/cortex-m
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
  elseif(CMAKE_SYSTEM_NAME STREQUAL "Generic" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^cortex-m")
    set(ASYNCIO_BACKEND cortex-m)
  else()
    set(ASYNCIO_BACKEND uv)
  endif()
endif()
set(ASYNCIO_BACKEND "${ASYNCIO_BACKEND}" CACHE STRING "Backend: uv, emscripten, wasi or cortex-m")

set(ASYNCIO_BACKEND_SOURCES "")
set(ASYNCIO_BACKEND_LIBRARIES "")
set(ASYNCIO_BACKEND_COMPILE_OPTIONS "")
set(ASYNCIO_BACKEND_LINK_OPTIONS "")
set(ASYNCIO_PLATFORM_AVAILABLE 1)
set(ASYNCIO_PLATFORM_HAS_THREADS 1)
set(ASYNCIO_PLATFORM_HAS_SIGNALS 1)
set(ASYNCIO_PLATFORM_HAS_NETWORK 1)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 1)
# Tests only (tag [large-heap]): room for megabytes of heap.
set(ASYNCIO_PLATFORM_HAS_LARGE_HEAP 1)
# The OS family of per-OS files (libuv's src/unix and src/win): foo_posix.cpp
# or foo_win.cpp. WebAssembly's libcs are POSIX-shaped.
if(WIN32)
  set(ASYNCIO_OS win)
else()
  set(ASYNCIO_OS posix)
endif()
# The portable core's few OS-specific pieces (socket constants, the SIGINT
# disposition asyncio::run checks).
set(ASYNCIO_OS_SOURCES
  ${PROJECT_SOURCE_DIR}/src/asyncio/detail/os_${ASYNCIO_OS}.cpp)

if(ASYNCIO_BACKEND STREQUAL "uv")
  find_package(Libuv REQUIRED)
  set(_uv ${PROJECT_SOURCE_DIR}/platform/uv)
  set(ASYNCIO_BACKEND_SOURCES ${_uv}/uv_backend.cpp
                              ${_uv}/uv_errors_${ASYNCIO_OS}.cpp
                              ${_uv}/uv_os_${ASYNCIO_OS}.cpp)
  set(ASYNCIO_BACKEND_LIBRARIES Libuv::Libuv)
  # Python's sys.platform names.
  if(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
    set(ASYNCIO_PLATFORM_NAME darwin)
  elseif(CMAKE_SYSTEM_NAME STREQUAL "Windows")
    set(ASYNCIO_PLATFORM_NAME win32)
    # Windows has no POSIX signals: libuv turns console events into SIGINT
    # (Ctrl-C), SIGBREAK (Ctrl-Break), SIGHUP (console closed) and SIGWINCH,
    # and those are all add_signal_handler() takes there (uv_os_win.cpp).
    # asyncio::run's Ctrl-C handling works; the [signals] tests, which
    # send POSIX signals, do not run.
    set(ASYNCIO_PLATFORM_HAS_SIGNALS 0)
    # Child processes are not in the library yet on any platform.
  else()
    string(TOLOWER "${CMAKE_SYSTEM_NAME}" ASYNCIO_PLATFORM_NAME)
  endif()
  if(ASYNCIO_PLATFORM_HAS_NETWORK)
    # One file per handle type on libuv's portable API, and what libuv
    # cannot express in per-OS files (platform/uv/uv_net_os.hpp lists it).
    list(APPEND ASYNCIO_BACKEND_SOURCES
      ${_uv}/uv_address.cpp ${_uv}/uv_dns.cpp ${_uv}/uv_listener.cpp ${_uv}/uv_stream.cpp ${_uv}/uv_tcp.cpp
      ${_uv}/uv_poll.cpp ${_uv}/uv_udp.cpp ${_uv}/uv_fd_${ASYNCIO_OS}.cpp
      ${_uv}/uv_dns_${ASYNCIO_OS}.cpp ${_uv}/uv_listener_${ASYNCIO_OS}.cpp ${_uv}/uv_pipe_${ASYNCIO_OS}.cpp
      ${_uv}/uv_socket_${ASYNCIO_OS}.cpp ${_uv}/uv_stream_${ASYNCIO_OS}.cpp)
    if(CMAKE_SYSTEM_NAME MATCHES "^(Linux|Android)$")
      list(APPEND ASYNCIO_BACKEND_SOURCES ${_uv}/uv_linux.cpp)
    elseif(ASYNCIO_OS STREQUAL "posix")
      # macOS, the BSDs: plain POSIX where Linux has calls of its own.
      list(APPEND ASYNCIO_BACKEND_SOURCES ${_uv}/uv_bsd.cpp)
    endif()
  endif()
  # Child processes and pipes (uv_process_t, uv_pipe_t); the per-OS file
  # spawns and opens pipes (uv_process_win.cpp raises NotImplementedError).
  list(APPEND ASYNCIO_BACKEND_SOURCES ${_uv}/uv_process.cpp ${_uv}/uv_process_${ASYNCIO_OS}.cpp)
  # Linux spawns without fork() where it can (posix_spawn() + pidfd).
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    list(APPEND ASYNCIO_BACKEND_SOURCES ${_uv}/uv_process_linux.cpp)
  elseif(ASYNCIO_OS STREQUAL "posix")
    list(APPEND ASYNCIO_BACKEND_SOURCES ${_uv}/uv_process_bsd.cpp)
  endif()
  if(NOT ASYNCIO_OS STREQUAL "posix")
    set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 0)
  endif()
elseif(ASYNCIO_BACKEND STREQUAL "emscripten" OR ASYNCIO_BACKEND STREQUAL "wasi")
  include(${PROJECT_SOURCE_DIR}/wasm/${ASYNCIO_BACKEND}/sources.cmake)
elseif(ASYNCIO_BACKEND STREQUAL "cortex-m")
  include(${PROJECT_SOURCE_DIR}/platform/cortex-m/sources.cmake)
else()
  message(FATAL_ERROR "Unknown ASYNCIO_BACKEND '${ASYNCIO_BACKEND}'")
endif()

# asyncio::Socket (the sock_* coroutines' sockets): the OS's sockets where
# the platform has a network, else a file that raises NotImplementedError.
if(ASYNCIO_PLATFORM_HAS_NETWORK AND ASYNCIO_OS STREQUAL "win")
  # Not written for Winsock yet: asyncio::Socket raises NotImplementedError
  # (the sock_* coroutines, UDP endpoints and sendfile's fallback with it);
  # the transports, servers and streams run on libuv's handles.
  list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/detail/no_socket.cpp)
elseif(ASYNCIO_PLATFORM_HAS_NETWORK AND NOT ASYNCIO_PLATFORM_HAS_OS_SOCKETS STREQUAL "0")
  list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/detail/socket_${ASYNCIO_OS}.cpp)
  if(CMAKE_SYSTEM_NAME MATCHES "^(Linux|Android)$")
    list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/detail/socket_linux.cpp)
  else()
    list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/detail/socket_bsd.cpp)
  endif()
else()
  list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/detail/no_socket.cpp)
endif()

# The inspector (asyncio::inspect, the asyncio-ps tool): POSIX with threads,
# on libuv's backend, with nlohmann_json's header (Debian:
# nlohmann-json3-dev); elsewhere its functions raise NotImplementedError.
set(ASYNCIO_HAS_INSPECT OFF)
if(ASYNCIO_BACKEND STREQUAL "uv" AND ASYNCIO_OS STREQUAL "posix" AND ASYNCIO_PLATFORM_HAS_THREADS)
  # Header-only and architecture-independent: cross builds use the build
  # machine's copy, through a directory holding only it (never all of
  # /usr/include, whose C headers are the build machine's).
  find_path(ASYNCIO_NLOHMANN_JSON_DIR nlohmann/json.hpp NO_CMAKE_FIND_ROOT_PATH)
  if(ASYNCIO_NLOHMANN_JSON_DIR)
    set(ASYNCIO_JSON_INCLUDE ${PROJECT_BINARY_DIR}/json_include)
    file(MAKE_DIRECTORY ${ASYNCIO_JSON_INCLUDE})
    if(NOT EXISTS ${ASYNCIO_JSON_INCLUDE}/nlohmann)
      file(CREATE_LINK ${ASYNCIO_NLOHMANN_JSON_DIR}/nlohmann ${ASYNCIO_JSON_INCLUDE}/nlohmann SYMBOLIC)
    endif()
    set(ASYNCIO_HAS_INSPECT ON)
  endif()
endif()
if(ASYNCIO_HAS_INSPECT)
  list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/inspect_posix.cpp)
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/asyncio/inspect_posix.cpp
    PROPERTIES INCLUDE_DIRECTORIES ${ASYNCIO_JSON_INCLUDE})
else()
  list(APPEND ASYNCIO_OS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/inspect_none.cpp)
endif()

set(ASYNCIO_BACKEND_DEFINITIONS
  ASYNCIO_PLATFORM_NAME="${ASYNCIO_PLATFORM_NAME}"
  ASYNCIO_PLATFORM_AVAILABLE=${ASYNCIO_PLATFORM_AVAILABLE}
  ASYNCIO_PLATFORM_HAS_THREADS=${ASYNCIO_PLATFORM_HAS_THREADS}
  ASYNCIO_PLATFORM_HAS_SIGNALS=${ASYNCIO_PLATFORM_HAS_SIGNALS}
  ASYNCIO_PLATFORM_HAS_NETWORK=${ASYNCIO_PLATFORM_HAS_NETWORK}
  ASYNCIO_PLATFORM_HAS_SUBPROCESSES=${ASYNCIO_PLATFORM_HAS_SUBPROCESSES})
# A platform whose sockets depend on where the program runs (Emscripten:
# Node.js has them, a browser not) answers platform::network_available().
if(ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME)
  list(APPEND ASYNCIO_BACKEND_DEFINITIONS ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME=1)
endif()
message(STATUS "asyncio: backend ${ASYNCIO_BACKEND} (${ASYNCIO_PLATFORM_NAME})")
