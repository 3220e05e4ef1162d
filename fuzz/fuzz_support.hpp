// Shared by the libFuzzer harnesses: a loop without OS resources, a reader
// of the fuzzer's bytes, and stepping the loop until nothing is ready.
#pragma once

#include <asyncio/asyncio.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>

// ASan's defaults for the harness (the environment's ASAN_OPTIONS still
// wins, flag by flag). Each harness includes this header from its one file.
//
// max_uar_stack_size_log=16: stack-use-after-return stays checked, with
// 64 KiB fake stacks instead of the 1 MiB ASan sizes from the main thread's
// 8 MiB stack. Every throw (QueueFull, CancelledError, LimitOverrunError...)
// makes ASan sweep the whole fake stack at the next call; at 1 MiB that
// sweep was 43% of fuzz_sync's time (perf). A 64 KiB fake stack holds
// 1024 of the smallest frames, deeper than the harnesses' calls go (were it
// ever exhausted, ASan would put the extra frames on the real stack:
// unchecked, never a false report).
extern "C" const char* __asan_default_options() { return "max_uar_stack_size_log=16"; }  // NOLINT

namespace fuzz {

// Facts: the harnesses never wait for I/O or time: the loop runs only what
// is ready, so a backend needs no descriptors (a fresh loop per input costs
// no syscalls, and inputs stay independent).
class QuietBackend final : public asyncio::Backend {
 public:
  void poll(double) override {}
  void wake() noexcept override {}
  std::string platform() const override { return "fuzz"; }
};

/// The harness's loop, made once: inputs stay independent because each one
/// leaves it quiet, with no task pending (checked), and a loop costs more
/// to make than most inputs cost to run.
inline std::shared_ptr<asyncio::EventLoop> new_loop();
inline asyncio::EventLoop& shared_loop() {
  static std::shared_ptr<asyncio::EventLoop> loop = new_loop();
  return *loop;
}

inline std::shared_ptr<asyncio::EventLoop> new_loop() {
  auto loop = std::make_shared<asyncio::EventLoop>(std::make_unique<QuietBackend>());
  // A report means a broken invariant here: stop at once with it.
  loop->set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext& c) {
    std::fprintf(stderr, "unexpected exception-handler report: %s\n", c.message.c_str());
    std::abort();
  });
  return loop;
}

/// Runs the loop, one iteration at a time, until nothing is ready.
inline void run_until_quiet(asyncio::EventLoop& loop) {
  for (int i = 0; i < 100000; ++i) {
    const std::optional<double> next = loop.time_until_next_step();
    if (!next || *next > 0) return;
    loop.run_step();
  }
  std::fprintf(stderr, "the loop never went quiet\n");
  std::abort();
}

/// The fuzzer's bytes, consumed front to back; zeros once exhausted.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const noexcept { return pos_ >= size_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  /// A number in [0, n).
  std::size_t below(std::size_t n) noexcept { return n == 0 ? 0 : byte() % n; }
  /// Up to `max` bytes, its length from the next byte.
  std::string chunk(std::size_t max) {
    const std::size_t n = below(max + 1);
    std::string out;
    for (std::size_t i = 0; i < n && !empty(); ++i) out.push_back(static_cast<char>(byte()));
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// Stops the run with both sides' descriptions when they differ.
inline void expect_same(const std::string& what, const std::string& real, const std::string& model) {
  if (real == model) return;
  std::fprintf(stderr, "%s differs from the model\n  real:  %s\n  model: %s\n", what.c_str(), real.c_str(),
               model.c_str());
  std::abort();
}

/// The same, naming the check only when it fails: `what()` builds the
/// description, which would otherwise cost allocations on every check of
/// every input (most of a harness's own time under ASan).
template <class Describe>
  requires std::is_invocable_r_v<std::string, Describe&>
inline void expect_same(Describe&& what, const std::string& real, const std::string& model) {
  if (real == model) return;
  expect_same(std::string(what()), real, model);
}

}  // namespace fuzz
