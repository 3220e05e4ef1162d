// Context variables: values scoped to a task (and to what it spawns), like
// thread-locals for coroutines. Python: contextvars (ContextVar, Token,
// Context, copy_context) and the context= arguments of asyncio.
//
//   asyncio::ContextVar<std::string> request_id("request_id", "-");
//
//   asyncio::Coro<> handle(Request r) {
//     request_id.set(r.id);             // seen by this task and the tasks
//     co_await log_and_forward(r);      // it creates from now on
//   }
//
// Each task runs in its own context, a copy of its creator's taken at
// create_task(); callbacks of call_soon() and friends run in a copy taken
// when they are scheduled. A copy is O(1) (the values are shared,
// copy-on-write). While no variable is set, there is no context at all:
// tasks and callbacks pay nothing.
//
// Not thread-safe, as in Python: a Context object is used by one thread at a
// time (entering one that is entered elsewhere raises RuntimeError).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/detail/context_state.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

template <class T>
class ContextVar;

namespace detail {
/// A process-unique id for a new ContextVar (values are keyed by it, never
/// by address, so a variable reusing a dead one's address sees nothing).
std::uint64_t next_context_var_id() noexcept;
std::string address_repr(const void* p);  // "0x..." (locks.cpp)
}  // namespace detail

/// A set of context variable values; the values seen by code run inside it.
/// Copies of a Context object refer to the same context (as Python
/// references do); copy() makes a new one with the same values.
/// Python: contextvars.Context
class Context {
 public:
  /// A new, empty context. Python: contextvars.Context()
  Context() : state_(new detail::ContextState()) {}
  /// Adopts one reference to `state` (library use).
  explicit Context(detail::ContextState* state) noexcept : state_(state) {}
  Context(const Context& o) noexcept : state_(o.state_) { state_->add_ref(); }
  Context(Context&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  Context& operator=(Context o) noexcept {
    std::swap(state_, o.state_);
    return *this;
  }
  ~Context() {
    if (state_) state_->release();
  }

  /// Calls `f(args...)` with this context as the current one, and returns
  /// its result; variables set by `f` change this context. RuntimeError if
  /// the context is already entered (on any thread). A coroutine function
  /// only creates its Coro inside run(): the body runs later, in the context
  /// of the task that awaits it. Python: Context.run(callable, *args)
  template <class F, class... Args>
  std::invoke_result_t<F, Args...> run(F&& f, Args&&... args) {
    detail::ContextEnter enter(*state_);
    return std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
  }
  /// A new context with the same values (O(1)). Python: Context.copy()
  Context copy() const { return Context(new detail::ContextState(state_->vars())); }

  /// True if `var` has a value in this context. Python: `var in context`
  template <class T>
  bool contains(const ContextVar<T>& var) const noexcept {
    return state_->find(var.id()) != nullptr;
  }
  /// `var`'s value in this context, if any. Python: Context.get(var)
  template <class T>
  std::optional<T> get(const ContextVar<T>& var) const {
    const void* v = state_->find(var.id());
    if (v == nullptr) return std::nullopt;
    return *static_cast<const T*>(v);
  }
  /// `var`'s value, or `fallback`. Python: Context.get(var, default)
  template <class T>
  T get(const ContextVar<T>& var, T fallback) const {
    const void* v = state_->find(var.id());
    return v ? *static_cast<const T*>(v) : std::move(fallback);
  }
  /// `var`'s value; KeyError if it has none here. Python: context[var]
  template <class T>
  T operator[](const ContextVar<T>& var) const {
    const void* v = state_->find(var.id());
    if (v == nullptr) throw KeyError(var.repr());
    return *static_cast<const T*>(v);
  }
  /// The number of variables with a value. Python: len(context)
  std::size_t size() const noexcept { return state_->size(); }

  /// Python: repr(context): "<_contextvars.Context object at 0x...>"
  std::string repr() const { return detail::context_repr(state_); }
  /// True if both refer to the same context. Divergence: Python's ==
  /// compares the values; this is Python's `is`.
  friend bool operator==(const Context& a, const Context& b) noexcept { return a.state_ == b.state_; }
  /// The state behind the context (library use).
  detail::ContextState* state() const noexcept { return state_; }

 private:
  detail::ContextState* state_;
};

/// A copy of the current context (O(1)). Python: contextvars.copy_context()
Context copy_context();

/// A variable whose value depends on the context it is read in: each task
/// sees the value its context holds. Declare variables once, at namespace
/// scope (they are identities, so not copyable). T must be copyable: get()
/// returns a copy (a std::shared_ptr for big values).
/// Python: contextvars.ContextVar
template <class T>
class ContextVar {
 public:
  /// What set() returns: restores the previous value through reset().
  /// Move-only; usable once. Python: contextvars.Token
  class Token {
   public:
    Token(Token&& o) noexcept
        : var_(o.var_), ctx_(std::exchange(o.ctx_, nullptr)), old_(std::move(o.old_)), used_(o.used_) {}
    Token& operator=(Token&&) = delete;
    ~Token() {
      if (ctx_) ctx_->release();
    }
    /// The variable that made the token. Python: Token.var
    const ContextVar& var() const noexcept { return *var_; }
    /// The value before set(); std::nullopt if there was none
    /// (Python: Token.MISSING). Python: Token.old_value
    std::optional<T> old_value() const {
      if (!old_) return std::nullopt;
      return *static_cast<const T*>(old_.get());
    }
    /// True once reset() used it.
    bool used() const noexcept { return used_; }
    /// Python: repr(token): "<Token var=<ContextVar name='a' at 0x...> at 0x...>"
    std::string repr() const {
      return std::string("<Token ") + (used_ ? "used " : "") + "var=" + var_->repr() + " at " +
             detail::address_repr(this) + ">";
    }

