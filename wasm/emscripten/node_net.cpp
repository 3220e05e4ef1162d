// The Emscripten backend's network primitives (backend.hpp) under Node.js:
// stream sockets, listening sockets and DNS, through the I/O worker of
// asyncio_node_net.js (whose header has the facts about this platform).
// In a browser supports_network() is false and the loop raises
// NotImplementedError before any of this runs.
#include <arpa/inet.h>
#include <emscripten.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/log.hpp"
#include "emscripten_backend.hpp"
#include "node_net.hpp"

// asyncio_node_net.js
extern "C" {
int asyncio_net_connect(void* handle, int family, const char* host, int port, const char* lhost, int lport,
                        const char* path);
void asyncio_net_close_stream(int id);
void asyncio_net_read(int id, int on);
void asyncio_net_write(int id, const void* data, std::size_t n, int last);
int asyncio_net_write_sync(int id, const void* data, std::size_t n);
void asyncio_net_end(int id);
int asyncio_net_listen(void* handle, int family, const char* host, int port, const char* path, int backlog, void* out);
int asyncio_net_relisten(int id);
void asyncio_net_unlisten(int id);
void asyncio_net_accept(int id, int on);
void asyncio_net_close_server(int id, const char* path, int cleanup, double inode);
int asyncio_net_resolve(void* handle, const char* host, int family, int flags);
int asyncio_net_name(void* handle, const char* host, int port);
void asyncio_net_forget(int id);
int asyncio_net_service_port(const char* name, int udp);
void asyncio_net_service_name(int port, int udp, char* out, int size);
double asyncio_net_inode(const char* path);
int asyncio_net_remove_stale_socket(const char* path);
}

namespace asyncio::wasm {

namespace {

// What the JavaScript side writes about a connected or listening socket
// (AsyncioNet.writeInfo).
struct JsSockInfo {
  std::int32_t fd;
  std::int32_t family;  // 4, 6, or 0 for AF_UNIX
  std::int32_t local_port;
  std::int32_t remote_port;  // -1: no peer
  char local_host[128];
  char remote_host[128];
};

JsSockInfo g_info;
char g_scratch[512];
std::string g_last_error;  // asyncio_net_set_error()
char* g_read_ptr = nullptr;
std::size_t g_read_room = 0;

// Bytes posted to the worker and not yet handed to the kernel, at most, for
// try_write() to accept at once: what a kernel's send buffer would take.
constexpr std::size_t kWindow = std::size_t{256} * 1024;

std::error_code errno_code(int e) { return std::error_code(e, std::generic_category()); }

int af_of(int js_family) { return js_family == 6 ? AF_INET6 : js_family == 4 ? AF_INET : AF_UNIX; }

SockAddr inet_addr(int family, const char* host, int port) {
  SockAddr a;
  a.family = family;
  a.host = host;
  a.port = port;
  return a;
}

SockAddr unix_addr(const std::string& path) {
  SockAddr a;
  a.family = AF_UNIX;
  a.host = path;
  return a;
}

// Python: "AF_UNIX path too long" (ENAMETOOLONG) for a path that does not
// fit in sockaddr_un, as the OS would refuse it.
void check_unix_path(const std::string& path) {
  if (path.size() > sizeof(sockaddr_un{}.sun_path)) {
    throw std::system_error(errno_code(ENAMETOOLONG), "AF_UNIX path too long " + detail::str_repr(path));
  }
}

std::string take_last_error() { return std::exchange(g_last_error, std::string()); }

// A done callback on an operation's future that gives the operation up
// when the future is cancelled (the awaiting task was cancelled).
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

class NodeStream;

// A connect in flight: completes the future with the stream.
class ConnectOp final : public NetObject {
 public:
  ConnectOp(EmscriptenBackend& backend, NodeStream* stream, Future<StreamSocketPtr> future, SockAddr remote)
      : NetObject(backend), stream_(stream), future_(std::move(future)), remote_(std::move(remote)), hook_(this) {
    future_.state_ptr()->add_done_callback(&hook_);
  }
  // The future was cancelled, or the backend is closing: stop connecting
  // (the stream closes) and free this at the next poll.
  void abandon() noexcept;
  void detach() noexcept override { abandon(); }
  const char* kind() const noexcept override { return "net.Socket (connecting)"; }
  void complete(StreamSocketPtr stream, const char* error);

 private:
  ~ConnectOp() override {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
  }
  NodeStream* stream_;
  Future<StreamSocketPtr> future_;
  SockAddr remote_;
  CancelHook<ConnectOp> hook_;
};

class NodeStream final : public StreamSocket, public NetObject {
 public:
  NodeStream(EmscriptenBackend& backend, int family) : NetObject(backend), family_(family) {}

