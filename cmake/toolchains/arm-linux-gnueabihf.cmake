# Linux on 32-bit Arm, hard float (armhf), with Debian's cross g++
# (g++-arm-linux-gnueabihf) and multiarch libraries (libuv1-dev:armhf).
# Tests run under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# -L finds the cross toolchain's dynamic loader; LD_LIBRARY_PATH makes it
# load the same toolchain's libc and libstdc++. Without it the loader takes
# libc from the multiarch /lib/arm-linux-gnueabihf (libc6:<arch>, pulled in by libuv),
# whose Debian revision can differ from the loader's, and pthread_create
# hangs. libuv itself comes from the multiarch directory.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-L;/usr/arm-linux-gnueabihf;-E;LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib)
