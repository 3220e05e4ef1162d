// The libuv backend's network primitives (backend.hpp): stream sockets on
// uv_tcp_t / uv_pipe_t, listening sockets on uv_poll_t, DNS on libuv's
// thread pool.
//
// Facts about this platform:
// - libuv reads into the buffer its alloc callback returns; an empty buffer
//   makes it report UV_ENOBUFS and wait for the next readiness (epoll is
//   level-triggered, so the bytes are seen again on the next poll).
// - uv_try_write() fails with UV_EAGAIN while a uv_write() is queued; the
//   transport only calls it when nothing is.
// - uv_close() cancels pending requests: their callbacks run with
//   UV_ECANCELED before the close callback, which is where objects are
//   freed.
// - libuv's own accept path "solves" EMFILE by accepting and closing the
//   pending connections; CPython instead stops accepting for a second and
//   leaves them queued. Listening sockets are therefore plain sockets
//   polled with uv_poll_t and accepted here, with CPython's behaviour.
// - libuv 1.44's uv_pipe_connect() truncates long paths and cannot reach
//   Linux abstract names: AF_UNIX sockets are connected here and wrapped
//   with uv_pipe_open().
// - Error codes are negated errno values on Unix (UV__ERR).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/log.hpp"
#include "uv_backend.hpp"

namespace asyncio::uv {

namespace {

std::error_code errno_code(int e) { return std::error_code(e, std::generic_category()); }

// libuv status -> std::error_code (errno values on Unix).
std::error_code uv_code(int status) { return errno_code(-status); }

// ---- Addresses ----

SockAddr from_sockaddr(const sockaddr* sa, socklen_t len) {
  SockAddr a;
  if (sa == nullptr || len == 0) return a;
  a.family = sa->sa_family;
  char host[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    a.host = host;
    a.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    a.host = host;
    a.port = ntohs(in6->sin6_port);
    a.flowinfo = ntohl(in6->sin6_flowinfo);
    a.scope_id = in6->sin6_scope_id;
  } else if (sa->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
    const std::size_t off = offsetof(sockaddr_un, sun_path);
    std::size_t n = len > off ? len - off : 0;
    if (n > 0 && un->sun_path[0] != '\0') n = strnlen(un->sun_path, n);  // a path: up to its NUL
    a.host.assign(un->sun_path, n);  // an abstract name keeps every byte
  }
  return a;
}

// AF_UNIX address for `path`: ENAMETOOLONG if it does not fit (Python:
// "AF_UNIX path too long"; libuv would silently truncate it).
socklen_t unix_sockaddr(const std::string& path, sockaddr_un& un) {
  std::memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  if (path.size() > sizeof(un.sun_path)) {
    throw std::system_error(errno_code(ENAMETOOLONG), "AF_UNIX path too long " + detail::str_repr(path));
  }
  std::memcpy(un.sun_path, path.data(), path.size());
  const bool abstract = !path.empty() && path[0] == '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract || path.size() == sizeof(un.sun_path) ? 0 : 1));
}

socklen_t to_sockaddr(const SockAddr& a, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(a.port));
    if (inet_pton(AF_INET, a.host.c_str(), &in->sin_addr) != 1) {
      throw std::system_error(errno_code(EINVAL), "not an IPv4 address " + detail::str_repr(a.host));
    }
    return sizeof(sockaddr_in);
  }
  if (a.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(a.port));
    in6->sin6_flowinfo = htonl(a.flowinfo);
    in6->sin6_scope_id = a.scope_id;
    if (inet_pton(AF_INET6, a.host.c_str(), &in6->sin6_addr) != 1) {
      throw std::system_error(errno_code(EINVAL), "not an IPv6 address " + detail::str_repr(a.host));
    }
    return sizeof(sockaddr_in6);
  }
  if (a.family == AF_UNIX) return unix_sockaddr(a.host, *reinterpret_cast<sockaddr_un*>(&ss));
  throw std::system_error(errno_code(EAFNOSUPPORT), "address family " + std::to_string(a.family));
}

std::optional<SockAddr> local_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

std::optional<SockAddr> peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

int sock_option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

TransportSocket describe(int fd, int family, int type, int proto) {
  return TransportSocket(fd, family, type, proto, local_name(fd).value_or(SockAddr{}), peer_name(fd));
}