  // JavaScript side id (asyncio_net_connect, or an accepted connection's).
  void set_id(int id) noexcept { id_ = id; }
  int id() const noexcept { return id_; }
  void set_connect(ConnectOp* op) noexcept { connect_ = op; }

  void connected(const JsSockInfo& info, const SockAddr* unix_local, const SockAddr* unix_peer) {
    if (family_ == AF_UNIX) {
      info_ = TransportSocket(info.fd, AF_UNIX, SOCK_STREAM, 0, unix_local ? *unix_local : unix_addr(""),
                              unix_peer ? std::optional<SockAddr>(*unix_peer) : std::optional<SockAddr>(unix_addr("")));
      return;
    }
    const int af = af_of(info.family);
    std::optional<SockAddr> peer;
    if (info.remote_port >= 0) peer = inet_addr(af, info.remote_host, info.remote_port);
    info_ = TransportSocket(info.fd, af, SOCK_STREAM, IPPROTO_TCP, inet_addr(af, info.local_host, info.local_port),
                            std::move(peer));
  }

  // StreamSocket
  void set_events(StreamSocketEvents* events) noexcept override { events_ = events; }
  void start_reading() override {
    if (reading_ || closed_ || !readable_) return;
    reading_ = true;
    asyncio_net_read(id_, 1);
  }
  void stop_reading() noexcept override {
    if (!reading_ || closed_) return;
    reading_ = false;
    asyncio_net_read(id_, 0);
  }
  std::size_t try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept override {
    if (write_error_) {
      error = write_error_;
      return 0;
    }
    if (closed_) {
      error = errno_code(EPIPE);
      return 0;
    }
    std::size_t total = 0;
    for (std::string_view b : buffers) total += b.size();
    if (peer_shut_down_ && unacked_ == 0 && total > 0) return write_now(buffers, total, error);
    std::size_t room = unacked_ < kWindow ? kWindow - unacked_ : 0;
    const std::size_t n = std::min(room, total);
    if (n == 0) return 0;
    if (!post(buffers, n, false)) {
      error = errno_code(ENOMEM);
      return 0;
    }
    return n;
  }
  std::error_code write(std::span<const std::string_view> buffers) noexcept override {
    if (write_error_) return write_error_;
    if (closed_) return errno_code(EPIPE);
    std::size_t total = 0;
    for (std::string_view b : buffers) total += b.size();
    if (!post(buffers, total, true)) return errno_code(ENOMEM);
    in_flight_ = total;
    return {};
  }
  std::size_t write_queue_size() const noexcept override { return in_flight_; }
  void shutdown() noexcept override {
    if (shutdown_ || closed_) return;
    shutdown_ = true;
    asyncio_net_end(id_);
  }
  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    events_ = nullptr;
    if (id_ != 0) asyncio_net_close_stream(id_);
    delete this;
  }
  const TransportSocket& info() const noexcept override { return info_; }
  // While connecting, its ConnectOp names it.
  const char* kind() const noexcept override { return connect_ != nullptr ? nullptr : "net.Socket"; }

  void detach() noexcept override {
    if (connect_ != nullptr) {
      connect_->abandon();  // closes this stream
      return;
    }
    StreamSocketEvents* events = std::exchange(events_, nullptr);
    if (events) events->on_detached();  // the owner lets go (no close())
    close();
  }

  // ---- From the JavaScript side ----
  std::span<char> read_buffer(std::size_t hint) noexcept {
    if (events_ == nullptr) return {};
    return events_->read_buffer(hint);
  }
  void on_read(std::size_t n) noexcept {
    if (events_) events_->on_read(n);
  }
  void on_eof() noexcept {
    reading_ = false;
    readable_ = false;
    peer_shut_down_ = true;
    if (events_) events_->on_eof();
  }
  void on_read_error(std::error_code error) noexcept {
    reading_ = false;
    readable_ = false;
    if (!write_error_) write_error_ = error;
    if (events_) events_->on_read_error(error);
  }
  void on_written(std::size_t n, bool last, std::error_code error) noexcept {
    unacked_ -= std::min(unacked_, n);
    if (error && !write_error_) {
      write_error_ = error;
      if (!last && in_flight_ == 0) {
        // Bytes try_write() took failed after all (the peer reset the
        // connection): as a kernel's failing send() would, this ends the
        // transport with a write error. With no write() in flight nothing
        // else would tell the owner (reading may be stopped).
        if (events_) events_->on_write_done(error);
        return;
      }
    }
    if (!last) return;
    in_flight_ = 0;
    if (events_) events_->on_write_done(error);
  }
  void on_connected(const char* error);

 private:
  ~NodeStream() override = default;

