# Linux on 64-bit Arm with Debian's cross g++ (g++-aarch64-linux-gnu) and
# multiarch libraries (libuv1-dev:arm64). Tests run under qemu-aarch64.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ASYNCIO_CROSS_TRIPLET aarch64-linux-gnu)
set(ASYNCIO_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross-linux.cmake)
