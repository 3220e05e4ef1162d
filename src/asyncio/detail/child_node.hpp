// The done callback the combinators (gather, wait, as_completed, shield,
// TaskGroup) register on each future they watch.
//
// Python's combinators register a closure with add_done_callback(), which
// the loop runs with call_soon() one iteration after the future completes.
// A ChildNode does the same without allocating: it is both the callback
// node linked into the child's callback list and the ready-queue entry
// (EventLoop::push_runnable) that runs the owner's reaction on the next
// iteration, so the ordering is CPython's exactly.
//
// Invariants:
// - A node is linked in its child's callback list, or queued in the ready
//   queue, or idle; never two at once.
// - While queued, the node holds one reference to its owner (retain() in
//   on_fire, unretain() after run() or discard()), so an owner outlives
//   every queued node; an owner being destroyed unlinks its linked nodes.
#pragma once

#include <cstdint>
#include <string>

#include "asyncio/detail/future_base.hpp"
#include "asyncio/events.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

/// Reports the exception being handled, escaping a ready-queue entry's
/// run(), to the running loop's exception handler as "Exception in
/// callback ..." (KeyboardInterrupt and SystemExit are rethrown), as the
/// loop does for callbacks. Call in a catch block.
void report_runnable_error(const Runnable& entry);

/// The owner of ChildNodes: what reacts when a watched future completes.
class ChildListener {
 public:
  /// The child watched by node `index` completed (runs one iteration after).
  virtual void on_child_done(std::uint32_t index) = 0;
  /// Reference counting of the owner, for nodes waiting in the ready queue.
  virtual void retain() noexcept = 0;
  virtual void unretain() noexcept = 0;
  /// Who awaits the children, for call graphs (Python's awaited_by edge).
  virtual FutureBase* graph_awaiter() const noexcept = 0;

 protected:
  ~ChildListener() = default;
};

class ChildNode final : public CallbackNode, public Runnable {
 public:
  ChildNode() noexcept = default;
  ChildNode(const ChildNode&) = delete;
  ChildNode& operator=(const ChildNode&) = delete;

  void init(ChildListener* owner, std::uint32_t index) noexcept {
    owner_ = owner;
    index_ = index;
  }
  std::uint32_t index() const noexcept { return index_; }

  void on_fire(FutureBase& future) override {
    owner_->retain();
    try {
      detail::internals(*future.loop()).push_runnable(this);
    } catch (...) {
      owner_->unretain();
      throw;
    }
  }
  void on_discard() noexcept override {}
  FutureBase* awaited_by() const noexcept override { return owner_->graph_awaiter(); }

  void run() override {
    struct Unretain {
      ChildListener* owner;
      ~Unretain() { owner->unretain(); }
    } unretain{owner_};
    try {
      owner_->on_child_done(index_);
    } catch (...) {
      report_runnable_error(*this);
    }
  }
  void discard() noexcept override { owner_->unretain(); }
  std::string describe() const override { return "<done callback of a combinator>"; }

 private:
  ChildListener* owner_ = nullptr;
  std::uint32_t index_ = 0;
};

}  // namespace asyncio::detail
