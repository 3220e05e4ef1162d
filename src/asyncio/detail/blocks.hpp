// The blocks of the `async with` constructs (Timeout::async_with,
// TaskGroup::async_with): a Coro<T>, or a callable returning one that takes
// the context object or nothing.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"

namespace asyncio::detail {

template <class B>
struct BlockResult;
template <class T>
struct BlockResult<Coro<T>> {
  using type = T;
};

// What a block passed to async_with() produces: a Coro<T> directly, or a
// callable returning one, taking the context object (`Ctx&`) or nothing.
template <class B, class Ctx>
auto block_coro_type() {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value)
    return std::type_identity<std::remove_cvref_t<B>>{};
  else if constexpr (std::is_invocable_v<B&, Ctx&>)
    return std::type_identity<std::remove_cvref_t<std::invoke_result_t<B&, Ctx&>>>{};
  else
    return std::type_identity<std::remove_cvref_t<std::invoke_result_t<B&>>>{};
}
template <class B, class Ctx>
using block_coro_t = typename decltype(block_coro_type<B, Ctx>())::type;
template <class B, class Ctx>
using block_value_t = typename BlockResult<block_coro_t<B, Ctx>>::type;

// Makes the block's coroutine (inside the block's own coroutine, so that a
// callable is kept alive in that frame while its coroutine runs).
template <class B, class Ctx>
block_coro_t<B, Ctx> make_block(B& block, Ctx& ctx) {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value)
    return std::move(block);
  else if constexpr (std::is_invocable_v<B&, Ctx&>)
    return std::invoke(block, ctx);
  else
    return std::invoke(block);
}

// Keeps a coroutine that will never run from logging "was never awaited"
// (Python closes it: coro.close()).
template <class B>
void close_block(B& block) noexcept {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value) {
    if (block) block.handle().promise().mark_started();
  }
}

}  // namespace asyncio::detail