std::string socket_repr(int fd) {
  // Python: repr(socket.socket): "<socket.socket fd=7, family=2, type=2, proto=0>"
  return "<socket.socket fd=" + std::to_string(fd) + ", family=" + std::to_string(sock_option(fd, SOL_SOCKET, SO_DOMAIN)) +
         ", type=" + std::to_string(sock_option(fd, SOL_SOCKET, SO_TYPE)) +
         ", proto=" + std::to_string(sock_option(fd, SOL_SOCKET, SO_PROTOCOL)) + ">";
}

int open_socket(int family, int type, int proto) {
  return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

// Python: the EAI_* value of socket.gaierror, from libuv's UV_EAI_* code.
int os_gai_code(int status) {
  switch (status) {
#if defined(EAI_ADDRFAMILY)
    case UV_EAI_ADDRFAMILY: return EAI_ADDRFAMILY;
#endif
    case UV_EAI_AGAIN: return EAI_AGAIN;
    case UV_EAI_BADFLAGS: return EAI_BADFLAGS;
    case UV_EAI_FAIL: return EAI_FAIL;
    case UV_EAI_FAMILY: return EAI_FAMILY;
    case UV_EAI_MEMORY: return EAI_MEMORY;
#if defined(EAI_NODATA)
    case UV_EAI_NODATA: return EAI_NODATA;
#endif
    case UV_EAI_NONAME: return EAI_NONAME;
    case UV_EAI_OVERFLOW: return EAI_OVERFLOW;
    case UV_EAI_SERVICE: return EAI_SERVICE;
    case UV_EAI_SOCKTYPE: return EAI_SOCKTYPE;
    default: return 0;
  }
}

std::exception_ptr resolution_error(int status, const std::string& what) {
  if (const int code = os_gai_code(status)) {
    return std::make_exception_ptr(std::system_error(std::error_code(code, gai_category()), what));
  }
  return std::make_exception_ptr(std::system_error(uv_code(status), what));
}

// A done callback on an operation's future that abandons the operation when
// the future is cancelled (the awaiting task was cancelled).
template <class Op>
class CancelHook final : public detail::CallbackNode {
 public:
  explicit CancelHook(Op* op) : op_(op) {}
  void on_fire(detail::FutureBase& future) override {
    if (future.cancelled()) op_->abandon();
  }
  void on_discard() noexcept override {}

 private:
  Op* op_;
};

// ---- Stream sockets ----

class UvStream final : public StreamSocket, public IoObject {
 public:
  UvStream(UvBackend& backend, bool pipe) : backend_(backend), pipe_(pipe) {
    const int rc = pipe ? uv_pipe_init(backend.uv_loop(), &h_.pipe, 0) : uv_tcp_init(backend.uv_loop(), &h_.tcp);
    if (rc < 0) throw std::system_error(uv_code(rc), pipe ? "uv_pipe_init" : "uv_tcp_init");
    h_.handle.data = this;
    backend_.link(this);
  }

  // Takes `fd` (closed by close() from now on, also on failure).
  void open(int fd) {
    const int rc = pipe_ ? uv_pipe_open(&h_.pipe, fd) : uv_tcp_open(&h_.tcp, fd);
    if (rc < 0) {
      ::close(fd);
      throw std::system_error(uv_code(rc), pipe_ ? "uv_pipe_open" : "uv_tcp_open");
    }
    fd_ = fd;
  }
  void connected(int family, int type, int proto) {
    info_ = describe(fd_, family, type, proto);
    // Python sets TCP_NODELAY on every TCP transport.
    if (!pipe_) uv_tcp_nodelay(&h_.tcp, 1);
  }
  uv_tcp_t* tcp() noexcept { return &h_.tcp; }

  void set_events(StreamSocketEvents* events) noexcept override { events_ = events; }

  void start_reading() override {
    if (reading_ || closing_) return;
    const int rc = uv_read_start(&h_.stream, &UvStream::on_alloc, &UvStream::on_read);
    if (rc < 0 && rc != UV_EALREADY) throw std::system_error(uv_code(rc), "uv_read_start");
    reading_ = true;
  }
  void stop_reading() noexcept override {
    if (!reading_ || closing_) return;
    uv_read_stop(&h_.stream);
    reading_ = false;
  }

  std::size_t try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept override {
    uv_buf_t small[16];
    std::vector<uv_buf_t> large;
    uv_buf_t* bufs = fill(buffers, small, large);
    if (bufs == nullptr) {
      error = errno_code(ENOMEM);
      return 0;
    }
    const int rc = uv_try_write(&h_.stream, bufs, static_cast<unsigned>(buffers.size()));
    if (rc >= 0) return static_cast<std::size_t>(rc);
    if (rc != UV_EAGAIN) error = uv_code(rc);
    return 0;
  }
  std::error_code write(std::span<const std::string_view> buffers) noexcept override {
    uv_buf_t small[16];
    std::vector<uv_buf_t> large;
    uv_buf_t* bufs = fill(buffers, small, large);
    if (bufs == nullptr) return errno_code(ENOMEM);
    // libuv copies the uv_buf_t array (not the bytes).
    const int rc = uv_write(&write_req_, &h_.stream, bufs, static_cast<unsigned>(buffers.size()), &UvStream::on_write);
    return rc < 0 ? uv_code(rc) : std::error_code();
  }
  std::size_t write_queue_size() const noexcept override { return uv_stream_get_write_queue_size(&h_.stream); }
  void shutdown() noexcept override {
    if (shutdown_ || closing_) return;
    shutdown_ = true;
    // A failure (ENOTCONN: the peer is gone) surfaces on the next read.
    (void)uv_shutdown(&shutdown_req_, &h_.stream, [](uv_shutdown_t*, int) {});
  }
  void close() noexcept override {
    if (closing_) return;
    closing_ = true;
    events_ = nullptr;
    uv_close(&h_.handle, [](uv_handle_t* h) {
      auto* self = static_cast<UvStream*>(h->data);
      self->backend_.unlink(self);
      delete self;
    });
  }
  const TransportSocket& info() const noexcept override { return info_; }

  void detach() noexcept override {
    if (closing_) return;
    StreamSocketEvents* events = std::exchange(events_, nullptr);
    if (events) events->on_detached();
    close();
  }

 private:
  static uv_buf_t* fill(std::span<const std::string_view> buffers, uv_buf_t (&small)[16],
                        std::vector<uv_buf_t>& large) noexcept {
    uv_buf_t* bufs = small;
    if (buffers.size() > 16) {
      try {
        large.resize(buffers.size());
      } catch (...) {
        return nullptr;
      }
      bufs = large.data();
    }
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      bufs[i] = uv_buf_init(const_cast<char*>(buffers[i].data()), static_cast<unsigned>(buffers[i].size()));
    }
    return bufs;
  }

  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) {
    auto* self = static_cast<UvStream*>(h->data);
    std::span<char> span;
    if (self->events_) span = self->events_->read_buffer(suggested);
    *buf = uv_buf_init(span.data(), static_cast<unsigned>(span.size()));
  }
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
    auto* self = static_cast<UvStream*>(s->data);
    if (nread == 0 || nread == UV_ENOBUFS) return;  // EAGAIN, or the owner declined to read now
    if (nread < 0) self->reading_ = false;          // libuv stops reading at EOF and on errors
    StreamSocketEvents* events = self->events_;
    if (events == nullptr) return;
    if (nread > 0)
      events->on_read(static_cast<std::size_t>(nread));
    else if (nread == UV_EOF)
      events->on_eof();
    else
      events->on_read_error(uv_code(static_cast<int>(nread)));
  }
  static void on_write(uv_write_t* req, int status) {
    auto* self = static_cast<UvStream*>(req->handle->data);
    if (self->events_ == nullptr) return;  // closing: UV_ECANCELED
    self->events_->on_write_done(status < 0 ? uv_code(status) : std::error_code());
  }

  UvBackend& backend_;
  union Handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_{};
  uv_write_t write_req_{};
  uv_shutdown_t shutdown_req_{};
  StreamSocketEvents* events_ = nullptr;
  TransportSocket info_;
  int fd_ = -1;
  bool pipe_;
  bool reading_ = false;
  bool shutdown_ = false;
  bool closing_ = false;
};