  bool post(std::span<const std::string_view> buffers, std::size_t n, bool last) noexcept {
    // One message to the worker: the first `n` bytes of `buffers`, copied.
    if (buffers.size() == 1 || n <= buffers[0].size()) {
      asyncio_net_write(id_, buffers[0].data(), n, last ? 1 : 0);
    } else {
      try {
        std::string joined;
        joined.reserve(n);
        for (std::string_view b : buffers) {
          if (joined.size() == n) break;
          joined.append(b.substr(0, n - joined.size()));
        }
        asyncio_net_write(id_, joined.data(), joined.size(), last ? 1 : 0);
      } catch (...) {
        return false;
      }
    }
    unacked_ += n;
    return true;
  }

  // After the peer's FIN, try_write() waits for the kernel's answer, as a
  // native send() gets it: EPIPE or ECONNRESET once the peer is gone (Python:
  // drain() raising ConnectionResetError). A round trip to the I/O worker,
  // but only on a half-closed connection.
  std::size_t write_now(std::span<const std::string_view> buffers, std::size_t total, std::error_code& error) noexcept {
    int rc = 0;
    if (buffers.size() == 1) {
      rc = asyncio_net_write_sync(id_, buffers[0].data(), total);
    } else {
      try {
        std::string joined;
        joined.reserve(total);
        for (std::string_view b : buffers) joined.append(b);
        rc = asyncio_net_write_sync(id_, joined.data(), joined.size());
      } catch (...) {
        error = errno_code(ENOMEM);
        return 0;
      }
    }
    if (rc != 0) {
      write_error_ = errno_code(errno_from_node(take_last_error().c_str()));
      error = write_error_;
      return 0;
    }
    return total;
  }

  StreamSocketEvents* events_ = nullptr;
  ConnectOp* connect_ = nullptr;
  TransportSocket info_;
  std::error_code write_error_{};
  std::size_t unacked_ = 0;    // posted to the worker, not yet in the kernel
  std::size_t in_flight_ = 0;  // the write() whose completion is awaited
  int family_;
  int id_ = 0;
  bool reading_ = false;
  bool readable_ = true;  // until EOF or a read error
  bool peer_shut_down_ = false;  // EOF came: try_write() answers at once
  bool shutdown_ = false;
  bool closed_ = false;

 public:
  // The unix address the stream was connected to (its peer).
  std::optional<SockAddr> unix_peer;
};

void ConnectOp::abandon() noexcept {
  if (stream_ == nullptr) return;
  NodeStream* s = std::exchange(stream_, nullptr);
  s->set_connect(nullptr);
  s->close();
  bury();
}

void ConnectOp::complete(StreamSocketPtr stream, const char* error) {
  NodeStream* s = std::exchange(stream_, nullptr);
  if (s) s->set_connect(nullptr);
  if (!future_.done()) {
    if (error) {
      future_.set_exception(
          std::system_error(errno_code(errno_from_node(error)), "Connect call failed " + remote_.repr()));
    } else {
      future_.set_result(std::move(stream));
    }
  }
  delete this;  // `stream` (if unused) closes on return
}

void NodeStream::on_connected(const char* error) {
  ConnectOp* op = std::exchange(connect_, nullptr);
  if (op == nullptr) return;
  if (error) {
    id_ = 0;  // the JavaScript side forgot it
    op->complete(StreamSocketPtr(this), error);
    return;
  }
  connected(g_info, nullptr, unix_peer ? &*unix_peer : nullptr);
  op->complete(StreamSocketPtr(this), nullptr);
}

// ---- Listening sockets ----

class NodeListener final : public ListeningSocket, public NetObject {
 public:
  NodeListener(EmscriptenBackend& backend, int family) : NetObject(backend), family_(family) {}

  void set_id(int id) noexcept { id_ = id; }
  void set_path(std::string path) { path_ = std::move(path); }
  void set_cleanup(bool cleanup, double inode) noexcept {
    cleanup_ = cleanup;
    inode_ = inode;
  }
  void described(const JsSockInfo& info) {
    if (family_ == AF_UNIX) {
      info_ = TransportSocket(info.fd, AF_UNIX, SOCK_STREAM, 0, unix_addr(path_), std::nullopt);
    } else {
      const int af = af_of(info.family);
      info_ = TransportSocket(info.fd, af, SOCK_STREAM, IPPROTO_TCP, inet_addr(af, info.local_host, info.local_port),
                              std::nullopt);
    }
  }
  bool fresh() const noexcept { return !ever_accepted_ && !unlistened_ && !closed_; }

  // Not started by the loop's next poll: stop listening until it is, so that
  // connecting is refused meanwhile (a bound socket that does not listen).
  void unlisten() noexcept {
    unlistened_ = true;
    asyncio_net_unlisten(id_);
  }

