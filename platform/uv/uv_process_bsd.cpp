// Spawning on POSIX systems other than Linux (macOS, the BSDs, Android):
// uv_spawn() always (see uv_process.hpp and uv_process_linux.cpp).
#include "uv_process.hpp"

namespace asyncio::uv::os {

int spawn_fast(UvBackend&, const uv_process_options_t&, Backend::ChildProcessPtr&) noexcept { return 1; }

}  // namespace asyncio::uv::os