StreamSocketPtr wrap_connected(UvBackend& backend, int fd, int family, int type, int proto) {
  auto* s = new UvStream(backend, family == AF_UNIX);
  StreamSocketPtr ptr(s);
  s->open(fd);
  s->connected(family, type, proto);
  return ptr;
}

// ---- Listening sockets ----

class UvListener final : public ListeningSocket, public IoObject {
 public:
  UvListener(UvBackend& backend, int fd, int family, int type, int proto, int backlog)
      : backend_(backend), fd_(fd), family_(family), type_(type), proto_(proto), backlog_(backlog) {
    const int rc = uv_poll_init_socket(backend.uv_loop(), &poll_, fd);
    if (rc < 0) {
      ::close(fd);
      throw std::system_error(uv_code(rc), "uv_poll_init_socket");
    }
    poll_.data = this;
    backend_.link(this);
    info_ = describe(fd, family, type, proto);
  }

  // AF_UNIX: remove the socket file on close if it is still ours (Python
  // 3.13 records the inode and compares).
  void set_cleanup(std::string path, ino_t inode) {
    cleanup_path_ = std::move(path);
    cleanup_inode_ = inode;
    cleanup_ = true;
  }

  void start_accepting(ListeningSocketEvents* events) override {
    events_ = events;
    if (closing_) return;
    if (!listening_) {
      if (::listen(fd_, backlog_) != 0) throw std::system_error(errno_code(errno), "listen() on " + info_.getsockname().repr());
      listening_ = true;
    }
    if (!polling_) {
      const int rc = uv_poll_start(&poll_, UV_READABLE, &UvListener::on_poll);
      if (rc < 0) throw std::system_error(uv_code(rc), "uv_poll_start");
      polling_ = true;
    }
  }
  void stop_accepting() noexcept override {
    if (polling_ && !closing_) uv_poll_stop(&poll_);
    polling_ = false;
  }
  void close() noexcept override {
    if (closing_) return;
    closing_ = true;
    polling_ = false;
    events_ = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
      auto* self = static_cast<UvListener*>(h->data);
      self->backend_.unlink(self);
      delete self;
    });
    // uv_close() has stopped polling the descriptor (libuv removes it from
    // epoll at once): close it now, so the port or path is free when
    // close() returns, as in Python.
    ::close(fd_);
    cleanup();
  }
  const TransportSocket& info() const noexcept override { return info_; }

  void detach() noexcept override {
    if (closing_) return;
    ListeningSocketEvents* events = std::exchange(events_, nullptr);
    if (events) events->on_detached();
    close();
  }

 private:
  void cleanup() noexcept {
    // Python: _UnixSelectorEventLoop._stop_serving
    if (!cleanup_) return;
    struct stat st {};
    if (::stat(cleanup_path_.c_str(), &st) == 0) {
      if (st.st_ino == cleanup_inode_ && ::unlink(cleanup_path_.c_str()) != 0) {
        logger().error("Unable to clean up listening UNIX socket " + detail::str_repr(cleanup_path_) + ": " +
                       std::strerror(errno));
      }
    } else if (errno != ENOENT) {
      logger().error("Unable to clean up listening UNIX socket " + detail::str_repr(cleanup_path_) + ": " +
                     std::strerror(errno));
    }
  }

  static void on_poll(uv_poll_t* p, int status, int) {
    auto* self = static_cast<UvListener*>(p->data);
    if (status < 0) {
      self->fail(uv_code(status));
      return;
    }
    // Python: _accept_connection accepts up to `backlog` connections per
    // readiness event.
    for (int i = 0; i < self->backlog_ && self->polling_ && self->events_; ++i) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(self->fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED) return;
        self->fail(errno_code(e));
        return;
      }
      StreamSocketPtr conn;
      try {
        conn = wrap_connected(self->backend_, fd, self->family_, self->type_, self->proto_);
      } catch (const std::system_error& e) {
        self->fail(e.code());
        return;
      } catch (...) {
        self->fail(errno_code(ENOMEM));
        return;
      }
      self->events_->on_accept(std::move(conn));
    }
  }
  void fail(std::error_code error) {
    // Stop until the owner restarts accepting: a readiness that cannot be
    // served (EMFILE) would otherwise be reported again at once.
    stop_accepting();
    if (events_) events_->on_accept_error(error);
  }

  UvBackend& backend_;
  uv_poll_t poll_{};
  int fd_;
  int family_;
  int type_;
  int proto_;
  int backlog_;
  TransportSocket info_;
  ListeningSocketEvents* events_ = nullptr;
  std::string cleanup_path_;
  ino_t cleanup_inode_ = 0;
  bool cleanup_ = false;
  bool listening_ = false;
  bool polling_ = false;
  bool closing_ = false;
};

