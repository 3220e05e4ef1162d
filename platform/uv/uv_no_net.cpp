// The libuv backend where its network code is not ported yet (Windows: the
// port to uv_tcp_t / uv_pipe_t follows, issue 10). A capability gap of its
// own file, as libuv's no-fsevents.c: supports_network() is false there, so
// the loop's network methods raise NotImplementedError("<method> is not
// available on win32") before reaching the backend; these keep Backend's
// defaults, which raise the same, for code that calls the backend directly.
#include "asyncio/futures.hpp"
#include "uv_backend.hpp"

namespace asyncio::uv {

Future<std::vector<AddrInfo>> UvBackend::getaddrinfo(const std::optional<std::string>& host,
                                                     const std::optional<std::string>& port, int family, int type,
                                                     int proto, int flags) {
  return Backend::getaddrinfo(host, port, family, type, proto, flags);
}

Future<NameInfo> UvBackend::getnameinfo(const SockAddr& address, int flags) {
  return Backend::getnameinfo(address, flags);
}

Future<StreamSocketPtr> UvBackend::sock_connect(const AddrInfo& remote, const SockAddr* local) {
  return Backend::sock_connect(remote, local);
}

Future<StreamSocketPtr> UvBackend::sock_connect_unix(const std::string& path) {
  return Backend::sock_connect_unix(path);
}

ListeningSocketPtr UvBackend::sock_listen(const AddrInfo& address, const ListenOptions& options) {
  return Backend::sock_listen(address, options);
}

ListeningSocketPtr UvBackend::sock_listen_unix(const std::string& path, const ListenOptions& options) {
  return Backend::sock_listen_unix(path, options);
}

StreamSocketPtr UvBackend::sock_adopt(int fd, int family) { return Backend::sock_adopt(fd, family); }

ListeningSocketPtr UvBackend::sock_adopt_listener(int fd, int family, const ListenOptions& options) {
  return Backend::sock_adopt_listener(fd, family, options);
}

}  // namespace asyncio::uv
