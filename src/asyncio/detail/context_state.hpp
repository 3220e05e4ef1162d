// The state behind asyncio::Context and the thread's current context.
// Python: the _contextvars C module (Context, its HAMT, the thread state's
// current context).
//
// A context is a mutable object (ContextState) holding an immutable map of
// variable values (VarsMap). Copying a context makes a new ContextState that
// shares the map: O(1). Setting a variable builds a new map (copy-on-write),
// so every copy taken earlier keeps its values. The map is a small vector
// sorted by variable id: programs use few variables, and a linear scan of a
// few entries beats any tree.
//
// "No context" is a null pointer everywhere: a task or handle created while
// no variable has a value stores null and pays nothing; its context object
// is made only when a variable is set inside it, or get_context() asks.
//
// Until the process makes its first context object, no task or callback
// touches the thread's current context at all (contexts_exist() is false:
// one global load per step). A variable set for the first time inside such a
// step finds the step's slot through the running loop (its current task, or
// the callback it runs) and enters it then; the step's ContextSwitch notices
// on exit and leaves it.
//
// Invariants:
// - tls_context.current is the context entered on this thread, or null
//   meaning "an empty context not made yet"; tls_context.owner then points
//   at the slot (a task's, a handle's, or the thread's) where the context
//   made on first write belongs.
// - A ContextState is entered (current) on at most one thread at a time
//   (`entered`); maps are immutable once shared, so threads may share them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace asyncio::detail {

/// One variable's value in a context: the variable's id and the value
/// (a const T behind a type-erased shared pointer).
struct ContextEntry {
  std::uint64_t var;
  std::shared_ptr<const void> value;
};
/// An immutable map, sorted by variable id.
using VarsMap = std::vector<ContextEntry>;

/// Set once, never cleared, when the process makes its first context object.
inline std::atomic<bool> g_contexts_exist{false};
/// False while no context object was ever made in the process: tasks and
/// callbacks then skip entering their (empty) contexts.
inline bool contexts_exist() noexcept { return g_contexts_exist.load(std::memory_order_relaxed); }
inline void note_context_made() noexcept {
  if (!contexts_exist()) g_contexts_exist.store(true, std::memory_order_relaxed);
}

class ContextState {
 public:
  ContextState() noexcept { note_context_made(); }
  explicit ContextState(std::shared_ptr<const VarsMap> vars) noexcept : vars_(std::move(vars)) {
    note_context_made();
  }
  ContextState(const ContextState&) = delete;
  ContextState& operator=(const ContextState&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  /// The value of variable `var`, or null.
  const void* find(std::uint64_t var) const noexcept {
    const VarsMap* m = vars_.get();
    if (m == nullptr) return nullptr;
    for (const ContextEntry& e : *m)
      if (e.var == var) return e.value.get();
    return nullptr;
  }
  /// The shared pointer holding variable `var`'s value, or null.
  std::shared_ptr<const void> find_shared(std::uint64_t var) const;
  /// Sets `var` to `value` (a new map: copies made earlier keep the old one).
  void assign(std::uint64_t var, std::shared_ptr<const void> value);
  /// Removes `var`, if present (a new map).
  void erase(std::uint64_t var);
  std::size_t size() const noexcept { return vars_ ? vars_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const std::shared_ptr<const VarsMap>& vars() const noexcept { return vars_; }

  /// Marks the context entered; false if it already was.
  bool try_enter() noexcept { return !entered_.exchange(true, std::memory_order_acquire); }
  void leave() noexcept { entered_.store(false, std::memory_order_release); }

 private:
  ~ContextState() = default;
  std::atomic<std::uint32_t> refs_{1};
  std::atomic<bool> entered_{false};
  std::shared_ptr<const VarsMap> vars_;
};

struct ContextTls {
  ContextState* current = nullptr;
  ContextState** owner = nullptr;  // null: the thread's own context slot
};
inline thread_local ContextTls tls_context{};

/// context->release() out of line: the destructors of tasks and handles
/// call it only when a context exists, and keep their fast path short.
[[gnu::noinline]] void release_context(ContextState* context) noexcept;

/// The current context, made (empty) if it does not exist yet, so that a
/// variable can be set in it.
ContextState* current_context_for_write();
/// A new context sharing the current one's values (Python's
/// copy_context()), or null when the current context is empty.
ContextState* copy_current_context_slow();
inline ContextState* copy_current_context() {
  if (!contexts_exist()) return nullptr;
  ContextState* c = tls_context.current;
  if (c == nullptr || c->empty()) return nullptr;
  return copy_current_context_slow();
}
/// The context object of `slot` (a task's or handle's), made empty if the
/// slot is null. One reference stays with the slot. If the slot's owner is
/// running now, the new context becomes the current one.
ContextState& materialize_slot(ContextState*& slot);
/// "<_contextvars.Context object at 0x...>"
std::string context_repr(const ContextState* state);
/// RuntimeError("cannot enter context: ... is already entered").
[[noreturn]] void throw_already_entered(const ContextState* state);

/// Leaves the context a step entered on its first write (the lazy path of
/// current_context_for_write()), if it did.
void leave_lazily_entered(ContextState** slot) noexcept;

/// Runs the rest of a scope in the context of `slot` (a task's step, a
/// handle's callback): a null slot is an empty context whose object is made
/// in the slot on first write. A context already entered (a task eagerly
/// started in its creator's own context) is used as it is. While no context
/// object exists in the process, it does nothing (see the top of the file).
class ContextSwitch {
 public:
  // The fast path (no context object in the process yet) is one load and a
  // branch here and in the destructor: it runs per task step and per
  // callback. The thread's state is read and saved only when switching.
  explicit ContextSwitch(ContextState*& slot) noexcept : slot_(&slot) {
    if (!contexts_exist()) [[likely]]  // then the slot is null too
      return;
    enter();
  }
  ContextSwitch(const ContextSwitch&) = delete;
  ContextSwitch& operator=(const ContextSwitch&) = delete;
  ~ContextSwitch() {
    // Not switched in, but a variable set during the step made the first
    // context: leave it (leave_lazily_entered() checks the owner).
    if (contexts_exist()) [[unlikely]]
      leave();
  }

 private:
  void enter() noexcept {
    switched_ = true;
    saved_current_ = tls_context.current;
    saved_owner_ = tls_context.owner;
    ContextState* c = *slot_;
    borrowed_ = (c != nullptr && !c->try_enter()) ? c : nullptr;
    tls_context.current = c;
    tls_context.owner = slot_;
  }
  void leave() noexcept {
    if (!switched_) {
      leave_lazily_entered(slot_);
      return;
    }
    ContextState* c = tls_context.current;
    if (c != nullptr && c != borrowed_) c->leave();
    tls_context.current = saved_current_;
    tls_context.owner = saved_owner_;
  }

  ContextState** slot_;
  bool switched_ = false;
  ContextState* saved_current_ = nullptr;
  ContextState** saved_owner_ = nullptr;
  ContextState* borrowed_ = nullptr;
};

/// Context.run(): enters `state` for the rest of the scope; RuntimeError if
/// it is entered already.
class ContextEnter {
 public:
  explicit ContextEnter(ContextState& state) : saved_(tls_context), state_(&state) {
    if (!state.try_enter()) throw_already_entered(&state);
    tls_context.current = &state;
  }
  ContextEnter(const ContextEnter&) = delete;
  ContextEnter& operator=(const ContextEnter&) = delete;
  ~ContextEnter() {
    state_->leave();
    tls_context = saved_;
  }

 private:
  ContextTls saved_;
  ContextState* state_;
};

}  // namespace asyncio::detail