// ---- Operations in flight ----

// A TCP connect (uv_tcp_connect) or an AF_UNIX connect retried while the
// listener's backlog is full (EAGAIN).
class ConnectOp final : public IoObject {
 public:
  ConnectOp(UvBackend& backend, UvStream* stream, int fd, int family, int type, int proto, SockAddr remote,
            Future<StreamSocketPtr> future)
      : backend_(backend),
        stream_(stream),
        fd_(fd),
        family_(family),
        type_(type),
        proto_(proto),
        remote_(std::move(remote)),
        future_(std::move(future)),
        hook_(this) {
    req_.data = this;
    backend_.link(this);
    future_.state_ptr()->add_done_callback(&hook_);
  }
  ~ConnectOp() {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
    backend_.unlink(this);
  }

  uv_connect_t* req() noexcept { return &req_; }

  static void on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<ConnectOp*>(req->data);
    self->finish(status < 0 ? uv_code(status) : std::error_code());
  }

  // AF_UNIX with a full backlog: try connect() again.
  void retry_later() {
    uv_timer_init(backend_.uv_loop(), &timer_);
    timer_.data = this;
    timer_active_ = true;
    uv_timer_start(&timer_, &ConnectOp::on_timer, delay_ms_, 0);
  }

  // The future was cancelled: stop connecting; the connection, if it is
  // made anyway, is closed.
  void abandon() noexcept {
    abandoned_ = true;
    if (stream_ != nullptr) {
      stream_->close();  // uv_tcp_connect's callback follows with UV_ECANCELED
      stream_ = nullptr;
    }
    if (timer_active_) stop_timer_and_delete();
  }
  void detach() noexcept override { abandon(); }

 private:
  static void on_timer(uv_timer_t* t) {
    auto* self = static_cast<ConnectOp*>(t->data);
    sockaddr_un un{};
    socklen_t len = unix_sockaddr(self->remote_.host, un);
    if (::connect(self->fd_, reinterpret_cast<sockaddr*>(&un), len) == 0 || errno == EISCONN) {
      self->timer_done(std::error_code());
    } else if (errno == EAGAIN || errno == EINPROGRESS || errno == EALREADY || errno == EINTR) {
      self->delay_ms_ = std::min<std::uint64_t>(self->delay_ms_ * 2, 100);
      uv_timer_start(&self->timer_, &ConnectOp::on_timer, self->delay_ms_, 0);
    } else {
      self->timer_done(errno_code(errno));
    }
  }
  void timer_done(std::error_code error) {
    int fd = std::exchange(fd_, -1);
    StreamSocketPtr conn;
    if (!error) {
      try {
        conn = wrap_connected(backend_, fd, family_, type_, proto_);
      } catch (const std::system_error& e) {
        error = e.code();
      }
    } else {
      ::close(fd);
    }
    complete(std::move(conn), error);
    stop_timer_and_delete();
  }
  void stop_timer_and_delete() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    timer_active_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) { delete static_cast<ConnectOp*>(h->data); });
  }

  void finish(std::error_code error) {
    // uv_tcp_connect completed (or was cancelled by closing the stream).
    StreamSocketPtr conn;
    if (stream_ != nullptr) {
      conn.reset(stream_);
      stream_ = nullptr;
      if (!error) static_cast<UvStream*>(conn.get())->connected(family_, type_, proto_);
    }
    if (error) conn.reset();
    complete(std::move(conn), error);
    delete this;
  }
  void complete(StreamSocketPtr conn, std::error_code error) {
    if (abandoned_ || backend_.is_closed() || future_.done()) return;  // `conn` is closed on return
    if (error || !conn) {
      future_.set_exception(std::system_error(error ? error : errno_code(ECANCELED),
                                              "Connect call failed " + remote_.repr()));
    } else {
      future_.set_result(std::move(conn));
    }
  }

  UvBackend& backend_;
  uv_connect_t req_{};
  uv_timer_t timer_{};
  UvStream* stream_;  // owned until the connect completes
  int fd_;            // AF_UNIX retries: the socket being connected
  int family_;
  int type_;
  int proto_;
  SockAddr remote_;
  Future<StreamSocketPtr> future_;
  CancelHook<ConnectOp> hook_;
  std::uint64_t delay_ms_ = 1;
  bool timer_active_ = false;
  bool abandoned_ = false;
};

