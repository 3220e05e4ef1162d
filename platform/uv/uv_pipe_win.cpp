// The Unix-socket API on Windows: named pipes on uv_pipe_t
// (sock_connect_unix, sock_listen_unix).
//
// Facts about this platform:
// - libuv's uv_pipe_t is a named pipe on Windows (\\.\pipe\<name>), with
//   the same stream API as an AF_UNIX socket elsewhere: connect, listen,
//   accept, read, write, shut down. Windows 10's own AF_UNIX sockets are
//   not reachable through libuv 1.44 (nor through Wine 8).
// - CPython's Windows event loops have no create_unix_server() or
//   create_unix_connection() (NotImplementedError). Here they take a pipe
//   name and serve a named pipe; any other path raises NotImplementedError
//   saying so (Divergence, documented in docs/platforms.md).
// - A pipe name exists while a server holds it: no file to remove on close
//   (cleanup_socket has nothing to do), none left stale by a crash.
// - uv_pipe_bind() fails with EADDRINUSE if another server holds the name
//   (libuv opens the first instance with FILE_FLAG_FIRST_PIPE_INSTANCE);
//   uv_pipe_connect() with ENOENT if none does. Wine 8 ignores
//   FILE_FLAG_FIRST_PIPE_INSTANCE: there a second server on a name in use
//   is created, and the two share the name (the test is not run there).
#include <string>

#include "asyncio/exceptions.hpp"
#include "asyncio/futures.hpp"
#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_net_os.hpp"
#include "uv_stream.hpp"
#include "uv_win.hpp"

namespace asyncio::uv {

namespace {

SockAddr pipe_address(const std::string& name) {
  SockAddr a;
  a.family = AF_UNIX;
  a.host = name;
  return a;
}

// Python has no name for this; the message says what Windows takes.
void check_pipe_name(const std::string& name, const char* method) {
  // \\.\pipe\<name> (or \\?\pipe\<name>), either slash, any case.
  auto slash = [](char c) { return c == '\\' || c == '/'; };
  const std::string prefix = "pipe";
  bool ok = name.size() > 9 && slash(name[0]) && slash(name[1]) && (name[2] == '.' || name[2] == '?') &&
            slash(name[3]) && slash(name[8]);
  for (std::size_t i = 0; ok && i < prefix.size(); ++i) ok = (name[4 + i] | 0x20) == prefix[i];
  if (!ok) {
    throw NotImplementedError(std::string(method) + " is not available on win32 for path " +
                              detail::str_repr(name) +
                              ": Windows has no AF_UNIX sockets here; give a named pipe, \\\\.\\pipe\\<name>");
  }
}

// A uv_pipe_connect() in flight (Python: sock_connect on an AF_UNIX socket).
class PipeConnect final : public Operation<StreamSocketPtr> {
 public:
  PipeConnect(UvBackend& backend, UvStream* stream, std::string name, Future<StreamSocketPtr> future)
      : Operation(backend, std::move(future)), stream_(stream), name_(std::move(name)) {
    req_.data = this;
  }

  void start() {
    // libuv reports every outcome, an immediate failure too, to on_connect.
    uv_pipe_connect(&req_, stream_->pipe(), name_.c_str(), &PipeConnect::on_connect);
    watch_cancellation();
  }

 private:
  ~PipeConnect() override = default;

  static void on_connect(uv_connect_t* req, int status) {
    // Also called with UV_ECANCELED when abandon() closed the stream.
    auto* self = static_cast<PipeConnect*>(req->data);
    UvStream* stream = std::exchange(self->stream_, nullptr);
    StreamSocketPtr conn(stream);
    if (status == 0 && stream != nullptr) {
      try {
        stream->connected(AF_UNIX, SOCK_STREAM, 0);
        self->succeed(std::move(conn));
      } catch (...) {
        self->fail(std::current_exception());
      }
    } else {
      const std::error_code error =
          status < 0 ? error_code(status) : std::make_error_code(std::errc::operation_canceled);
      self->fail(std::make_exception_ptr(
          std::system_error(error, "Connect call failed " + pipe_address(self->name_).repr())));
    }
    delete self;
  }

  void on_abandon() noexcept override {
    if (UvStream* stream = std::exchange(stream_, nullptr)) stream->close();
  }

  uv_connect_t req_{};
  UvStream* stream_;  // owned until the connect completes
  std::string name_;
};

}  // namespace

Future<StreamSocketPtr> UvBackend::sock_connect_unix(const std::string& path) {
  check_pipe_name(path, "create_unix_connection");
  Future<StreamSocketPtr> future(event_loop());
  auto* stream = new UvStream(*this);
  StreamSocketPtr owned(stream);
  const int rc = stream->init_pipe();
  if (rc < 0) throw std::system_error(error_code(rc), "uv_pipe_init");
  auto* op = new PipeConnect(*this, static_cast<UvStream*>(owned.release()), path, future);
  op->start();
  return future;
}

ListeningSocketPtr UvBackend::sock_listen_unix(const std::string& path, const ListenOptions& options) {
  // Python: _UnixSelectorEventLoop.create_unix_server, on a named pipe.
  check_pipe_name(path, "create_unix_server");
  UvListener* listener = os::new_listener(*this, options.backlog);
  ListeningSocketPtr owned(listener);
  int rc = listener->init_pipe();
  if (rc < 0) throw std::system_error(error_code(rc), "uv_pipe_init");
  rc = uv_pipe_bind(listener->pipe(), path.c_str());
  if (rc == UV_EADDRINUSE) {
    // Python's wording for a path in use.
    throw OSError(error_code(rc), "Address " + detail::str_repr(path) + " is already in use");
  }
  if (rc < 0) {
    throw std::system_error(error_code(rc), "error while attempting to bind on address " + detail::str_repr(path));
  }
  listener->set_info(os::describe_socket(listener->handle(), AF_UNIX, SOCK_STREAM, 0));
  return owned;
}

}  // namespace asyncio::uv
