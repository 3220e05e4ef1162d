// The plumbing every object of the libuv backend shares: objects that own
// libuv handles (streams, listeners, and next pipes, processes, UDP sockets,
// fd watchers), and operations in flight that complete a Future (connects,
// DNS requests).
//
// Facts about libuv this relies on:
// - uv_close() is the only way to end a handle, and its memory must stay
//   valid until the close callback runs, on a later loop iteration. Pending
//   requests of the handle (writes, connects) complete first, with
//   UV_ECANCELED.
// - A handle whose uv_*_init() failed is not registered with the loop: it
//   must not be closed, only forgotten.
// - The loop cannot be closed while handles are open: UvBackend::close()
//   detaches every object (below), then runs the loop until every close
//   callback has run.
//
// Invariants:
// - A HandleObject is created with new and frees itself (delete this) in
//   the close callback of the last handle it owns (at once, if it owns
//   none when closed), never elsewhere: owners (transports, servers)
//   release it with close(), which is final.
// - handle->data points to the owning HandleObject for every owned handle;
//   callbacks find their object with owner<T>(handle).
// - Every HandleObject and Operation is on its backend's IoObject list from
//   construction to destruction, so a closing loop reaches each one.
#pragma once

#include <uv.h>

#include <exception>
#include <utility>

#include "asyncio/futures.hpp"
#include "uv_backend.hpp"

namespace asyncio::uv {

/// An object owning one or more libuv handles.
class HandleObject : public IoObject {
 public:
  HandleObject(const HandleObject&) = delete;
  HandleObject& operator=(const HandleObject&) = delete;

  /// The object owning `handle` (registered with own()).
  template <class T, class H>
  static T* owner(const H* handle) noexcept {
    return static_cast<T*>(static_cast<HandleObject*>(reinterpret_cast<const uv_handle_t*>(handle)->data));
  }

  UvBackend& backend() const noexcept { return backend_; }
  /// True once close_handles() ran: no event reaches the owner any more.
  bool closing() const noexcept { return closing_; }

  /// The loop is closing: tell the owner (on_detach()), then close.
  void detach() noexcept override {
    if (closing_) return;
    on_detach();
    close_handles();
  }

 protected:
  explicit HandleObject(UvBackend& backend) noexcept : backend_(backend) { backend_.link(this); }
  virtual ~HandleObject() { backend_.unlink(this); }

  /// Registers `handle`, which uv_*_init() has just initialised: it is
  /// closed by close_handles(), and the object lives until it is closed.
  template <class H>
  void own(H* handle) noexcept {
    reinterpret_cast<uv_handle_t*>(handle)->data = this;
    ++open_handles_;
  }

  /// Closes every handle: each derived class closes what it owns in
  /// close_owned() (stopping nothing is needed: uv_close() stops). The
  /// object is freed once libuv has closed them all, or now if it owns none.
  void close_handles() noexcept {
    if (closing_) return;
    closing_ = true;
    close_owned();
    if (open_handles_ == 0) delete this;
  }

  /// Closes one owned handle (idempotent).
  template <class H>
  void close_handle(H* handle) noexcept {
    auto* h = reinterpret_cast<uv_handle_t*>(handle);
    if (!uv_is_closing(h)) uv_close(h, &HandleObject::on_handle_closed);
  }

  /// uv_close() each handle own() registered (with close_handle()).
  virtual void close_owned() noexcept = 0;
  /// The loop is closing: tell the owner it lost this object (the owner
  /// must not call it again). Called before the handles close.
  virtual void on_detach() noexcept {}

 private:
  static void on_handle_closed(uv_handle_t* h) noexcept {
    auto* self = static_cast<HandleObject*>(h->data);
    if (--self->open_handles_ == 0 && self->closing_) delete self;
  }

  UvBackend& backend_;
  int open_handles_ = 0;
  bool closing_ = false;
};

/// An operation in flight whose result completes a Future<T> (a connect, a
/// DNS request). Cancelling the future abandons the operation (abandon());
/// so does the loop closing (detach(): the closed loop's future is left
/// alone). Derived classes free the operation when libuv is done with it.
template <class T>
class Operation : public IoObject, private detail::CallbackNode {
 public:
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  /// Stop: the future is not completed any more; a result arriving anyway
  /// (a connection) is released.
  void abandon() noexcept {
    if (abandoned_) return;
    abandoned_ = true;
    on_abandon();
  }
  void detach() noexcept override { abandon(); }

 protected:
  Operation(UvBackend& backend, Future<T> future) : backend_(backend), future_(std::move(future)) {
    backend_.link(this);
  }
  virtual ~Operation() {
    if (linked()) future_.state_ptr()->remove_done_callback(this);
    backend_.unlink(this);
  }

  /// Starts watching the future for cancellation (once libuv accepted the
  /// request: before that, failing needs no cleanup).
  void watch_cancellation() { future_.state_ptr()->add_done_callback(this); }

  /// True while the result is wanted.
  bool wanted() const noexcept { return !abandoned_ && !backend_.is_closed() && !future_.done(); }
  void succeed(T value) {
    if (wanted()) future_.set_result(std::move(value));
  }
  void fail(std::exception_ptr error) {
    if (wanted()) future_.set_exception(std::move(error));
  }

  /// Cancel the libuv request (uv_cancel(), uv_close() of the handle...).
  virtual void on_abandon() noexcept = 0;

  UvBackend& backend_;
  Future<T> future_;

 private:
  void on_fire(detail::FutureBase& future) override {
    if (future.cancelled()) abandon();
  }
  void on_discard() noexcept override {}

  bool abandoned_ = false;
};

}  // namespace asyncio::uv
