# wasm32-emscripten: the Emscripten SDK (emsdk) where $EMSDK is set, else
# Debian's emscripten package. Both keep CMake support in
# <root>/cmake/Modules/Platform/Emscripten.cmake; emsdk's root is
# $EMSDK/upstream/emscripten and holds the emcc/em++ to use, Debian's is
# /usr/share/emscripten with emcc/em++ on the PATH (docs/platforms.md).
if(DEFINED ENV{EMSDK} AND NOT "$ENV{EMSDK}" STREQUAL "")
  set(_asyncio_em_root "$ENV{EMSDK}/upstream/emscripten")
  if(NOT EXISTS "${_asyncio_em_root}/cmake/Modules/Platform/Emscripten.cmake")
    message(FATAL_ERROR "EMSDK is set to '$ENV{EMSDK}', but ${_asyncio_em_root}/cmake/Modules/Platform/Emscripten.cmake "
      "does not exist: is emsdk installed and activated there (emsdk install latest; emsdk activate latest)?")
  endif()
  if(EXISTS "${_asyncio_em_root}/em++" AND "${CMAKE_CXX_COMPILER}" STREQUAL "")
    set(CMAKE_C_COMPILER "${_asyncio_em_root}/emcc" CACHE FILEPATH "Emscripten emcc")
    set(CMAKE_CXX_COMPILER "${_asyncio_em_root}/em++" CACHE FILEPATH "Emscripten em++")
  endif()
else()
  set(_asyncio_em_root /usr/share/emscripten)
endif()
# Which one this tree uses (tests/sdk checks it).
set(ASYNCIO_EMSCRIPTEN_ROOT "${_asyncio_em_root}" CACHE PATH "The Emscripten this tree was configured with")
set(EMSCRIPTEN_ROOT_PATH "${_asyncio_em_root}")
include("${_asyncio_em_root}/cmake/Modules/Platform/Emscripten.cmake")
