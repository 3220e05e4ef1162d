# Bare-metal ARM Cortex-M3 (no OS) with Debian's gcc-arm-none-eabi 12.2,
# newlib and libstdc++-arm-none-eabi-newlib. Programs are linked for QEMU's
# mps2-an385 board (platform/cortex-m picks the startup file, vector table
# and linker script) and tests run on it under qemu-system-arm through
# platform/cortex-m/qemu-run.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m3)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# Each function and object in its own section, and the link drops what
# nothing uses: flash is the scarce resource. -Wno-psabi: GCC's notes that
# the ABI of passing some structs changed in GCC 7.1 concern only code
# linked with objects from before it.
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -Wno-psabi")
set(CMAKE_CXX_FLAGS_INIT "-mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -Wno-psabi")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")
# The compiler checks link nothing: a program needs the board's startup
# files, which the asyncio target adds (platform/cortex-m/sources.cmake).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# No threads: find_package(Threads) must find nothing to link.
set(CMAKE_HAVE_LIBC_PTHREAD TRUE CACHE INTERNAL "bare metal: one thread of execution")
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../../platform/cortex-m/qemu-run)