  // ListeningSocket
  void start_accepting(ListeningSocketEvents* events) override {
    events_ = events;
    if (closed_) return;
    if (unlistened_) {
      if (asyncio_net_relisten(id_) != 0) {
        const std::string code = take_last_error();
        throw std::system_error(errno_code(errno_from_node(code.c_str())),
                                "listen() on " + info_.getsockname().repr());
      }
      unlistened_ = false;
    }
    ever_accepted_ = true;
    if (!accepting_) {
      accepting_ = true;
      asyncio_net_accept(id_, 1);
    }
    while (!held_.empty() && accepting_ && events_) {
      StreamSocketPtr conn = std::move(held_.front());
      held_.erase(held_.begin());
      events_->on_accept(std::move(conn));
    }
  }
  void stop_accepting() noexcept override {
    if (!accepting_ || closed_) return;
    accepting_ = false;
    asyncio_net_accept(id_, 0);
  }
  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    events_ = nullptr;
    held_.clear();
    asyncio_net_close_server(id_, path_.empty() ? nullptr : path_.c_str(), cleanup_ ? 1 : 0, inode_);
    delete this;
  }
  const TransportSocket& info() const noexcept override { return info_; }
  const char* kind() const noexcept override { return "net.Server"; }

  void detach() noexcept override {
    ListeningSocketEvents* events = std::exchange(events_, nullptr);
    if (events) events->on_detached();
    close();
  }

  // ---- From the JavaScript side ----
  NodeStream* on_accepted(int id, const JsSockInfo& info) {
    if (closed_) return nullptr;
    auto* s = new NodeStream(backend(), family_);
    s->set_id(id);
    StreamSocketPtr conn(s);
    if (family_ == AF_UNIX) {
      SockAddr local = unix_addr(path_);
      s->connected(info, &local, nullptr);
    } else {
      s->connected(info, nullptr, nullptr);
    }
    if (accepting_ && events_) {
      events_->on_accept(std::move(conn));
    } else {
      held_.push_back(std::move(conn));
    }
    return s;
  }
  void on_accept_error(const char* code) {
    stop_accepting();
    if (events_) events_->on_accept_error(errno_code(errno_from_node(code)));
  }

 private:
  ~NodeListener() override = default;

  ListeningSocketEvents* events_ = nullptr;
  std::vector<StreamSocketPtr> held_;  // accepted while the owner was not accepting
  TransportSocket info_;
  std::string path_;
  double inode_ = -1;
  int family_;
  int id_ = 0;
  bool cleanup_ = false;
  bool accepting_ = false;
  bool ever_accepted_ = false;
  bool unlistened_ = false;
  bool closed_ = false;
};

// ---- Name resolution ----

// getaddrinfo()'s entries for one address: one per socket type asked for
// (all three when none is, as glibc does).
void add_addrinfo(std::vector<AddrInfo>& results, int af, const std::string& host, int type, int proto, int port,
                  int flags, const std::string& canonname) {
  static constexpr std::pair<int, int> kAll[] = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}, {SOCK_RAW, 0}};
  for (auto [t, p] : kAll) {
    if (type != 0 && t != type) continue;
    AddrInfo ai;
    ai.family = af;
    ai.type = t;
    ai.proto = proto != 0 ? proto : p;
    if (results.empty() && (flags & AI_CANONNAME)) ai.canonname = canonname;
    ai.sockaddr = inet_addr(af, host.c_str(), port);
    results.push_back(std::move(ai));
  }
}

// A failed dns.lookup/lookupService: its getaddrinfo error (gaierror) when
// Node names one, else the errno it names.
std::error_code dns_error_code(const char* node_code) {
  const int gai = gai_from_node(node_code);
  return gai != 0 ? std::error_code(gai, gai_category()) : errno_code(errno_from_node(node_code));
}

class ResolveOp final : public NetObject {
 public:
  ResolveOp(EmscriptenBackend& backend, Future<std::vector<AddrInfo>> future, std::string what, int type, int proto,
            int port, int flags, std::string canonname)
      : NetObject(backend),
        future_(std::move(future)),
        what_(std::move(what)),
        canonname_(std::move(canonname)),
        type_(type),
        proto_(proto),
        port_(port),
        flags_(flags),
        hook_(this) {
    future_.state_ptr()->add_done_callback(&hook_);
  }
  void set_id(int id) noexcept { id_ = id; }

  void on_resolved(int family, const char* address, const char* error) {
    if (error) return finish(error);
    if (address == nullptr) return finish(nullptr);
    add_addrinfo(results_, af_of(family), address, type_, proto_, port_, flags_, canonname_);
  }
  void abandon() noexcept {
    if (id_ == 0) return;
    asyncio_net_forget(std::exchange(id_, 0));
    bury();
  }
  void detach() noexcept override { abandon(); }
  const char* kind() const noexcept override { return "dns.lookup"; }

