# Linux on 64-bit Arm with Debian's cross g++ (g++-aarch64-linux-gnu) and
# multiarch libraries (libuv1-dev:arm64). Tests run under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# -L finds the cross toolchain's dynamic loader; LD_LIBRARY_PATH makes it
# load the same toolchain's libc and libstdc++. Without it the loader takes
# libc from the multiarch /lib/aarch64-linux-gnu (libc6:<arch>, pulled in by libuv),
# whose Debian revision can differ from the loader's, and pthread_create
# hangs. libuv itself comes from the multiarch directory.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