class GetAddrInfoOp final : public IoObject {
 public:
  GetAddrInfoOp(UvBackend& backend, Future<std::vector<AddrInfo>> future, std::string what)
      : backend_(backend), future_(std::move(future)), what_(std::move(what)), hook_(this) {
    req_.data = this;
  }
  ~GetAddrInfoOp() {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
    backend_.unlink(this);
  }
  void started() {
    backend_.link(this);
    future_.state_ptr()->add_done_callback(&hook_);
  }
  uv_getaddrinfo_t* req() noexcept { return &req_; }

  static void on_done(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* self = static_cast<GetAddrInfoOp*>(req->data);
    if (!self->abandoned_ && !self->backend_.is_closed() && !self->future_.done()) {
      if (status < 0) {
        self->future_.set_exception(resolution_error(status, self->what_));
      } else {
        std::vector<AddrInfo> infos;
        try {
          for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
            AddrInfo info;
            info.family = ai->ai_family;
            info.type = ai->ai_socktype;
            info.proto = ai->ai_protocol;
            if (ai->ai_canonname) info.canonname = ai->ai_canonname;
            info.sockaddr = from_sockaddr(ai->ai_addr, ai->ai_addrlen);
            infos.push_back(std::move(info));
          }
          self->future_.set_result(std::move(infos));
        } catch (...) {
          self->future_.set_exception(std::current_exception());
        }
      }
    }
    uv_freeaddrinfo(res);
    delete self;
  }
  void abandon() noexcept {
    abandoned_ = true;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_));  // UV_EAI_CANCELED if not started yet
  }
  void detach() noexcept override { abandon(); }

 private:
  UvBackend& backend_;
  uv_getaddrinfo_t req_{};
  Future<std::vector<AddrInfo>> future_;
  std::string what_;
  CancelHook<GetAddrInfoOp> hook_;
  bool abandoned_ = false;
};

