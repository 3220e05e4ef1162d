# cmake -DCOMPILER=... -DFLAGS=a|b|c -DSOURCE=... -DEXPECT=<n> -DPATTERN=<regex> -P count_warnings.cmake
# Compiles SOURCE (syntax only) and fails unless it compiles and exactly
# EXPECT diagnostics match PATTERN.
string(REPLACE "|" ";" _flags "${FLAGS}")
execute_process(COMMAND ${COMPILER} -std=c++20 -fsyntax-only ${_flags} ${SOURCE}
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile:\n${_out}")
endif()
string(REGEX MATCHALL "${PATTERN}" _hits "${_out}")
list(LENGTH _hits _count)
if(NOT _count EQUAL EXPECT)
  message(FATAL_ERROR "${_count} diagnostics match '${PATTERN}', expected ${EXPECT}:\n${_out}")
endif()
message(STATUS "${_count} diagnostics match, as expected")
