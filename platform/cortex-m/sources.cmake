# Bare-metal Cortex-M (no OS) with newlib and semihosting: the portable core
# loop on a microcontroller (cortex_m_backend.hpp has the facts). The
# startup file, vector table and linker script are the library's: a program
# linking asyncio gets them, for QEMU's mps2-an385 board by default.
set(ASYNCIO_PLATFORM_NAME "cortex-m (bare metal)")
set(ASYNCIO_PLATFORM_HAS_THREADS 0)
set(ASYNCIO_PLATFORM_HAS_SIGNALS 0)
set(ASYNCIO_PLATFORM_HAS_NETWORK 0)
set(ASYNCIO_PLATFORM_HAS_SUBPROCESSES 0)
# 4 MB of RAM: a test awaiting 100000 nested coroutines (about 6 MB of
# frames, tag [large-heap]) cannot run here.
set(ASYNCIO_PLATFORM_HAS_LARGE_HEAP 0)

# What a board needs configured (docs/platforms.md, "Bare metal").
set(ASYNCIO_CORTEX_M_CORE_HZ 25000000 CACHE STRING "Core clock SysTick counts, in Hz (mps2-an385: 25 MHz)")
set(ASYNCIO_CORTEX_M_TICK_HZ 1000 CACHE STRING "SysTick interrupts per second: the resolution of the loop's waits")
set(ASYNCIO_CORTEX_M_STACK_SIZE 65536 CACHE STRING "Bytes of main stack (interrupt handlers run on it too)")
set(ASYNCIO_CORTEX_M_HEAP_SIZE 0 CACHE STRING "Bytes of heap; 0: all RAM the linker script leaves between the data and the stack")
set(ASYNCIO_CORTEX_M_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/mps2_an385.ld CACHE FILEPATH "The board's linker script")
set(ASYNCIO_CORTEX_M_VECTORS ${CMAKE_CURRENT_LIST_DIR}/mps2_an385_vectors.cpp CACHE FILEPATH "The board's vector table")
option(ASYNCIO_CORTEX_M_COMPACT_DEMANGLER
  "Name types in messages with a small demangler (class names only) instead of libstdc++'s (29 KB of flash)" ON)

set(ASYNCIO_BACKEND_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_atomic.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_backend.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_faults.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_heap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_irq.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cortex_m_startup.cpp
  ${CMAKE_CURRENT_LIST_DIR}/no_posix.cpp
  ${ASYNCIO_CORTEX_M_VECTORS})
if(ASYNCIO_CORTEX_M_COMPACT_DEMANGLER)
  list(APPEND ASYNCIO_BACKEND_SOURCES ${CMAKE_CURRENT_LIST_DIR}/compact_demangle.cpp)
endif()
# The run-time support is what newlib, libgcc and assembly call by name
# (_init, _sbrk, __atomic_*, handlers): never link-time optimized away.
set_source_files_properties(${ASYNCIO_BACKEND_SOURCES} PROPERTIES COMPILE_OPTIONS -fno-lto)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/cortex_m_clock.cpp PROPERTIES COMPILE_DEFINITIONS
  "ASYNCIO_CORTEX_M_CORE_HZ=${ASYNCIO_CORTEX_M_CORE_HZ};ASYNCIO_CORTEX_M_TICK_HZ=${ASYNCIO_CORTEX_M_TICK_HZ}")

include(GNUInstallDirs)
# compat/: the standard headers newlib's single-threaded libstdc++ lacks
# (compat/README.md), before the toolchain's own, for the library and its
# users alike; include/: asyncio/cortex_m.hpp. _DEFAULT_SOURCE: newlib
# hides POSIX (sigaction, ...) under -std=c++20, where glibc shows it to g++.
# ASYNCIO_NO_POOL: newlib's malloc serves every allocation (detail/pool.hpp
# is off). The pool caches blocks per thread, and an interrupt handler
# calling call_soon_threadsafe() would share the interrupted code's cache;
# malloc is interrupt-safe here (cortex_m_heap.cpp). And the pool's 64 KiB
# slabs per size class suit a desktop, not a heap of a few kilobytes.
set(ASYNCIO_BACKEND_COMPILE_OPTIONS
  -D_DEFAULT_SOURCE
  -DASYNCIO_NO_POOL
  "SHELL:-isystem $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/compat>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_INCLUDEDIR}/asyncio/cortex-m-compat>"
  "SHELL:-I $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_INCLUDEDIR}>")
# Semihosting newlib (full libstdc++: the nano one has no unwind tables and
# every throw terminates), this platform's startup instead of crt0, the
# board's memory map. steady_clock reads gettimeofday(): it becomes the
# SysTick clock instead of the host's seconds (cortex_m_clock.cpp).
set(ASYNCIO_BACKEND_LINK_OPTIONS
  --specs=rdimon.specs
  -nostartfiles
  "SHELL:-T $<BUILD_INTERFACE:${ASYNCIO_CORTEX_M_LINKER_SCRIPT}>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/asyncio/cortex-m.ld>"
  -Wl,--wrap=_gettimeofday
  -Wl,--defsym=__asyncio_stack_size=${ASYNCIO_CORTEX_M_STACK_SIZE}
  -Wl,--defsym=__asyncio_heap_size=${ASYNCIO_CORTEX_M_HEAP_SIZE})
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/compat/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asyncio/cortex-m-compat
  PATTERN README.md EXCLUDE)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/include/asyncio/cortex_m.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asyncio)
install(FILES ${ASYNCIO_CORTEX_M_LINKER_SCRIPT} DESTINATION ${CMAKE_INSTALL_LIBDIR}/asyncio RENAME cortex-m.ld)
