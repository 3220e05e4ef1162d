# Makes Emscripten's JavaScript optimizer find the npm module `acorn` when
# this tree links its programs (see sources.cmake). Nothing to do where
# Emscripten finds it itself (emsdk); otherwise the copy tools/setup
# installs (npm ci in wasm/emscripten) is put on NODE_PATH for every link.
find_program(ASYNCIO_EMSCRIPTEN_NODE node)
set(_asyncio_acorn_dir ${CMAKE_CURRENT_LIST_DIR}/node_modules)
if(ASYNCIO_EMSCRIPTEN_NODE AND DEFINED EMSCRIPTEN_ROOT_PATH)
  execute_process(COMMAND ${ASYNCIO_EMSCRIPTEN_NODE} -e "require('acorn')"
    WORKING_DIRECTORY ${EMSCRIPTEN_ROOT_PATH}/tools RESULT_VARIABLE _asyncio_acorn_missing OUTPUT_QUIET ERROR_QUIET)
  if(_asyncio_acorn_missing)
    if(EXISTS ${_asyncio_acorn_dir}/acorn/package.json)
      set(CMAKE_C_LINKER_LAUNCHER ${CMAKE_COMMAND} -E env NODE_PATH=${_asyncio_acorn_dir})
      set(CMAKE_CXX_LINKER_LAUNCHER ${CMAKE_COMMAND} -E env NODE_PATH=${_asyncio_acorn_dir})
    else()
      message(WARNING "Emscripten's JavaScript optimizer (links at -O2 and above, and with pthreads) needs the npm module acorn, "
        "which this emscripten does not ship: run `tools/setup test emscripten-release` or `npm ci` in ${CMAKE_CURRENT_LIST_DIR}")
    endif()
  endif()
endif()
