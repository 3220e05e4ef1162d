# The wasi preset's tests: no loop can run, so they check that every
# program starting one says so clearly (one line on stderr, nothing on
# stdout, exit status 69), and that a portable program can ask first.
# Included from tests/CMakeLists.txt.
set(_unavailable_line "asyncio is not available on WASI (wasm32-wasi): WASI preview 1 has no threads, signals, subprocesses or sockets of its own to run an event loop on. Availability: not WASI (see docs/platforms.md)\\n")
find_program(ASYNCIO_NODE node REQUIRED)
set(_check ${ASYNCIO_NODE} --no-warnings ${PROJECT_SOURCE_DIR}/wasm/wasi/check.mjs)

foreach(example IN LISTS ASYNCIO_EXAMPLES)
  add_test(NAME "wasi: ${example} reports that asyncio is unavailable and exits 69"
    COMMAND ${_check} --status 69 --stdout "" --stderr "${_unavailable_line}" $<TARGET_FILE:${example}>)
  set_tests_properties("wasi: ${example} reports that asyncio is unavailable and exits 69"
    PROPERTIES LABELS wasi TIMEOUT 60)
endforeach()

add_executable(platform_query ${CMAKE_CURRENT_SOURCE_DIR}/platform_query.cpp)
target_link_libraries(platform_query PRIVATE asyncio::asyncio)
add_test(NAME "wasi: a portable program checks asyncio::platform::available first"
  COMMAND ${_check} --status 0 --stderr "" --stdout "asyncio unavailable on wasm32-wasi: ${_unavailable_line}"
    $<TARGET_FILE:platform_query>)
add_test(NAME "wasi: new_event_loop reports that asyncio is unavailable and exits 69"
  COMMAND ${_check} --status 69 --stdout "" --stderr "${_unavailable_line}" $<TARGET_FILE:platform_query> --start-loop)
set_tests_properties("wasi: a portable program checks asyncio::platform::available first"
  "wasi: new_event_loop reports that asyncio is unavailable and exits 69" PROPERTIES LABELS wasi TIMEOUT 60)
