# Windows x86-64 with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix); the
# tests run under Wine (Debian's wine and wine64) through
# CMAKE_CROSSCOMPILING_EMULATOR.
#
# - The posix thread model: the default win32 one has no std::thread or
#   std::mutex in Debian's mingw-w64 g++ 12.
# - libuv: Debian ships none for Windows; tools/setup builds its static
#   library from Debian's source package into <build>/libuv-mingw
#   (tools/libuv-mingw). ASYNCIO_MINGW_LIBUV points elsewhere.
# - Linked with -static: libstdc++, libgcc and libwinpthread are in every
#   .exe. Without libwinpthread-1.dll beside it, a dynamically linked program
#   exits with status 53 and no message under WINEDEBUG=-all.
# - ASYNCIO_WINEPREFIX: the private Wine prefix the tests run in
#   (<build>/wineprefix by default; cmake/toolchains/wine-run initialises it).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(ASYNCIO_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${ASYNCIO_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${ASYNCIO_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${ASYNCIO_MINGW_TRIPLET}-windres)

if(NOT ASYNCIO_MINGW_LIBUV)
  set(ASYNCIO_MINGW_LIBUV ${CMAKE_BINARY_DIR}/libuv-mingw)
endif()
set(ASYNCIO_MINGW_LIBUV "${ASYNCIO_MINGW_LIBUV}" CACHE PATH "libuv for Windows (include/, lib/), built by tools/libuv-mingw")
if(NOT EXISTS ${ASYNCIO_MINGW_LIBUV}/include/uv.h AND NOT CMAKE_SOURCE_DIR MATCHES "CMakeScratch|CMakeTmp")
  message(FATAL_ERROR "libuv for Windows not found in ${ASYNCIO_MINGW_LIBUV}: "
    "run tools/setup test windows-mingw (it builds it there), or "
    "tools/libuv-mingw <build dir>, or set ASYNCIO_MINGW_LIBUV")
endif()

# Appended to: a project using an installed asyncio passes its prefix as
# -DCMAKE_FIND_ROOT_PATH=<prefix>.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${ASYNCIO_MINGW_TRIPLET} ${ASYNCIO_MINGW_LIBUV})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT -static)

if(NOT ASYNCIO_WINEPREFIX)
  set(ASYNCIO_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix)
endif()
set(ASYNCIO_WINEPREFIX "${ASYNCIO_WINEPREFIX}" CACHE PATH "The Wine prefix the tests run in")
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run;${ASYNCIO_WINEPREFIX})
