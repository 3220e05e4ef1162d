# Programs that must not compile, each with the diagnostic it must give:
# the library's compile-time guards (foreign awaitables inside a Coro, library
# awaitables inside another library's coroutine). Natively only: a syntax
# check with the project's compiler and the library's flags.
if(NOT ASYNCIO_BACKEND STREQUAL "uv")
  return()
endif()
set(_cf_dir ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail)
set(_cf_defs "")
foreach(def ${ASYNCIO_BACKEND_DEFINITIONS})
  list(APPEND _cf_defs "-D${def}")
endforeach()
function(asyncio_compile_fail name source regex)
  add_test(NAME "compile_fail: ${name}"
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${_cf_defs}
            -I${PROJECT_SOURCE_DIR}/src -I${_cf_dir} ${_cf_dir}/${source})
  set_tests_properties("compile_fail: ${name}" PROPERTIES LABELS compile_fail TIMEOUT 120
    PASS_REGULAR_EXPRESSION "${regex}")
endfunction()
asyncio_compile_fail("a foreign awaitable inside a Coro is a compile-time error"
  foreign_awaitable_in_coro.cpp "co_await inside an asyncio::Coro needs an asyncio awaitable")
asyncio_compile_fail("a Coro awaited by another library's coroutine is a compile-time error"
  coro_awaited_by_foreign_coroutine.cpp "can only be awaited inside an asyncio::Coro")
asyncio_compile_fail("sleep() awaited by another library's coroutine is a compile-time error"
  sleep_awaited_by_foreign_coroutine.cpp "can only be awaited inside an asyncio::Coro")

# The g++ 12 steering overloads of the event loop's factory-taking methods
# (detail/gcc12.hpp): each unsafe call in the file warns on g++ < 13 (11 of
# them), none elsewhere, and the safe forms never.
set(_gcc12_expect 0)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  set(_gcc12_expect 11)
endif()
string(REPLACE ";" "|" _cf_flags "${_cf_defs};-I${PROJECT_SOURCE_DIR}/src")
add_test(NAME "compile_fail: g++ 12 warns at each factory lambda temporary passed to a loop method (${_gcc12_expect} warnings)"
  COMMAND ${CMAKE_COMMAND} -DCOMPILER=${CMAKE_CXX_COMPILER} "-DFLAGS=${_cf_flags}"
          -DSOURCE=${_cf_dir}/gcc12_factory_temporaries.cpp -DEXPECT=${_gcc12_expect}
          "-DPATTERN=is deprecated: g\\+\\+ < 13 destroys a lambda" -P ${_cf_dir}/count_warnings.cmake)
set_tests_properties("compile_fail: g++ 12 warns at each factory lambda temporary passed to a loop method (${_gcc12_expect} warnings)"
  PROPERTIES LABELS compile_fail TIMEOUT 120)
