# TLS (the ssl= arguments): OpenSSL 3 where the platform has it, else a
# stub whose TLS entry points raise NotImplementedError (ssl_none.cpp).
#   uv backend   OpenSSL, unless ASYNCIO_WITH_OPENSSL=OFF (Debian: libssl-dev;
#                cross builds: libssl-dev:<arch>, found through pkg-config's
#                multiarch directory)
#   emscripten, wasi   no TLS library (no sockets either)
# Sets ASYNCIO_TLS_SOURCES, ASYNCIO_TLS_LIBRARIES (PRIVATE to asyncio: no
# OpenSSL header is public; a static libasyncio still makes consumers link
# it, so the package config finds OpenSSL too) and ASYNCIO_PLATFORM_HAS_TLS,
# and adds the definition platform.hpp reads.
set(ASYNCIO_PLATFORM_HAS_TLS 0)
set(ASYNCIO_TLS_LIBRARIES "")
set(ASYNCIO_TLS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/ssl_none.cpp)
if(ASYNCIO_BACKEND STREQUAL "uv")
  option(ASYNCIO_WITH_OPENSSL "TLS support (ssl=) through OpenSSL 3" ON)
  if(ASYNCIO_WITH_OPENSSL)
    if(CMAKE_CROSSCOMPILING AND CMAKE_LIBRARY_ARCHITECTURE AND NOT DEFINED ENV{PKG_CONFIG_LIBDIR})
      # pkg-config would report the build machine's OpenSSL: ask it for the
      # target's multiarch one instead.
      set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/pkgconfig:/usr/share/pkgconfig")
    endif()
    if(APPLE AND NOT OPENSSL_ROOT_DIR)
      # Homebrew's openssl@3 is keg-only: find_package needs its prefix.
      execute_process(COMMAND brew --prefix openssl@3 OUTPUT_VARIABLE _asyncio_brew_openssl
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _asyncio_brew_rc)
      if(_asyncio_brew_rc EQUAL 0 AND EXISTS "${_asyncio_brew_openssl}")
        set(OPENSSL_ROOT_DIR "${_asyncio_brew_openssl}")
      endif()
    endif()
    find_package(OpenSSL 3.0 REQUIRED)
    set(ASYNCIO_PLATFORM_HAS_TLS 1)
    set(ASYNCIO_TLS_SOURCES ${PROJECT_SOURCE_DIR}/src/asyncio/ssl_openssl.cpp)
    set(ASYNCIO_TLS_LIBRARIES OpenSSL::SSL OpenSSL::Crypto)
  endif()
endif()
list(APPEND ASYNCIO_BACKEND_DEFINITIONS ASYNCIO_PLATFORM_HAS_TLS=${ASYNCIO_PLATFORM_HAS_TLS})
if(ASYNCIO_PLATFORM_HAS_TLS)
  message(STATUS "asyncio: TLS through OpenSSL ${OPENSSL_VERSION}")
else()
  message(STATUS "asyncio: no TLS library (ssl= raises NotImplementedError)")
endif()
