# examples/firmware on the board (the cortex-m3 preset): its console trace,
# deterministic under QEMU's -icount, must be examples/firmware/trace.txt
# line for line (what follows it, the heap figure, may vary).
# Included from tests/CMakeLists.txt.
set(_trace_file ${PROJECT_SOURCE_DIR}/examples/firmware/trace.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_trace_file})
file(READ ${_trace_file} _trace)
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" _trace_re "${_trace}")
set(_name "examples: firmware blinks two LEDs, averages readings an interrupt posts and gives up on a silent sensor")
add_test(NAME "${_name}" COMMAND firmware)
set_tests_properties("${_name}" PROPERTIES LABELS examples TIMEOUT 60 PASS_REGULAR_EXPRESSION "^${_trace_re}")
