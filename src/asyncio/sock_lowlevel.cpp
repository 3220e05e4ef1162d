// The loop's low-level socket coroutines. Python:
// selector_events.BaseSelectorEventLoop.sock_recv, sock_recv_into,
// sock_recvfrom, sock_recvfrom_into, sock_sendall, sock_sendto,
// sock_connect, sock_accept.
//
// Each tries the call at once (a read or write the kernel completes costs
// no registration) and only when it would block watches the descriptor
// (detail::FdWait: one add_reader/add_writer for the whole operation) and
// tries again at each readiness. Cancelling the awaiting task unregisters
// the callback, as CPython's done callbacks do.
#include <string>

#include "asyncio/detail/fd_wait.hpp"
#include "asyncio/detail/os.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/socket.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

namespace {

void check_nonblocking(const Socket& sock) {
  if (sock.getblocking()) throw ValueError("the socket must be non-blocking");
}

Coro<std::size_t> recv_into_impl(EventLoop* loop, Socket* sock, std::span<char> buf) {
  check_nonblocking(*sock);
  std::optional<std::size_t> got = sock->try_recv_into(buf);
  if (!got) {
    detail::FdWait wait(*loop, sock->fileno(), true);
    for (;;) {
      Future<void> ready = wait.next();
      co_await ready;
      got = sock->try_recv_into(buf);
      if (got) break;
    }
  }
  co_return *got;
}

Coro<std::string> recv_impl(EventLoop* loop, Socket* sock, std::size_t nbytes) {
  std::string data(nbytes, '\0');
  auto c = recv_into_impl(loop, sock, std::span<char>(data.data(), data.size()));
  const std::size_t n = co_await std::move(c);
  data.resize(n);
  co_return data;
}

Coro<std::pair<std::size_t, SockAddr>> recvfrom_into_impl(EventLoop* loop, Socket* sock, std::span<char> buf) {
  check_nonblocking(*sock);
  std::optional<std::pair<std::size_t, SockAddr>> got = sock->try_recvfrom_into(buf);
  if (!got) {
    detail::FdWait wait(*loop, sock->fileno(), true);
    for (;;) {
      Future<void> ready = wait.next();
      co_await ready;
      got = sock->try_recvfrom_into(buf);
      if (got) break;
    }
  }
  co_return std::move(*got);
}

Coro<std::pair<std::string, SockAddr>> recvfrom_impl(EventLoop* loop, Socket* sock, std::size_t bufsize) {
  std::string data(bufsize, '\0');
  auto c = recvfrom_into_impl(loop, sock, std::span<char>(data.data(), data.size()));
  std::pair<std::size_t, SockAddr> got = co_await std::move(c);
  data.resize(got.first);
  co_return std::pair<std::string, SockAddr>(std::move(data), std::move(got.second));
}

Coro<void> sendall_impl(EventLoop* loop, Socket* sock, std::string_view data) {
  check_nonblocking(*sock);
  std::size_t pos = sock->try_send(data).value_or(0);
  if (pos == data.size()) co_return;
  detail::FdWait wait(*loop, sock->fileno(), false);
  while (pos < data.size()) {
    Future<void> ready = wait.next();
    co_await ready;
    pos += sock->try_send(data.substr(pos)).value_or(0);
  }
}

Coro<std::size_t> sendto_impl(EventLoop* loop, Socket* sock, std::string_view data, SockAddr address) {
  check_nonblocking(*sock);
  std::optional<std::size_t> sent = sock->try_sendto(data, address);
  if (!sent) {
    detail::FdWait wait(*loop, sock->fileno(), false);
    for (;;) {
      Future<void> ready = wait.next();
      co_await ready;
      sent = sock->try_sendto(data, address);
      if (sent) break;
    }
  }
  co_return *sent;
}

Coro<void> connect_impl(EventLoop* loop, Socket* sock, SockAddr address) {
  // Python: sock_connect resolves AF_INET/AF_INET6 addresses first.
  check_nonblocking(*sock);
  if (sock->family() == detail::af_inet() || sock->family() == detail::af_inet6()) {
    AddrInfoOptions hints{sock->family(), sock->type(), sock->proto(), 0};
    auto resolving = loop->getaddrinfo(address.host, address.port, hints);
    std::vector<AddrInfo> resolved = co_await std::move(resolving);
    if (resolved.empty()) throw OSError("getaddrinfo() returned empty list");
    address = resolved.front().sockaddr;
  }
  if (sock->try_connect(address)) co_return;
  detail::FdWait wait(*loop, sock->fileno(), false);
  for (;;) {
    Future<void> ready = wait.next();
    co_await ready;
    const int err = sock->pending_error();
    if (err != 0) {
      throw std::system_error(err, std::generic_category(), "Connect call failed " + address.repr());
    }
    // Python: _sock_connect_cb: SO_ERROR 0 means connected.
    co_return;
  }
}

Coro<std::pair<Socket, SockAddr>> accept_impl(EventLoop* loop, Socket* sock) {
  check_nonblocking(*sock);
  std::optional<std::pair<Socket, SockAddr>> got = sock->try_accept();
  if (!got) {
    detail::FdWait wait(*loop, sock->fileno(), true);
    for (;;) {
      Future<void> ready = wait.next();
      co_await ready;
      got = sock->try_accept();
      if (got) break;
    }
  }
  co_return std::move(*got);
}

}  // namespace

Coro<std::string> EventLoop::sock_recv(Socket& sock, std::size_t nbytes) {
  check_network("sock_recv");
  return recv_impl(this, &sock, nbytes);
}

Coro<std::size_t> EventLoop::sock_recv_into(Socket& sock, std::span<char> buf) {
  check_network("sock_recv_into");
  return recv_into_impl(this, &sock, buf);
}

Coro<std::pair<std::string, SockAddr>> EventLoop::sock_recvfrom(Socket& sock, std::size_t bufsize) {
  check_network("sock_recvfrom");
  return recvfrom_impl(this, &sock, bufsize);
}

Coro<std::pair<std::size_t, SockAddr>> EventLoop::sock_recvfrom_into(Socket& sock, std::span<char> buf,
                                                                     std::size_t nbytes) {
  check_network("sock_recvfrom_into");
  // Python: socket.recvfrom_into's check.
  if (nbytes > buf.size()) throw ValueError("nbytes is greater than the length of the buffer");
  if (nbytes == 0) nbytes = buf.size();
  return recvfrom_into_impl(this, &sock, buf.first(nbytes));
}

Coro<void> EventLoop::sock_sendall(Socket& sock, std::string_view data) {
  check_network("sock_sendall");
  return sendall_impl(this, &sock, data);
}

Coro<std::size_t> EventLoop::sock_sendto(Socket& sock, std::string_view data, SockAddr address) {
  check_network("sock_sendto");
  return sendto_impl(this, &sock, data, std::move(address));
}

Coro<void> EventLoop::sock_connect(Socket& sock, SockAddr address) {
  check_network("sock_connect");
  return connect_impl(this, &sock, std::move(address));
}

Coro<std::pair<Socket, SockAddr>> EventLoop::sock_accept(Socket& sock) {
  check_network("sock_accept");
  return accept_impl(this, &sock);
}

}  // namespace asyncio
