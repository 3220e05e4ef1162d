// The TLS tests' helpers where asyncio has no TLS library (WebAssembly):
// every [tls] test is registered as skipped, so these only have to link.
#include <stdexcept>

#include "tls_support.hpp"

namespace test::tls {

namespace {
[[noreturn]] void unavailable() { throw asyncio::NotImplementedError("the TLS tests need a TLS library"); }
}  // namespace

const Certs& certs() { unavailable(); }
std::shared_ptr<asyncio::SSLContext> server_context() { unavailable(); }
std::shared_ptr<asyncio::SSLContext> client_context() { unavailable(); }
std::shared_ptr<asyncio::SSLContext> insecure_client_context() { unavailable(); }

PeerSocket::PeerSocket(int fd, double) : fd_(fd) {}
PeerSocket::~PeerSocket() = default;
void PeerSocket::starttls(const TlsOptions&) { unavailable(); }
void PeerSocket::sendall(std::string_view) { unavailable(); }
std::string PeerSocket::recv(std::size_t) { unavailable(); }
std::string PeerSocket::recv_all(std::size_t) { unavailable(); }
void PeerSocket::unwrap() { unavailable(); }
void PeerSocket::send_close_notify() { unavailable(); }
void PeerSocket::shutdown_write() { unavailable(); }
void PeerSocket::send_raw(std::string_view) { unavailable(); }
void PeerSocket::close() {}
std::string PeerSocket::tls_version() const { unavailable(); }

InnerTls::InnerTls(PeerSocket& outer) : outer_(outer) { unavailable(); }
InnerTls::~InnerTls() = default;
void InnerTls::handshake() { unavailable(); }
void InnerTls::write(std::string_view) { unavailable(); }
std::string InnerTls::read(std::size_t) { unavailable(); }
void InnerTls::unwrap() { unavailable(); }
int InnerTls::pump(const std::function<int()>&) { unavailable(); }

ThreadedServer::ThreadedServer(std::function<void(PeerSocket&)>, int, double) { unavailable(); }
ThreadedServer::~ThreadedServer() = default;
void ThreadedServer::join() {}
std::vector<std::string> ThreadedServer::errors() const { return errors_; }

ThreadedClient::ThreadedClient(std::function<void(PeerSocket&)>, double) { unavailable(); }
ThreadedClient::~ThreadedClient() = default;
void ThreadedClient::join() {}
std::string ThreadedClient::error() const { return error_; }

PeerProcess::PeerProcess(std::vector<std::string>) { unavailable(); }
PeerProcess::~PeerProcess() = default;
void PeerProcess::write_stdin(std::string_view) { unavailable(); }
void PeerProcess::close_stdin() {}
int PeerProcess::wait(double) { unavailable(); }
void PeerProcess::kill(int) {}
std::string PeerProcess::out() { return out_; }
std::string PeerProcess::err() { return err_; }
void PeerProcess::drain(int, std::string&) {}

void connect_loopback(PeerSocket&, int) { unavailable(); }
std::string sha256_hex(std::string_view) { unavailable(); }

}  // namespace test::tls