 private:
  ~ResolveOp() override {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
  }
  void finish(const char* error) {
    id_ = 0;  // the JavaScript side forgot it
    if (!future_.done()) {
      if (error) {
        future_.set_exception(std::system_error(dns_error_code(error), what_));
      } else {
        future_.set_result(std::move(results_));
      }
    }
    delete this;
  }

  Future<std::vector<AddrInfo>> future_;
  std::string what_;
  std::string canonname_;
  std::vector<AddrInfo> results_;
  int type_;
  int proto_;
  int port_;
  int flags_;
  int id_ = 0;
  CancelHook<ResolveOp> hook_;
};

class NameOp final : public NetObject {
 public:
  NameOp(EmscriptenBackend& backend, Future<NameInfo> future, std::string what, int flags, int port)
      : NetObject(backend), future_(std::move(future)), what_(std::move(what)), flags_(flags), port_(port), hook_(this) {
    future_.state_ptr()->add_done_callback(&hook_);
  }
  void set_id(int id) noexcept { id_ = id; }
  void on_named(const char* host, const char* service, const char* error) {
    id_ = 0;
    if (!future_.done()) {
      if (error) {
        future_.set_exception(std::system_error(dns_error_code(error), what_));
      } else {
        std::string svc = service;
        if (flags_ & NI_NUMERICSERV) svc = std::to_string(port_);
        future_.set_result(NameInfo(host, std::move(svc)));
      }
    }
    delete this;
  }
  void abandon() noexcept {
    if (id_ == 0) return;
    asyncio_net_forget(std::exchange(id_, 0));
    bury();
  }
  void detach() noexcept override { abandon(); }
  const char* kind() const noexcept override { return "dns.lookupService"; }

 private:
  ~NameOp() override {
    if (hook_.linked()) future_.state_ptr()->remove_done_callback(&hook_);
  }
  Future<NameInfo> future_;
  std::string what_;
  int flags_;
  int port_;
  int id_ = 0;
  CancelHook<NameOp> hook_;
};

// Python: base_events._ipaddr_info: a numeric host needs no resolver.
bool is_numeric(int af, const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(af, host.c_str(), buf) == 1;
}

std::string gai_what(const std::optional<std::string>& host, const std::optional<std::string>& port) {
  return "getaddrinfo(" + (host ? detail::str_repr(*host) : std::string("None")) + ", " +
         (port ? *port : std::string("None")) + ")";
}

std::exception_ptr gai_error(int code, const std::string& what) {
  return std::make_exception_ptr(std::system_error(std::error_code(code, gai_category()), what));
}

}  // namespace

// ---- Error codes ----

int errno_from_node(const char* code) noexcept {
  struct Entry {
    const char* name;
    int value;
  };
  static constexpr Entry kCodes[] = {
      {"EACCES", EACCES},           {"EADDRINUSE", EADDRINUSE},     {"EADDRNOTAVAIL", EADDRNOTAVAIL},
      {"EAFNOSUPPORT", EAFNOSUPPORT}, {"EAGAIN", EAGAIN},           {"EALREADY", EALREADY},
      {"EBADF", EBADF},             {"ECANCELED", ECANCELED},       {"ECONNABORTED", ECONNABORTED},
      {"ECONNREFUSED", ECONNREFUSED}, {"ECONNRESET", ECONNRESET},   {"EEXIST", EEXIST},
      {"EHOSTDOWN", EHOSTDOWN},     {"EHOSTUNREACH", EHOSTUNREACH}, {"EINVAL", EINVAL},
      {"EINPROGRESS", EINPROGRESS}, {"EISCONN", EISCONN},           {"EMFILE", EMFILE},
      {"ENAMETOOLONG", ENAMETOOLONG}, {"ENETDOWN", ENETDOWN},       {"ENETUNREACH", ENETUNREACH},
      {"ENFILE", ENFILE},           {"ENOBUFS", ENOBUFS},           {"ENOENT", ENOENT},
      {"ENOMEM", ENOMEM},           {"ENOTCONN", ENOTCONN},         {"ENOTDIR", ENOTDIR},
      {"ENOTSOCK", ENOTSOCK},       {"ENOTSUP", ENOTSUP},           {"EPERM", EPERM},
      {"EPIPE", EPIPE},             {"EPROTO", EPROTO},             {"ETIMEDOUT", ETIMEDOUT},
      {"ERR_SOCKET_CLOSED", EPIPE}, {"ERR_STREAM_DESTROYED", EPIPE}, {"ERR_STREAM_WRITE_AFTER_END", EPIPE},
  };
  if (code == nullptr) return EIO;
  for (const Entry& e : kCodes) {
    if (std::strcmp(e.name, code) == 0) return e.value;
  }
  return EIO;
}

