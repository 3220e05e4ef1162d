# Catch2 v2 for the tests: Debian's catch2 package (one header plus CMake
# scripts). Native builds use its CMake package. Cross and WebAssembly
# builds must not put the build machine's /usr/include on their include
# path, so they get a copy of the header alone, and the discovery script.
if(NOT CMAKE_CROSSCOMPILING)
  find_package(Catch2 REQUIRED)
  include(Catch)
  return()
endif()

find_file(ASYNCIO_CATCH_HPP catch2/catch.hpp
  PATHS /usr/include /usr/local/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
find_file(ASYNCIO_CATCH_CMAKE Catch.cmake
  PATHS /usr/lib/cmake/Catch2 /usr/share/cmake/Catch2 /usr/local/lib/cmake/Catch2
  NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT ASYNCIO_CATCH_HPP OR NOT ASYNCIO_CATCH_CMAKE)
  message(FATAL_ERROR "Catch2 v2 not found (Debian: apt-get install catch2)")
endif()
set(_catch_include ${CMAKE_BINARY_DIR}/catch2-include)
file(COPY ${ASYNCIO_CATCH_HPP} DESTINATION ${_catch_include}/catch2)
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_catch_include})
endif()
# newlib (bare metal) has no sigaltstack() for Catch2's crash handlers.
if(ASYNCIO_BACKEND STREQUAL "cortex-m")
  set_property(TARGET Catch2::Catch2 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS CATCH_CONFIG_NO_POSIX_SIGNALS)
endif()
include(${ASYNCIO_CATCH_CMAKE})
