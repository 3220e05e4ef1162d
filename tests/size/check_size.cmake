# cmake -DFILE=<program> -DLIMIT=<bytes> -P check_size.cmake
# Fails if FILE is larger than LIMIT bytes: the size targets of
# docs/platforms.md ("Program sizes"). Sizes are deterministic for a given
# toolchain, unlike timings, so a test can hold them.
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE} does not exist")
endif()
file(SIZE "${FILE}" size)
if(size GREATER LIMIT)
  message(FATAL_ERROR "${FILE} is ${size} bytes, over its target of ${LIMIT} bytes (docs/platforms.md)")
endif()
message(STATUS "${FILE}: ${size} bytes (target: at most ${LIMIT})")