   private:
    friend class ContextVar;
    Token(const ContextVar* var, detail::ContextState* ctx, std::shared_ptr<const void> old) noexcept
        : var_(var), ctx_(ctx), old_(std::move(old)) {
      ctx_->add_ref();
    }
    const ContextVar* var_;
    detail::ContextState* ctx_;
    std::shared_ptr<const void> old_;
    bool used_ = false;
  };

  /// A variable without a default: get() raises LookupError until set.
  /// Python: ContextVar(name)
  explicit ContextVar(std::string name) : name_(std::move(name)), id_(detail::next_context_var_id()) {}
  /// A variable whose get() returns `default_value` until set.
  /// Python: ContextVar(name, default=...)
  ContextVar(std::string name, T default_value)
      : name_(std::move(name)), id_(detail::next_context_var_id()), default_(std::move(default_value)) {}
  ContextVar(const ContextVar&) = delete;
  ContextVar& operator=(const ContextVar&) = delete;

  /// The value in the current context, else the variable's default; else
  /// LookupError (its message is the variable's repr). Python: ContextVar.get()
  T get() const {
    const void* v = current_value();
    if (v != nullptr) return *static_cast<const T*>(v);
    if (default_) return *default_;
    throw LookupError(repr());
  }
  /// The value in the current context, else `fallback` (which wins over the
  /// variable's default). Python: ContextVar.get(default)
  T get(T fallback) const {
    const void* v = current_value();
    return v ? *static_cast<const T*>(v) : std::move(fallback);
  }
  /// Sets the value in the current context; returns a Token that reset()
  /// takes to restore the previous value. Python: ContextVar.set()
  Token set(T value) {
    detail::ContextState* ctx = detail::current_context_for_write();
    std::shared_ptr<const void> old = ctx->find_shared(id_);
    ctx->assign(id_, std::make_shared<const T>(std::move(value)));
    return Token(this, ctx, std::move(old));
  }
  /// Restores the value the variable had before the set() that made
  /// `token` (or removes it). RuntimeError if the token was used already;
  /// ValueError if another variable made it, or it was made in another
  /// context. Python: ContextVar.reset()
  void reset(Token& token) {
    if (token.used_ || token.ctx_ == nullptr) throw RuntimeError(token.repr() + " has already been used once");
    if (token.var_ != this) throw ValueError(token.repr() + " was created by a different ContextVar");
    if (detail::tls_context.current != token.ctx_) throw ValueError(token.repr() + " was created in a different Context");
    if (token.old_)
      token.ctx_->assign(id_, token.old_);
    else
      token.ctx_->erase(id_);
    token.used_ = true;
  }

  /// Python: ContextVar.name
  const std::string& name() const noexcept { return name_; }
  /// Python: repr(var): "<ContextVar name='a' default=3 at 0x...>"
  std::string repr() const {
    std::string out = "<ContextVar name='" + name_ + "'";
    if (default_) out += " default=" + detail::value_repr(*default_);
    return out + " at " + detail::address_repr(this) + ">";
  }
  /// The variable's identity in contexts (library use).
  std::uint64_t id() const noexcept { return id_; }

 private:
  const void* current_value() const noexcept {
    const detail::ContextState* c = detail::tls_context.current;
    return c ? c->find(id_) : nullptr;
  }

  std::string name_;
  std::uint64_t id_;
  std::optional<T> default_;
};

}  // namespace asyncio
