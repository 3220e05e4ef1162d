# Linux on 32-bit Arm, hard float (armhf), with Debian's cross g++
# (g++-arm-linux-gnueabihf) and multiarch libraries (libuv1-dev:armhf).
# Tests run under qemu-arm.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(ASYNCIO_CROSS_TRIPLET arm-linux-gnueabihf)
set(ASYNCIO_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross-linux.cmake)
