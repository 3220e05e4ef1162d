// asyncio::Socket where there are no sockets (WebAssembly, bare metal): a
// capability gap of its own file, as libuv's no-fsevents.c. Every way to
// make a socket raises NotImplementedError naming the platform; the other
// members cannot be reached on a socket that never existed.
#include <cerrno>
#include <string>

#include "asyncio/detail/socket_os.hpp"

#include "asyncio/exceptions.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/socket.hpp"

namespace asyncio {

namespace detail {
int sock_dgram() noexcept { return 2; }
void set_reuse_port(Socket&) { throw NotImplementedError("socket is not available"); }
void set_broadcast(Socket&) { throw NotImplementedError("socket is not available"); }
void remove_stale_unix_socket(const std::string&) noexcept {}
int dup_fd(int) noexcept {
  errno = ENOSYS;
  return -1;
}
long long file_size(int) noexcept { return -1; }
bool seek_file(int, std::int64_t) noexcept {
  errno = ENOSYS;
  return false;
}
long long read_file(int, char*, std::size_t) noexcept {
  errno = ENOSYS;
  return -1;
}
}  // namespace detail

namespace {
[[noreturn]] void unavailable(const char* what) {
  throw NotImplementedError(std::string(what) + " is not available on " + std::string(platform::name));
}
}  // namespace

Socket::Socket(int, int, int) { unavailable("socket"); }
Socket Socket::from_fd(int) { unavailable("socket"); }
Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), family_(other.family_), type_(other.type_), proto_(other.proto_) {}
Socket& Socket::operator=(Socket&& other) noexcept {
  fd_ = std::exchange(other.fd_, -1);
  return *this;
}
Socket::~Socket() = default;
void Socket::close() noexcept { fd_ = -1; }
int Socket::detach() noexcept { return std::exchange(fd_, -1); }
void Socket::setblocking(bool) { unavailable("socket"); }
void Socket::bind(const SockAddr&) { unavailable("socket"); }
void Socket::bind(const std::string&, int) { unavailable("socket"); }
void Socket::listen(int) { unavailable("socket"); }
void Socket::connect(const SockAddr&) { unavailable("socket"); }
SockAddr Socket::getsockname() const { unavailable("socket"); }
SockAddr Socket::getpeername() const { unavailable("socket"); }
void Socket::setsockopt(int, int, int) { unavailable("socket"); }
int Socket::getsockopt(int, int) const { unavailable("socket"); }
void Socket::shutdown(int) { unavailable("socket"); }
std::size_t Socket::send(std::string_view) { unavailable("socket"); }
std::string Socket::recv(std::size_t) { unavailable("socket"); }
std::size_t Socket::sendto(std::string_view, const SockAddr&) { unavailable("socket"); }
std::pair<std::string, SockAddr> Socket::recvfrom(std::size_t) { unavailable("socket"); }
std::optional<std::size_t> Socket::try_recv_into(std::span<char>) { unavailable("socket"); }
std::optional<std::pair<std::size_t, SockAddr>> Socket::try_recvfrom_into(std::span<char>) { unavailable("socket"); }
std::optional<std::size_t> Socket::try_send(std::string_view) { unavailable("socket"); }
std::optional<std::size_t> Socket::try_sendto(std::string_view, const SockAddr&) { unavailable("socket"); }
bool Socket::try_connect(const SockAddr&) { unavailable("socket"); }
int Socket::pending_error() const { unavailable("socket"); }
std::optional<std::pair<Socket, SockAddr>> Socket::try_accept() { unavailable("socket"); }
std::optional<std::size_t> Socket::try_sendfile(int, std::int64_t, std::size_t) { unavailable("socket"); }
std::pair<Socket, Socket> socketpair(int, int, int) { unavailable("socketpair"); }

}  // namespace asyncio
