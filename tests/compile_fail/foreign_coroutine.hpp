// Another library's coroutine type: a minimal eager task with its own promise.
#pragma once

#include <coroutine>
#include <exception>

struct ForeignTask {
  struct promise_type {
    ForeignTask get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};
