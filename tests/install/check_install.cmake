# Installs the build tree into a fresh prefix, builds tests/install/consumer
# against it with find_package(asyncio CONFIG), runs it and checks its output.
# Also checks the compiler check of asyncioConfig.cmake: one warning with
# g++ < 13, none otherwise, none with ASYNCIO_QUIET_COMPILER_CHECK=ON.
# Arguments: BUILD_DIR, SOURCE_DIR, WORK_DIR, GENERATOR, CXX_COMPILER,
# CXX_ID, CXX_VERSION (the compiler's CMake id and version); for a
# cross build also TOOLCHAIN_FILE, EMULATOR (what runs the consumer) and
# CROSS_ARGS (the toolchain's cache settings), lists separated with '|'.
# A cross consumer finds the package as cross projects find theirs: the
# prefix is a CMAKE_FIND_ROOT_PATH.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
if(NOT EXISTS "${prefix}/lib/cmake/asyncio/asyncioConfig.cmake" AND
   NOT EXISTS "${prefix}/lib64/cmake/asyncio/asyncioConfig.cmake")
  file(GLOB_RECURSE configs "${prefix}/*asyncioConfig.cmake")
  if(NOT configs)
    message(FATAL_ERROR "no asyncioConfig.cmake under ${prefix}")
  endif()
endif()

set(find_args "-DCMAKE_PREFIX_PATH=${prefix}")
set(emulator "")
if(TOOLCHAIN_FILE)
  string(REPLACE "|" ";" cross_args "${CROSS_ARGS}")
  string(REPLACE "|" ";" emulator "${EMULATOR}")
  set(find_args "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}" "-DCMAKE_FIND_ROOT_PATH=${prefix}" ${cross_args})
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/install/consumer" -B "${WORK_DIR}/build"
                        -G "${GENERATOR}" ${find_args} "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer failed:\n${out}\n${err}")
endif()
string(REGEX MATCHALL "asyncio: g\\+\\+ [0-9.]+ miscompiles" warnings "${err}")
list(LENGTH warnings nwarnings)
if(CXX_ID STREQUAL "GNU" AND CXX_VERSION VERSION_LESS 13)
  if(NOT nwarnings EQUAL 1 OR NOT err MATCHES "compilers.md")
    message(FATAL_ERROR "g++ ${CXX_VERSION}: expected one warning naming compilers.md, got ${nwarnings}:\n${err}")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -DASYNCIO_QUIET_COMPILER_CHECK=ON "${WORK_DIR}/build"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out2 ERROR_VARIABLE err2)
  if(NOT rc EQUAL 0 OR err2 MATCHES "miscompiles")
    message(FATAL_ERROR "ASYNCIO_QUIET_COMPILER_CHECK=ON did not silence the warning (exit ${rc}):\n${err2}")
  endif()
elseif(NOT nwarnings EQUAL 0)
  message(FATAL_ERROR "${CXX_ID} ${CXX_VERSION}: unexpected compiler warning:\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer failed:\n${out}\n${err}")
endif()
set(consumer "${WORK_DIR}/build/consumer")
if(EXISTS "${consumer}.exe")
  set(consumer "${consumer}.exe")
endif()
execute_process(COMMAND ${emulator} "${consumer}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "consumer ok 42\n")
  message(FATAL_ERROR "the consumer printed '${out}' (exit ${rc})")
endif()
message(STATUS "installed package works: ${out}")
