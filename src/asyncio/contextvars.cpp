// Context variables. Python: contextvars.
#include "asyncio/contextvars.hpp"

#include "asyncio/detail/loop_internals.hpp"
#include "asyncio/detail/task_base.hpp"
#include "asyncio/events.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/tasks.hpp"

#include <algorithm>
#include <atomic>

namespace asyncio {
namespace detail {

namespace {

std::atomic<std::uint64_t> g_next_var_id{0};

// The thread's own context (Python: the thread state's context, made on
// first use), released when the thread ends.
struct ThreadContext {
  ContextState* state = nullptr;
  ~ThreadContext() {
    if (tls_context.current == state) tls_context.current = nullptr;
    if (state) state->release();
  }
};
thread_local ThreadContext t_thread_context;

// The first entry whose id is not below `var`.
VarsMap::const_iterator lower(const VarsMap& m, std::uint64_t var) {
  return std::lower_bound(m.begin(), m.end(), var,
                          [](const ContextEntry& e, std::uint64_t id) { return e.var < id; });
}

}  // namespace

std::uint64_t next_context_var_id() noexcept { return g_next_var_id.fetch_add(1, std::memory_order_relaxed) + 1; }

std::shared_ptr<const void> ContextState::find_shared(std::uint64_t var) const {
  if (!vars_) return nullptr;
  auto it = lower(*vars_, var);
  if (it != vars_->end() && it->var == var) return it->value;
  return nullptr;
}

void ContextState::assign(std::uint64_t var, std::shared_ptr<const void> value) {
  // Copy-on-write: contexts copied earlier share the old map and keep it.
  auto m = vars_ ? std::make_shared<VarsMap>(*vars_) : std::make_shared<VarsMap>();
  auto it = lower(*m, var);
  if (it != m->end() && it->var == var)
    m->at(static_cast<std::size_t>(it - m->cbegin())).value = std::move(value);
  else
    m->insert(it, ContextEntry{var, std::move(value)});
  vars_ = std::move(m);
}

void ContextState::erase(std::uint64_t var) {
  if (!vars_) return;
  auto it = lower(*vars_, var);
  if (it == vars_->end() || it->var != var) return;
  if (vars_->size() == 1) {
    vars_.reset();
    return;
  }
  auto m = std::make_shared<VarsMap>(*vars_);
  m->erase(m->begin() + (it - vars_->begin()));
  vars_ = std::move(m);
}

ContextState* current_context_for_write() {
  ContextTls& t = tls_context;
  if (t.current != nullptr) return t.current;
  if (t.owner == nullptr) {
    // A step that ran while no context object existed did not enter its
    // slot (ContextSwitch): the running loop knows which step runs.
    if (EventLoop* loop = _get_running_loop()) t.owner = internals(*loop).running_context_slot();
  }
  if (t.owner == nullptr) {
    // The thread's own context: current whenever no task or callback runs.
    if (t_thread_context.state == nullptr) t_thread_context.state = new ContextState();
    t.current = t_thread_context.state;
    return t.current;
  }
  // A task's or callback's empty context gets its object now. It may exist
  // already (get_context() made it) but is not entered yet.
  ContextState*& slot = *t.owner;
  if (slot == nullptr) slot = new ContextState();
  if (!slot->try_enter()) throw_already_entered(slot);
  t.current = slot;
  return slot;
}

void release_context(ContextState* context) noexcept { context->release(); }

void leave_lazily_entered(ContextState** slot) noexcept {
  ContextTls& t = tls_context;
  if (t.owner != slot) return;
  if (t.current != nullptr) t.current->leave();
  t = ContextTls{};
}

ContextState* copy_current_context_slow() { return new ContextState(tls_context.current->vars()); }

ContextState& materialize_slot(ContextState*& slot) {
  if (slot == nullptr) {
    slot = new ContextState();
    ContextTls& t = tls_context;
    if (t.owner == nullptr && t.current == nullptr) {
      // The slot's step may be running without having entered it (no
      // context existed when it started): it enters it now.
      EventLoop* loop = _get_running_loop();
      if (loop != nullptr && internals(*loop).running_context_slot() == &slot) t.owner = &slot;
    }
    // Asked from inside the slot's own task or callback: the object made
    // now is the one running, as in Python.
    if (t.owner == &slot && t.current == nullptr && slot->try_enter()) t.current = slot;
  }
  return *slot;
}

std::string context_repr(const ContextState* state) {
  return "<_contextvars.Context object at " + address_repr(state) + ">";
}

void throw_already_entered(const ContextState* state) {
  throw RuntimeError("cannot enter context: " + context_repr(state) + " is already entered");
}

}  // namespace detail

Context copy_context() {
  detail::ContextState* c = detail::tls_context.current;
  return Context(c ? new detail::ContextState(c->vars()) : new detail::ContextState());
}

detail::ContextState** EventLoop::running_context_slot() const noexcept {
  if (current_task_ != nullptr) return &current_task_->context_slot();
  if (running_entry_ == 0 || detail::ReadyQueue::is_task(running_entry_)) return nullptr;
  auto* handle = dynamic_cast<detail::HandleNode*>(detail::ReadyQueue::as_runnable(running_entry_));
  return handle ? &handle->context_slot() : nullptr;
}

}  // namespace asyncio