class GetNameInfoOp final : public IoObject {
 public:
  GetNameInfoOp(UvBackend& backend, Future<NameInfo> future, std::string what)
      : backend_(backend), future_(std::move(future)), what_(std::move(what)), hook_(this) {
    req_.data = this;
  }
  ~GetNameInfoOp() {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
    backend_.unlink(this);
  }
  void started() {
    backend_.link(this);
    future_.state_ptr()->add_done_callback(&hook_);
  }
  uv_getnameinfo_t* req() noexcept { return &req_; }

  static void on_done(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
    auto* self = static_cast<GetNameInfoOp*>(req->data);
    if (!self->abandoned_ && !self->backend_.is_closed() && !self->future_.done()) {
      if (status < 0)
        self->future_.set_exception(resolution_error(status, self->what_));
      else
        self->future_.set_result(NameInfo(host ? host : "", service ? service : ""));
    }
    delete self;
  }
  void abandon() noexcept {
    abandoned_ = true;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_));
  }
  void detach() noexcept override { abandon(); }

 private:
  UvBackend& backend_;
  uv_getnameinfo_t req_{};
  Future<NameInfo> future_;
  std::string what_;
  CancelHook<GetNameInfoOp> hook_;
  bool abandoned_ = false;
};

// Python: base_events._ipaddr_info: a numeric host needs no resolver.
std::optional<AddrInfo> numeric_addrinfo(const std::optional<std::string>& host, const std::optional<std::string>& port,
                                         int family, int type, int proto) {
  if (!host || (proto != 0 && proto != IPPROTO_TCP && proto != IPPROTO_UDP)) return std::nullopt;
  if (type == SOCK_STREAM)
    proto = IPPROTO_TCP;
  else if (type == SOCK_DGRAM)
    proto = IPPROTO_UDP;
  else
    return std::nullopt;
  int port_number = 0;
  if (port && !port->empty()) {
    const char* end = port->data() + port->size();
    auto [p, ec] = std::from_chars(port->data(), end, port_number);
    if (ec != std::errc() || p != end || port_number < 0 || port_number > 65535) return std::nullopt;  // a service name
  }
  if (host->find('%') != std::string::npos) return std::nullopt;  // zone index: let getaddrinfo handle it
  for (int af : {AF_INET, AF_INET6}) {
    if (family != AF_UNSPEC && family != af) continue;
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(af, host->c_str(), buf) == 1) {
      AddrInfo info;
      info.family = af;
      info.type = type;
      info.proto = proto;
      info.sockaddr.family = af;
      info.sockaddr.host = *host;
      info.sockaddr.port = port_number;
      return info;
    }
  }
  return std::nullopt;
}

std::string gai_what(const std::optional<std::string>& host, const std::optional<std::string>& port) {
  return "getaddrinfo(" + (host ? detail::str_repr(*host) : std::string("None")) + ", " +
         (port ? *port : std::string("None")) + ")";
}

