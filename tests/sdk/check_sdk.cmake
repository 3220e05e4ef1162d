# cmake -DKIND=emscripten|wasi -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -P check_sdk.cmake
#
# The presets' toolchain files take the SDK users install when its variable
# is set ($EMSDK for emsdk, $WASI_SDK_PATH for wasi-sdk) and Debian's
# otherwise. Neither SDK can be downloaded here, so this builds a directory
# laid out as the SDK is, whose files are links to Debian's toolchain,
# configures and builds a probe program with the variable pointing at it,
# and checks the compiler came from there; then the same without the
# variable, which must take Debian's.
set(probe ${SOURCE_DIR}/tests/sdk/probe)
set(mirror ${WORK_DIR}/${KIND}-sdk)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

if(KIND STREQUAL "emscripten")
  set(var EMSDK)
  set(toolchain ${SOURCE_DIR}/cmake/toolchains/emscripten.cmake)
  # emsdk: $EMSDK/upstream/emscripten is Emscripten's root, with emcc and
  # em++ in it. Debian's root is /usr/share/emscripten, whose wrapper runs
  # <name>.py of the name it is called by.
  set(root ${mirror}/upstream/emscripten)
  file(MAKE_DIRECTORY ${root})
  file(GLOB entries RELATIVE /usr/share/emscripten /usr/share/emscripten/*)
  foreach(e IN LISTS entries)
    file(CREATE_LINK /usr/share/emscripten/${e} ${root}/${e} SYMBOLIC)
  endforeach()
  foreach(tool emcc em++ emar emranlib)
    file(CREATE_LINK /usr/share/emscripten/wrapper ${root}/${tool} SYMBOLIC)
  endforeach()
  set(expected_compiler ${root}/em++)
  set(debian_compiler_re "^/usr/bin/em\\+\\+$")
elseif(KIND STREQUAL "wasi")
  set(var WASI_SDK_PATH)
  set(toolchain ${SOURCE_DIR}/cmake/toolchains/wasm32-wasi.cmake)
  # wasi-sdk: bin/clang, bin/clang++ and the sysroot share/wasi-sysroot
  # (include/wasm32-wasi, lib/wasm32-wasi), which Debian keeps under /usr.
  file(MAKE_DIRECTORY ${mirror}/bin ${mirror}/share/wasi-sysroot)
  file(CREATE_LINK /usr/bin/clang-14 ${mirror}/bin/clang SYMBOLIC)
  file(CREATE_LINK /usr/bin/clang++-14 ${mirror}/bin/clang++ SYMBOLIC)
  file(CREATE_LINK /usr/include ${mirror}/share/wasi-sysroot/include SYMBOLIC)
  file(CREATE_LINK /usr/lib ${mirror}/share/wasi-sysroot/lib SYMBOLIC)
  set(expected_compiler ${mirror}/bin/clang++)
  set(debian_compiler_re "clang\\+\\+-14$")
else()
  message(FATAL_ERROR "KIND must be emscripten or wasi")
endif()

function(configure_probe build_dir env_arg)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${env_arg} ${CMAKE_COMMAND} -S ${probe} -B ${build_dir} -G Ninja
      --toolchain ${toolchain} -DCMAKE_BUILD_TYPE=Debug
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configuring the probe (${env_arg}) failed:\n${out}\n${err}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build_dir} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building the probe (${env_arg}) failed:\n${out}\n${err}")
  endif()
  # The compiler CMake settled on (a toolchain file may set it without
  # caching it).
  file(GLOB info ${build_dir}/CMakeFiles/*/CMakeCXXCompiler.cmake)
  file(STRINGS "${info}" line REGEX "^set\\(CMAKE_CXX_COMPILER \"")
  string(REGEX REPLACE "^set\\(CMAKE_CXX_COMPILER \"([^\"]*)\"\\)$" "\\1" compiler "${line}")
  set(compiler "${compiler}" PARENT_SCOPE)
endfunction()

configure_probe(${WORK_DIR}/with-sdk "${var}=${mirror}")
if(NOT compiler STREQUAL expected_compiler)
  message(FATAL_ERROR "with ${var}=${mirror} the compiler is '${compiler}', not ${expected_compiler}")
endif()
message(STATUS "${var}=${mirror}: compiler ${compiler}")

configure_probe(${WORK_DIR}/debian "--unset=${var}")
if(NOT compiler MATCHES "${debian_compiler_re}")
  message(FATAL_ERROR "without ${var} the compiler is '${compiler}', not Debian's")
endif()
message(STATUS "without ${var}: compiler ${compiler}")
