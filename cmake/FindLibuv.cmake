# Finds libuv and defines the imported target Libuv::Libuv.
# Uses pkg-config when present (Debian's libuv1-dev ships libuv.pc), else a
# plain search, which also works for multiarch cross builds
# (/usr/lib/<triplet>/libuv.so found through CMAKE_LIBRARY_ARCHITECTURE).
if(TARGET Libuv::Libuv)
  set(Libuv_FOUND TRUE)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND AND NOT CMAKE_CROSSCOMPILING)
  pkg_check_modules(PC_LIBUV QUIET libuv)
endif()

find_path(Libuv_INCLUDE_DIR NAMES uv.h HINTS ${PC_LIBUV_INCLUDE_DIRS})
# uv_a: libuv's static library as its CMakeLists names it (Windows builds
# from tools/libuv-mingw link it statically).
find_library(Libuv_LIBRARY NAMES uv libuv uv_a HINTS ${PC_LIBUV_LIBRARY_DIRS})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libuv REQUIRED_VARS Libuv_LIBRARY Libuv_INCLUDE_DIR)

if(Libuv_FOUND AND NOT TARGET Libuv::Libuv)
  add_library(Libuv::Libuv UNKNOWN IMPORTED)
  set_target_properties(Libuv::Libuv PROPERTIES
    IMPORTED_LOCATION "${Libuv_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Libuv_INCLUDE_DIR}")
  if(WIN32 AND Libuv_LIBRARY MATCHES "uv_a")
    # What libuv's static library needs on Windows (its libuv-static.pc).
    set_target_properties(Libuv::Libuv PROPERTIES
      INTERFACE_LINK_LIBRARIES "psapi;user32;advapi32;iphlpapi;userenv;ws2_32")
  endif()
endif()
mark_as_advanced(Libuv_INCLUDE_DIR Libuv_LIBRARY)