void check_stream_socket(int fd, int family) {
  // Python: "A Stream Socket was expected, got <socket...>" (ValueError),
  // raised before the socket is touched.
  const int type = sock_option(fd, SOL_SOCKET, SO_TYPE);
  if (type < 0) throw std::system_error(errno_code(errno), "getsockopt(" + std::to_string(fd) + ", SO_TYPE)");
  const int domain = sock_option(fd, SOL_SOCKET, SO_DOMAIN);
  if (family == AF_UNIX) {
    if (type != SOCK_STREAM || domain != AF_UNIX) {
      throw ValueError("A UNIX Domain Stream Socket was expected, got " + socket_repr(fd));
    }
  } else if (type != SOCK_STREAM || (family != 0 && domain != family)) {
    throw ValueError("A Stream Socket was expected, got " + socket_repr(fd));
  }
}

}  // namespace

// ---- UvBackend's network methods ----

Future<std::vector<AddrInfo>> UvBackend::getaddrinfo(const std::optional<std::string>& host,
                                                     const std::optional<std::string>& port, int family, int type,
                                                     int proto, int flags) {
  Future<std::vector<AddrInfo>> future(*event_loop_);
  if (std::optional<AddrInfo> numeric = numeric_addrinfo(host, port, family, type, proto)) {
    future.set_result(std::vector<AddrInfo>{std::move(*numeric)});
    return future;
  }
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = type;
  hints.ai_protocol = proto;
  hints.ai_flags = flags;
  auto* op = new GetAddrInfoOp(*this, future, gai_what(host, port));
  const int rc = uv_getaddrinfo(&uv_loop_, op->req(), &GetAddrInfoOp::on_done, host ? host->c_str() : nullptr,
                                port ? port->c_str() : nullptr, &hints);
  if (rc < 0) {
    delete op;
    future.set_exception(resolution_error(rc, gai_what(host, port)));
    return future;
  }
  op->started();
  return future;
}

Future<NameInfo> UvBackend::getnameinfo(const SockAddr& address, int flags) {
  Future<NameInfo> future(*event_loop_);
  sockaddr_storage ss{};
  to_sockaddr(address, ss);
  auto* op = new GetNameInfoOp(*this, future, "getnameinfo(" + address.repr() + ")");
  const int rc = uv_getnameinfo(&uv_loop_, op->req(), &GetNameInfoOp::on_done, reinterpret_cast<sockaddr*>(&ss), flags);
  if (rc < 0) {
    delete op;
    future.set_exception(resolution_error(rc, "getnameinfo(" + address.repr() + ")"));
    return future;
  }
  op->started();
  return future;
}

Future<StreamSocketPtr> UvBackend::sock_connect(const AddrInfo& remote, const SockAddr* local) {
  // Python: _connect_sock's socket(), bind() and sock_connect().
  Future<StreamSocketPtr> future(*event_loop_);
  sockaddr_storage remote_ss{};
  to_sockaddr(remote.sockaddr, remote_ss);
  const int fd = open_socket(remote.family, remote.type, remote.proto);
  if (fd < 0) throw std::system_error(errno_code(errno), "socket(" + detail::family_repr(remote.family) + ")");
  if (local != nullptr) {
    sockaddr_storage local_ss{};
    try {
      const socklen_t len = to_sockaddr(*local, local_ss);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&local_ss), len) != 0) {
        throw std::system_error(errno_code(errno), "error while attempting to bind on address " + local->repr());
      }
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  auto* stream = new UvStream(*this, false);
  try {
    stream->open(fd);
  } catch (...) {
    stream->close();
    throw;
  }
  auto* op = new ConnectOp(*this, stream, -1, remote.family, remote.type, remote.proto, remote.sockaddr, future);
  const int rc = uv_tcp_connect(op->req(), stream->tcp(), reinterpret_cast<sockaddr*>(&remote_ss), &ConnectOp::on_connect);
  if (rc < 0) {
    // An immediate failure (unreachable network, ...): libuv made no request.
    op->abandon();
    delete op;
    future.set_exception(std::system_error(uv_code(rc), "Connect call failed " + remote.sockaddr.repr()));
  }
  return future;
}

