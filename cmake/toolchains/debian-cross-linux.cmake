# Shared by the Linux cross toolchain files: Debian's cross g++ for
# ${ASYNCIO_CROSS_TRIPLET}, multiarch libraries from /usr/lib/<triplet>, and
# qemu-user (${ASYNCIO_CROSS_QEMU}) to run what is built.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${ASYNCIO_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${ASYNCIO_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${ASYNCIO_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH /usr/${ASYNCIO_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# -L finds the cross toolchain's dynamic loader; LD_LIBRARY_PATH makes it
# load the same toolchain's libc and libstdc++. Without it the loader takes
# libc from the multiarch /lib/<triplet> (libc6:<arch>, pulled in by libuv),
# whose Debian revision can differ from the loader's, and pthread_create
# hangs. libuv itself comes from the multiarch directory.
set(CMAKE_CROSSCOMPILING_EMULATOR
  ${ASYNCIO_CROSS_QEMU};-L;/usr/${ASYNCIO_CROSS_TRIPLET};-E;LD_LIBRARY_PATH=/usr/${ASYNCIO_CROSS_TRIPLET}/lib)
