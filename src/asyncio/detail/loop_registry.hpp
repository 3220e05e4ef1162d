// Which event loops exist, for the reports made from destructors.
//
// A future reports a never-retrieved exception when its last reference goes,
// which can be after its loop is gone (a handle outliving a Runner); the
// report then goes to the logger instead of the dead loop's handler.
// An address alone cannot tell: a new loop may be built where the dead one
// was (and run in another thread). So each loop gets an identity that is
// never reused, and the future keeps the identity of its loop.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace asyncio {
class EventLoop;
namespace detail {
void register_loop(EventLoop* loop);
void unregister_loop(EventLoop* loop) noexcept;
/// The identity of a live loop (never 0, never reused); 0 if `loop` is not alive.
std::uint64_t loop_identity(EventLoop* loop) noexcept;
/// True if the loop with identity `identity` is still alive at `loop`.
bool loop_is_alive(EventLoop* loop, std::uint64_t identity) noexcept;
/// Records that a std::shared_ptr owns `loop` (call once it does, so that
/// its weak_from_this() is set before another thread reads it).
void note_loop_shared(EventLoop* loop);
/// Every live loop noted shared (what new_event_loop() makes), kept alive by
/// the returned pointers (the inspector's list).
std::vector<std::shared_ptr<EventLoop>> live_loops();
/// True in the thread that initialized the library (the main thread).
bool is_main_thread() noexcept;
}  // namespace detail
}  // namespace asyncio
