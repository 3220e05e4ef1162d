# Warns, once, when C++ code is compiled by a GCC older than 13: GCC 12
# miscompiles some C++20 coroutine forms that look natural with this library
# (docs/compilers.md lists them, with the safe forms). Used by the project's
# own CMakeLists.txt and by the installed asyncioConfig.cmake.
#
# The check reads the C++ compiler CMake found, so a project must enable C++
# (project(... LANGUAGES CXX) or enable_language(CXX)) before calling
# find_package(asyncio); before that there is no compiler to check and the
# check stays silent. ASYNCIO_QUIET_COMPILER_CHECK=ON silences the warning.
option(ASYNCIO_QUIET_COMPILER_CHECK "Do not warn about GCC < 13's coroutine bugs (see docs/compilers.md)" OFF)

function(asyncio_check_compiler docs)
  get_property(done GLOBAL PROPERTY ASYNCIO_COMPILER_CHECKED)
  if(done OR ASYNCIO_QUIET_COMPILER_CHECK OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  if(CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 13)
    return()
  endif()
  set_property(GLOBAL PROPERTY ASYNCIO_COMPILER_CHECKED TRUE)
  message(WARNING
    "asyncio: g++ ${CMAKE_CXX_COMPILER_VERSION} miscompiles some C++20 coroutine forms, silently: "
    "(1) a temporary with a non-trivial destructor built by aggregate or lambda initialization inside a "
    "co_await expression (a capturing lambda, an options struct with a std::string or std::shared_ptr member) "
    "is destroyed twice or freed from the wrong place (GCC bugs 99576, 100611, 101367, 101976): crashes "
    "such as \"free(): double free detected\"; "
    "(2) co_await in an if/while condition or in a ?: operand hangs or crashes (GCC bugs 106188, 106713). "
    "GCC 13.1 fixed them. With g++ 12, write only the safe forms listed in ${docs} "
    "(build the awaitable in its own statement, then co_await it; put a co_await result in a local before "
    "testing it), or compile with g++ >= 13 or clang++ >= 14. "
    "Set ASYNCIO_QUIET_COMPILER_CHECK=ON to silence this warning.")
endfunction()
