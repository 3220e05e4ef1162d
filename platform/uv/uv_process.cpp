#include "uv_process.hpp"

#include <cerrno>
#include <vector>

#include "uv_errors.hpp"

namespace asyncio::uv {

// ---- UvProcess ----

int UvProcess::spawn(uv_process_options_t& options) noexcept {
  options.exit_cb = &UvProcess::on_exit;
  own(&h_);  // initialised by uv_spawn() even when it fails
  const int rc = uv_spawn(backend().uv_loop(), &h_, &options);
  if (rc == 0) {
    spawned_ = true;
    pid_ = h_.pid;
  }
  return rc;
}

std::error_code UvProcess::send_signal(int sig) noexcept {
  // Python: Popen.send_signal() does nothing once the child is reaped; the
  // transport raises ProcessLookupError itself after connection_lost.
  if (!spawned_ || exited_) return std::make_error_code(std::errc::no_such_process);
  const int rc = uv_process_kill(&h_, sig);
  return rc < 0 ? error_code(rc) : std::error_code();
}

void UvProcess::close_owned() noexcept {
  events_ = nullptr;
  if (spawned_ && !exited_) os::kill_and_reap(pid_);
  close_handle(&h_);
}

void UvProcess::on_detach() noexcept {
  if (Backend::ChildProcessEvents* events = std::exchange(events_, nullptr)) events->on_detached();
}

void UvProcess::on_exit(uv_process_t* process, std::int64_t exit_status, int term_signal) {
  auto* self = owner<UvProcess>(process);
  self->exited_ = true;
  // Python's Popen.returncode: -N for a child killed by signal N.
  const int returncode = term_signal != 0 ? -term_signal : static_cast<int>(exit_status);
  if (self->events_) self->events_->on_exit(returncode);
}

// ---- UvPipe ----

int UvPipe::open(int fd, int hangup_fd, Role role) noexcept {
  role_ = role;
  int rc = uv_pipe_init(backend().uv_loop(), &pipe_, 0);
  if (rc < 0) {
    os::close_fd(fd);
    if (hangup_fd >= 0) os::close_fd(hangup_fd);
    return rc;
  }
  own(&pipe_);
  pipe_open_ = true;
  rc = uv_pipe_open(&pipe_, static_cast<uv_file>(fd));
  if (rc < 0) {
    os::close_fd(fd);  // not libuv's yet
    if (hangup_fd >= 0) os::close_fd(hangup_fd);
    return rc;
  }
  if (hangup_fd >= 0) {
    rc = uv_poll_init(backend().uv_loop(), &hangup_, hangup_fd);
    if (rc < 0) {
      os::close_fd(hangup_fd);
      return rc;
    }
    own(&hangup_);
    hangup_open_ = true;
    hangup_fd_ = hangup_fd;
  }
  return 0;
}

void UvPipe::start_reading() {
  if (reading_ || closing()) return;
  if (role_ == Role::unwatched_writer) return;  // a character device written to (as CPython)
  int rc = 0;
  if (uv_is_readable(reinterpret_cast<const uv_stream_t*>(&pipe_))) {
    // A reader, or a writer on a socket: EOF (or any data) says the peer left.
    rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), &UvPipe::on_alloc, &UvPipe::on_read);
  } else if (hangup_open_) {
    rc = uv_poll_start(&hangup_, UV_READABLE | UV_DISCONNECT, &UvPipe::on_hangup);
  } else {
    return;
  }
  if (rc < 0 && rc != UV_EALREADY) throw std::system_error(error_code(rc), "uv_read_start");
  reading_ = true;
}

void UvPipe::stop_reading() noexcept {
  if (!reading_ || closing()) return;
  if (uv_is_readable(reinterpret_cast<const uv_stream_t*>(&pipe_)))
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
  else if (hangup_open_)
    uv_poll_stop(&hangup_);
  reading_ = false;
}

namespace {
uv_buf_t* fill(std::span<const std::string_view> buffers, uv_buf_t (&small)[16], std::vector<uv_buf_t>& large) noexcept {
  uv_buf_t* bufs = small;
  if (buffers.size() > 16) {
    try {
      large.resize(buffers.size());
    } catch (...) {
      return nullptr;
    }
    bufs = large.data();
  }
  for (std::size_t i = 0; i < buffers.size(); ++i)
    bufs[i] = uv_buf_init(const_cast<char*>(buffers[i].data()), static_cast<unsigned>(buffers[i].size()));
  return bufs;
}
}  // namespace

std::size_t UvPipe::try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept {
  uv_buf_t small[16];
  std::vector<uv_buf_t> large;
  uv_buf_t* bufs = fill(buffers, small, large);
  if (bufs == nullptr) {
    error = std::make_error_code(std::errc::not_enough_memory);
    return 0;
  }
  const int rc = uv_try_write(reinterpret_cast<uv_stream_t*>(&pipe_), bufs, static_cast<unsigned>(buffers.size()));
  if (rc >= 0) return static_cast<std::size_t>(rc);
  if (rc != UV_EAGAIN) error = error_code(rc);
  return 0;
}

std::error_code UvPipe::write(std::span<const std::string_view> buffers) noexcept {
  uv_buf_t small[16];
  std::vector<uv_buf_t> large;
  uv_buf_t* bufs = fill(buffers, small, large);
  if (bufs == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  const int rc = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&pipe_), bufs,
                          static_cast<unsigned>(buffers.size()), &UvPipe::on_write);
  return rc < 0 ? error_code(rc) : std::error_code();
}

void UvPipe::close_owned() noexcept {
  events_ = nullptr;
  if (pipe_open_) close_handle(&pipe_);
  if (hangup_open_) {
    close_handle(&hangup_);
    // uv_close() stopped watching it: the duplicate can go now.
    os::close_fd(hangup_fd_);
  }
}

void UvPipe::on_detach() noexcept {
  if (StreamSocketEvents* events = std::exchange(events_, nullptr)) events->on_detached();
}

void UvPipe::on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) {
  auto* self = owner<UvPipe>(h);
  std::span<char> span;
  if (self->events_) span = self->events_->read_buffer(suggested);
  *buf = uv_buf_init(span.data(), static_cast<unsigned>(span.size()));
}

void UvPipe::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* self = owner<UvPipe>(s);
  if (nread == 0 || nread == UV_ENOBUFS) return;
  if (nread < 0) self->reading_ = false;  // libuv stops reading at EOF and on errors
  StreamSocketEvents* events = self->events_;
  if (events == nullptr) return;
  if (nread > 0)
    events->on_read(static_cast<std::size_t>(nread));
  else if (nread == UV_EOF)
    events->on_eof();
  else
    events->on_read_error(error_code(static_cast<int>(nread)));
}

void UvPipe::on_write(uv_write_t* req, int status) {
  auto* self = owner<UvPipe>(req->handle);
  if (self->events_ == nullptr) return;
  self->events_->on_write_done(status < 0 ? error_code(status) : std::error_code());
}

void UvPipe::on_hangup(uv_poll_t* poll, int, int) {
  // Python: _UnixWritePipeTransport._read_ready: any readiness (or error)
  // of a write pipe means the reading end is gone.
  auto* self = owner<UvPipe>(poll);
  uv_poll_stop(poll);
  self->reading_ = false;
  if (self->events_) self->events_->on_eof();
}

}  // namespace asyncio::uv