Future<StreamSocketPtr> UvBackend::sock_connect_unix(const std::string& path) {
  Future<StreamSocketPtr> future(*event_loop_);
  sockaddr_un un{};
  const socklen_t len = unix_sockaddr(path, un);
  const int fd = open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno_code(errno), "socket(AF_UNIX)");
  SockAddr remote;
  remote.family = AF_UNIX;
  remote.host = path;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&un), len) == 0) {
    future.set_result(wrap_connected(*this, fd, AF_UNIX, SOCK_STREAM, 0));
    return future;
  }
  const int e = errno;
  if (e == EAGAIN || e == EINPROGRESS || e == EINTR) {
    // The listener's backlog is full: retry until it has room.
    auto* op = new ConnectOp(*this, nullptr, fd, AF_UNIX, SOCK_STREAM, 0, remote, future);
    op->retry_later();
    return future;
  }
  ::close(fd);
  future.set_exception(std::system_error(errno_code(e), "Connect call failed " + remote.repr()));
  return future;
}

ListeningSocketPtr UvBackend::sock_listen(const AddrInfo& address, const ListenOptions& options) {
  // Python: the socket setup loop of BaseEventLoop.create_server.
  const int fd = open_socket(address.family, address.type, address.proto);
  if (fd < 0) return nullptr;  // a bad family/type/protocol combination
  auto fail = [fd](const std::string& what) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(errno_code(e), what);
  };
  const int on = 1;
  if (options.reuse_address && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) fail("SO_REUSEADDR");
  if (options.reuse_port && (address.family == AF_INET || address.family == AF_INET6)) {
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      ::close(fd);
      throw ValueError("reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
    }
  }
  if (options.keep_alive && ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) fail("SO_KEEPALIVE");
  // One socket per family: no dual-stack IPv6 socket (Linux's default).
  if (address.family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) {
    fail("IPV6_V6ONLY");
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  try {
    len = to_sockaddr(address.sockaddr, ss);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    fail("error while attempting to bind on address " + address.sockaddr.repr());
  }
  return ListeningSocketPtr(new UvListener(*this, fd, address.family, address.type, address.proto, options.backlog));
}

ListeningSocketPtr UvBackend::sock_listen_unix(const std::string& path, const ListenOptions& options) {
  // Python: _UnixSelectorEventLoop.create_unix_server
  sockaddr_un un{};
  const socklen_t len = unix_sockaddr(path, un);
  const bool abstract = !path.empty() && path[0] == '\0';
  if (!abstract) {
    // Remove a stale socket file (not other files).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      if (::unlink(path.c_str()) != 0) {
        logger().error("Unable to check or remove stale UNIX socket " + detail::str_repr(path) + ": " +
                       std::strerror(errno));
      }
    }
  }
  const int fd = open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno_code(errno), "socket(AF_UNIX)");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&un), len) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EADDRINUSE) {
      // Let's improve the error message by adding with what exact address
      // it occurs (Python's wording).
      throw OSError(errno_code(e), "Address " + detail::str_repr(path) + " is already in use");
    }
    throw std::system_error(errno_code(e), "error while attempting to bind on address " + detail::str_repr(path));
  }
  auto* listener = new UvListener(*this, fd, AF_UNIX, SOCK_STREAM, 0, options.backlog);
  ListeningSocketPtr ptr(listener);
  struct stat st {};
  if (options.cleanup_socket && !abstract && ::stat(path.c_str(), &st) == 0) listener->set_cleanup(path, st.st_ino);
  return ptr;
}

StreamSocketPtr UvBackend::sock_adopt(int fd, int family) {
  check_stream_socket(fd, family);
  const int domain = sock_option(fd, SOL_SOCKET, SO_DOMAIN);
  const int proto = sock_option(fd, SOL_SOCKET, SO_PROTOCOL);
  return wrap_connected(*this, fd, domain, SOCK_STREAM, proto < 0 ? 0 : proto);
}

ListeningSocketPtr UvBackend::sock_adopt_listener(int fd, int family, const ListenOptions& options) {
  check_stream_socket(fd, family);
  const int domain = sock_option(fd, SOL_SOCKET, SO_DOMAIN);
  const int proto = sock_option(fd, SOL_SOCKET, SO_PROTOCOL);
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  auto* listener = new UvListener(*this, fd, domain, SOCK_STREAM, proto < 0 ? 0 : proto, options.backlog);
  ListeningSocketPtr ptr(listener);
  if (domain == AF_UNIX && options.cleanup_socket) {
    std::optional<SockAddr> name = local_name(fd);
    struct stat st {};
    if (name && !name->host.empty() && name->host[0] != '\0' && ::stat(name->host.c_str(), &st) == 0) {
      listener->set_cleanup(name->host, st.st_ino);
    }
  }
  return ptr;
}

}  // namespace asyncio::uv