int gai_from_node(const char* code) noexcept {
  struct Entry {
    const char* name;
    int value;
  };
  static constexpr Entry kCodes[] = {
      {"EAI_NONAME", EAI_NONAME}, {"ENOTFOUND", EAI_NONAME},  {"EAI_AGAIN", EAI_AGAIN},
      {"EAI_FAIL", EAI_FAIL},     {"EAI_NODATA", EAI_NONAME}, {"EAI_FAMILY", EAI_FAMILY},
      {"EAI_SERVICE", EAI_SERVICE}, {"EAI_SOCKTYPE", EAI_SOCKTYPE}, {"EAI_BADFLAGS", EAI_BADFLAGS},
      {"EAI_MEMORY", EAI_MEMORY}, {"EAI_OVERFLOW", EAI_OVERFLOW},
  };
  if (code == nullptr) return 0;
  for (const Entry& e : kCodes) {
    if (std::strcmp(e.name, code) == 0) return e.value;
  }
  return 0;
}

// ---- NetObject ----

NetObject::NetObject(EmscriptenBackend& backend) : backend_(&backend) { backend.link(this); }

NetObject::~NetObject() {
  if (backend_) backend_->unlink(this);
}

void NetObject::bury() noexcept {
  backend_->unlink(this);
  backend_->bury(this);
  backend_ = nullptr;
}

void EmscriptenBackend::link(NetObject* object) noexcept {
  object->net_prev = nullptr;
  object->net_next = net_head_;
  if (net_head_) net_head_->net_prev = object;
  net_head_ = object;
  ++net_count_;
}

void EmscriptenBackend::unlink(NetObject* object) noexcept {
  if (object->net_prev) object->net_prev->net_next = object->net_next;
  if (object->net_next) object->net_next->net_prev = object->net_prev;
  if (net_head_ == object) net_head_ = object->net_next;
  object->net_prev = object->net_next = nullptr;
  --net_count_;
}

void EmscriptenBackend::bury(NetObject* object) noexcept {
  try {
    graveyard_.push_back(object);
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
    // Out of memory: leak it rather than free it under a running callback.
  }
}

void EmscriptenBackend::free_buried() noexcept {
  std::vector<NetObject*> dead;
  dead.swap(graveyard_);
  for (NetObject* o : dead) delete o;
}

void EmscriptenBackend::detach_net_objects() noexcept {
  while (net_head_ != nullptr) {
    NetObject* o = net_head_;
    o->detach();  // unlinks it (closing or burying it)
    if (net_head_ == o) unlink(o);  // defensive: never loop forever
  }
  free_buried();
}

void EmscriptenBackend::unlisten_fresh_listeners() noexcept {
  for (NetObject* o = net_head_; o != nullptr; o = o->net_next) {
    if (auto* l = dynamic_cast<NodeListener*>(o); l && l->fresh()) l->unlisten();
  }
}

// ---- The backend's network methods ----

Future<std::vector<AddrInfo>> EmscriptenBackend::getaddrinfo(const std::optional<std::string>& host,
                                                             const std::optional<std::string>& port, int family,
                                                             int type, int proto, int flags) {
  Future<std::vector<AddrInfo>> future(*event_loop_);
  start_network();
  const std::string what = gai_what(host, port);
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    future.set_exception(gai_error(EAI_FAMILY, what));
    return future;
  }
  if (type != 0 && type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_RAW) {
    future.set_exception(gai_error(EAI_SOCKTYPE, what));
    return future;
  }
  // The port: a number, or a service name looked up in /etc/services.
  int port_number = 0;
  if (port && !port->empty()) {
    const char* end = port->data() + port->size();
    auto [p, ec] = std::from_chars(port->data(), end, port_number);
    if (ec != std::errc() || p != end || port_number < 0 || port_number > 65535) {
      if (flags & AI_NUMERICSERV) {
        future.set_exception(gai_error(EAI_NONAME, what));
        return future;
      }
      port_number = asyncio_net_service_port(port->c_str(), type == SOCK_DGRAM ? 1 : 0);
      if (port_number < 0) {
        future.set_exception(gai_error(EAI_SERVICE, what));
        return future;
      }
    }
  }
  // No host: the wildcard or the loopback addresses (as glibc orders them).
  // A numeric host needs no resolver either.
  std::vector<std::pair<int, std::string>> known;
  if (!host) {
    if (flags & AI_PASSIVE) {
      known = {{AF_INET, "0.0.0.0"}, {AF_INET6, "::"}};
    } else {
      known = {{AF_INET6, "::1"}, {AF_INET, "127.0.0.1"}};
    }
  } else if (host->find('%') == std::string::npos) {
    for (int af : {AF_INET, AF_INET6}) {
      if (is_numeric(af, *host)) known = {{af, *host}};
    }
  }
  if (!known.empty() || (host && (flags & AI_NUMERICHOST))) {
    std::vector<AddrInfo> results;
    for (auto& [af, h] : known) {
      if (family == AF_UNSPEC || family == af) add_addrinfo(results, af, h, type, proto, port_number, flags, host.value_or(""));
    }
    if (results.empty()) {
#if defined(EAI_ADDRFAMILY)
      future.set_exception(gai_error(known.empty() ? EAI_NONAME : EAI_ADDRFAMILY, what));
#else
      future.set_exception(gai_error(EAI_NONAME, what));
#endif
    } else {
      future.set_result(std::move(results));
    }
    return future;
  }
  // Only a host name gets here: no host is the wildcard or loopback,
  // answered above.
  const std::string& name = *host;  // NOLINT(bugprone-unchecked-optional-access): see the comment
  auto* op = new ResolveOp(*this, future, what, type, proto, port_number, flags, name);
  const int js_family = family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
  op->set_id(asyncio_net_resolve(op, name.c_str(), js_family, flags));
  return future;
}

