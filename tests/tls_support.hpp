// Helpers of the TLS tests: a throw-away PKI made when a test binary first
// asks for it (nothing that expires is committed), and blocking TLS peers
// running in threads, as CPython's test_ssl.py has (TestThreadedServer,
// TestThreadedClient, sock.starttls()), written with OpenSSL directly.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asyncio/detail/sslproto.hpp>

#include "net_support.hpp"

/// A check in a peer thread: Catch2's assertions are not thread-safe, so it
/// throws, and ThreadedServer / ThreadedClient record the failure for the
/// test to check (errors(), error()).
#define PEER_CHECK(cond)                                                      \
  do {                                                                        \
    if (!(cond)) throw std::runtime_error("peer check failed: " #cond);      \
  } while (false)

namespace test::tls {

/// PEM files in a temporary directory, removed when the process exits.
struct Certs {
  std::string dir;
  std::string ca_cert;  // the test CA (EC P-256, RFC 5280 strict)
  std::string ca_pem;   // its PEM text (for cadata)
  /// localhost: SAN DNS:localhost and IP:127.0.0.1, signed by the CA
  std::string server_cert, server_key;
  /// the same key, encrypted with the password "secret"
  std::string server_key_encrypted;
  /// signed by the CA, expired yesterday
  std::string expired_cert, expired_key;
  /// signed by the CA for "wrong.example" only
  std::string wrong_name_cert, wrong_name_key;
  /// a certificate for localhost signed by another (unknown) CA
  std::string unknown_ca_cert, unknown_ca_key;
  /// a client certificate (CN=test client), signed by the CA
  std::string client_cert, client_key;
  /// a second server identity (CN/SAN other.localhost), for SNI tests
  std::string other_cert, other_key;
};

/// The process's certificates (made on first use). Throws
/// asyncio::NotImplementedError where the tests have no TLS library.
const Certs& certs();

/// A PROTOCOL_TLS_SERVER context presenting the localhost certificate.
std::shared_ptr<asyncio::SSLContext> server_context();
/// A client context trusting the test CA and checking host names.
std::shared_ptr<asyncio::SSLContext> client_context();
/// A client context verifying nothing (CPython: simple_client_sslcontext()).
std::shared_ptr<asyncio::SSLContext> insecure_client_context();

/// A blocking socket of a peer thread, optionally speaking TLS (OpenSSL).
/// Python: test_ssl's TestSocketWrapper over a socket / SSLSocket.
class PeerSocket {
 public:
  /// Takes ownership of `fd`; reads and writes time out after `timeout` s.
  explicit PeerSocket(int fd, double timeout = 30.0);
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;
  ~PeerSocket();

  /// TLS handshake over the socket. Server side presents the localhost
  /// certificate (or `cert`/`key`); client side verifies nothing unless
  /// `verify_ca`. Throws std::runtime_error with OpenSSL's reason.
  struct TlsOptions {
    bool server_side = false;
    std::optional<std::string> cert{};
    std::optional<std::string> key{};
    bool verify_ca = false;
    std::optional<std::string> sni{};
    std::optional<int> max_version{};  // TLS1_2_VERSION, ...
  };
  void starttls(const TlsOptions& options);
  void starttls(bool server_side) { starttls(TlsOptions{.server_side = server_side}); }
  /// Sends everything (through TLS once started).
  void sendall(std::string_view data);
  /// Up to `max` bytes; "" at EOF (close_notify, or a TCP EOF: Python's
  /// suppress_ragged_eofs=True).
  std::string recv(std::size_t max);
  /// Exactly `n` bytes; throws std::runtime_error("ConnectionAbortedError") at EOF first.
  std::string recv_all(std::size_t n);
  /// Bidirectional TLS shutdown (close_notify both ways), back to plain.
  void unwrap();
  /// Sends close_notify only.
  void send_close_notify();
  /// shutdown(SHUT_WR) of the TCP socket.
  void shutdown_write();
  /// Sends raw bytes under TLS (corrupting the stream).
  void send_raw(std::string_view data);
  void close();
  int fd() const noexcept { return fd_; }
  /// The TLS version negotiated ("TLSv1.3").
  std::string tls_version() const;

 private:
  int fd_;
  void* ssl_ = nullptr;  // SSL*
  void* ctx_ = nullptr;  // SSL_CTX*
};

/// A client TLS session inside a PeerSocket's own TLS, over memory BIOs
/// (test_create_server_ssl_over_ssl does this by hand: wrap_socket() cannot
/// wrap an SSLSocket). Verifies nothing.
class InnerTls {
 public:
  explicit InnerTls(PeerSocket& outer);
  InnerTls(const InnerTls&) = delete;
  InnerTls& operator=(const InnerTls&) = delete;
  ~InnerTls();
  void handshake();
  void write(std::string_view data);
  /// Up to `n` bytes; "" at close_notify.
  std::string read(std::size_t n);
  void unwrap();

 private:
  // Runs `op` until it stops asking for bytes, moving records between the
  // memory BIOs and the outer session. Python: the test's do().
  int pump(const std::function<int()>& op);
  PeerSocket& outer_;
  void* ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;  // SSL*
  void* in_ = nullptr;   // BIO*
  void* out_ = nullptr;  // BIO*
};

/// A thread serving connections of a listening 127.0.0.1 socket one
/// after the other with `prog`, at most `max_clients`. Python:
/// test_ssl's TestThreadedServer. Errors `prog` throws are kept; join()
/// (or the destructor) waits for the thread.
class ThreadedServer {
 public:
  explicit ThreadedServer(std::function<void(PeerSocket&)> prog, int max_clients = 10, double timeout = 30.0);
  ~ThreadedServer();
  int port() const noexcept { return port_; }
  /// Stops accepting and waits for the thread (the client being served
  /// is served to the end).
  void join();
  void stop() { stop_ = true; }
  /// What the clients' programs threw, in order.
  std::vector<std::string> errors() const;
  int served() const noexcept { return served_.load(); }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::vector<std::string> errors_;
  std::thread thread_;
};

/// A thread running `prog` on a fresh TCP socket (connect it yourself).
/// Python: test_ssl's TestThreadedClient.
class ThreadedClient {
 public:
  explicit ThreadedClient(std::function<void(PeerSocket&)> prog, double timeout = 30.0);
  ~ThreadedClient();
  void join();
  std::string error() const;

 private:
  std::string error_;
  std::thread thread_;
};

/// A peer program (openssl s_server / s_client, curl) with its standard
/// streams on pipes, read by threads into out() and err().
class PeerProcess {
 public:
  explicit PeerProcess(std::vector<std::string> argv);
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess();
  /// Writes to the peer's standard input (blocking).
  void write_stdin(std::string_view data);
  void close_stdin();
  /// Waits for the peer to exit (killed after `timeout` s); its exit status
  /// (128 + signal if killed by one, -1 after the timeout).
  int wait(double timeout = 30.0);
  void kill(int sig);
  std::string out();
  std::string err();

 private:
  void drain(int fd, std::string& into);
  int pid_ = -1;
  int in_ = -1;
  std::mutex mutex_;
  std::string out_;
  std::string err_;
  std::thread out_reader_;
  std::thread err_reader_;
};

/// Connects a blocking socket to 127.0.0.1:`port`.
void connect_loopback(PeerSocket& sock, int port);

/// The SHA-256 of `data`, in hexadecimal.
std::string sha256_hex(std::string_view data);

}  // namespace test::tls
