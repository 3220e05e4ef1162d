// A program that faults on the board (an undefined instruction): the
// platform's handler must report it and end the run (exit status 134)
// instead of leaving QEMU spinning until ctest's timeout.
#include <cstdio>

int main() {
  std::puts("about to fault");
  asm volatile("udf #0");
  std::puts("still running");
  return 0;
}