Future<NameInfo> EmscriptenBackend::getnameinfo(const SockAddr& address, int flags) {
  Future<NameInfo> future(*event_loop_);
  start_network();
  const std::string what = "getnameinfo(" + address.repr() + ")";
  if ((address.family != AF_INET && address.family != AF_INET6) || !is_numeric(address.family, address.host)) {
    future.set_exception(gai_error(EAI_FAMILY, what));
    return future;
  }
  const bool udp = (flags & NI_DGRAM) != 0;
  if (flags & NI_NUMERICHOST) {
    // No resolver needed: the numeric host, the service by name or number.
    std::string service = std::to_string(address.port);
    if (!(flags & NI_NUMERICSERV)) {
      asyncio_net_service_name(address.port, udp ? 1 : 0, g_scratch, sizeof g_scratch);
      service = g_scratch;
    }
    future.set_result(NameInfo(address.host, std::move(service)));
    return future;
  }
  auto* op = new NameOp(*this, future, what, flags, address.port);
  op->set_id(asyncio_net_name(op, address.host.c_str(), address.port));
  return future;
}

Future<StreamSocketPtr> EmscriptenBackend::sock_connect(const AddrInfo& remote, const SockAddr* local) {
  // Python: _connect_sock's socket(), bind() and sock_connect().
  Future<StreamSocketPtr> future(*event_loop_);
  start_network();
  // A server of this loop created with start_serving=False stops listening
  // before this connection can reach it (else it would sit in the backlog
  // and be reset, where Python's bound socket refuses it).
  unlisten_fresh_listeners();
  if (remote.family != AF_INET && remote.family != AF_INET6) {
    throw std::system_error(errno_code(EAFNOSUPPORT), "socket(" + detail::family_repr(remote.family) + ")");
  }
  if (local != nullptr && local->family != remote.family) {
    throw std::system_error(errno_code(EINVAL), "error while attempting to bind on address " + local->repr());
  }
  auto* stream = new NodeStream(*this, remote.family);
  auto* op = new ConnectOp(*this, stream, future, remote.sockaddr);
  stream->set_connect(op);
  const int js_family = remote.family == AF_INET6 ? 6 : 4;
  const int id = asyncio_net_connect(stream, js_family, remote.sockaddr.host.c_str(), remote.sockaddr.port,
                                     local ? local->host.c_str() : nullptr, local ? local->port : 0, nullptr);
  if (id == 0) {
    // The local address did not bind.
    const std::string code = take_last_error();
    op->abandon();
    throw std::system_error(errno_code(errno_from_node(code.c_str())),
                            "error while attempting to bind on address " + (local ? local->repr() : std::string()));
  }
  stream->set_id(id);
  return future;
}

Future<StreamSocketPtr> EmscriptenBackend::sock_connect_unix(const std::string& path) {
  Future<StreamSocketPtr> future(*event_loop_);
  start_network();
  check_unix_path(path);
  unlisten_fresh_listeners();  // as sock_connect()
  auto* stream = new NodeStream(*this, AF_UNIX);
  stream->unix_peer = unix_addr(path);
  auto* op = new ConnectOp(*this, stream, future, unix_addr(path));
  stream->set_connect(op);
  stream->set_id(asyncio_net_connect(stream, 0, nullptr, 0, nullptr, 0, path.c_str()));
  return future;
}

