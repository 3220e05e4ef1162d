// A deliberate use after free through the small-object pool. Built only with
// AddressSanitizer, where the pool poisons freed blocks: the read below must
// be reported ("use-after-poison") and end the program. The CTest running it
// passes only if that report appears (and fails if the program survives).
#include <asyncio/detail/pool.hpp>

#include <cstdio>

namespace {
// Any pooled object (the library's handles, futures and tasks are).
struct Node : asyncio::detail::Pooled {
  int value = 42;
};
}  // namespace

int main() {
  // A volatile pointer: the compiler must not reason the read away.
  Node* volatile node = new Node;
  delete node;
  std::printf("read after free: %d\n", node->value);
  std::printf("the program survived a use after free\n");
  return 0;
}