ListeningSocketPtr EmscriptenBackend::sock_listen(const AddrInfo& address, const ListenOptions& options) {
  // Python: the socket setup loop of BaseEventLoop.create_server.
  if (address.family != AF_INET && address.family != AF_INET6) return nullptr;
  if (address.type != SOCK_STREAM) return nullptr;
  start_network();
  if (options.reuse_port) {
    // Node.js 20's net module has no SO_REUSEPORT.
    throw ValueError("reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
  }
  auto* listener = new NodeListener(*this, address.family);
  ListeningSocketPtr ptr(listener);
  const int js_family = address.family == AF_INET6 ? 6 : 4;
  const int id = asyncio_net_listen(listener, js_family, address.sockaddr.host.c_str(), address.sockaddr.port,
                                    nullptr, options.backlog, &g_info);
  if (id == 0) {
    const std::string code = take_last_error();
    [[maybe_unused]] ListeningSocket* freed_below = ptr.release();
    delete_unstarted(listener);
    throw std::system_error(errno_code(errno_from_node(code.c_str())),
                            "error while attempting to bind on address " + address.sockaddr.repr());
  }
  listener->set_id(id);
  listener->described(g_info);
  return ptr;
}

ListeningSocketPtr EmscriptenBackend::sock_listen_unix(const std::string& path, const ListenOptions& options) {
  // Python: _UnixSelectorEventLoop.create_unix_server
  start_network();
  check_unix_path(path);
  const bool abstract = !path.empty() && path[0] == '\0';
  if (!abstract && asyncio_net_remove_stale_socket(path.c_str()) != 0) {
    logger().error("Unable to check or remove stale UNIX socket " + detail::str_repr(path));
  }
  auto* listener = new NodeListener(*this, AF_UNIX);
  ListeningSocketPtr ptr(listener);
  listener->set_path(path);
  const int id = asyncio_net_listen(listener, 0, nullptr, 0, path.c_str(), options.backlog, &g_info);
  if (id == 0) {
    const std::string code = take_last_error();
    [[maybe_unused]] ListeningSocket* freed_below = ptr.release();
    delete_unstarted(listener);
    const int e = errno_from_node(code.c_str());
    if (e == EADDRINUSE) throw OSError(errno_code(e), "Address " + detail::str_repr(path) + " is already in use");
    throw std::system_error(errno_code(e), "error while attempting to bind on address " + detail::str_repr(path));
  }
  listener->set_id(id);
  listener->described(g_info);
  if (!abstract) listener->set_cleanup(options.cleanup_socket, asyncio_net_inode(path.c_str()));
  return ptr;
}

void EmscriptenBackend::delete_unstarted(ListeningSocket* listener) noexcept {
  // A listener whose listen() failed: nothing on the JavaScript side.
  static_cast<NodeListener*>(listener)->set_id(0);
  listener->close();
}

}  // namespace asyncio::wasm

// ---- Called by asyncio_node_net.js ----

using asyncio::wasm::g_info;
using asyncio::wasm::NodeListener;
using asyncio::wasm::NodeStream;

extern "C" {

EMSCRIPTEN_KEEPALIVE void* asyncio_net_info_buffer() { return &g_info; }
EMSCRIPTEN_KEEPALIVE char* asyncio_net_scratch() { return asyncio::wasm::g_scratch; }
EMSCRIPTEN_KEEPALIVE void asyncio_net_set_error(const char* code) { asyncio::wasm::g_last_error = code; }

EMSCRIPTEN_KEEPALIVE char* asyncio_net_read_buffer(void* handle, std::size_t hint) {
  std::span<char> span = static_cast<NodeStream*>(handle)->read_buffer(hint);
  asyncio::wasm::g_read_ptr = span.data();
  asyncio::wasm::g_read_room = span.size();
  return span.data();
}
EMSCRIPTEN_KEEPALIVE std::size_t asyncio_net_read_room() { return asyncio::wasm::g_read_room; }
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_read(void* handle, std::size_t n) { static_cast<NodeStream*>(handle)->on_read(n); }
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_eof(void* handle) { static_cast<NodeStream*>(handle)->on_eof(); }
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_read_error(void* handle, const char* code) {
  static_cast<NodeStream*>(handle)->on_read_error(
      std::error_code(asyncio::wasm::errno_from_node(code), std::generic_category()));
}
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_written(void* handle, std::size_t n, int last, const char* code) {
  std::error_code error;
  if (code) error = std::error_code(asyncio::wasm::errno_from_node(code), std::generic_category());
  static_cast<NodeStream*>(handle)->on_written(n, last != 0, error);
}
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_connected(void* handle, void*, const char* code) {
  static_cast<NodeStream*>(handle)->on_connected(code);
}
EMSCRIPTEN_KEEPALIVE void* asyncio_net_on_accepted(void* handle, int id, void*) {
  return static_cast<NodeListener*>(handle)->on_accepted(id, g_info);
}
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_accept_error(void* handle, const char* code) {
  static_cast<NodeListener*>(handle)->on_accept_error(code);
}
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_resolved(void* handle, int family, const char* address, const char* code) {
  static_cast<asyncio::wasm::ResolveOp*>(handle)->on_resolved(family, address, code);
}
EMSCRIPTEN_KEEPALIVE void asyncio_net_on_named(void* handle, const char* host, const char* service, const char* code) {
  static_cast<asyncio::wasm::NameOp*>(handle)->on_named(host, service, code);
}

}  // extern "C"
