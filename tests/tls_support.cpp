// The TLS tests' PKI and blocking peers, with OpenSSL directly (the test
// side is written independently of the library under test).
#include "tls_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace test::tls {

namespace {

std::string openssl_error(const char* what) {
  std::string s = what;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += std::string(": ") + buf;
  }
  return s;
}

[[noreturn]] void fail(const char* what) { throw std::runtime_error(openssl_error(what)); }

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("EVP_EC_gen");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) fail("X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  std::string cn;
  bool ca = false;
  std::string san{};  // "DNS:localhost,IP:127.0.0.1"
  std::string eku{};  // "serverAuth"
  long not_before = -3600;        // seconds from now
  long not_after = 30L * 86400;   // seconds from now
  long serial = 1;
};

// Signs a certificate for `key` with `issuer_key` (self-signed if `issuer` is null).
X509* make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("XX"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("asyncio-cpp tests"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509* ext_issuer = issuer ? issuer : cert;
  if (spec.ca) {
    add_ext(cert, ext_issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, ext_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, ext_issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, ext_issuer, NID_key_usage, "critical,digitalSignature");
  }
  add_ext(cert, ext_issuer, NID_subject_key_identifier, "hash");
  add_ext(cert, ext_issuer, NID_authority_key_identifier, "keyid:always");
  if (!spec.san.empty()) add_ext(cert, ext_issuer, NID_subject_alt_name, spec.san.c_str());
  if (!spec.eku.empty()) add_ext(cert, ext_issuer, NID_ext_key_usage, spec.eku.c_str());
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) fail("X509_sign");
  return cert;
}

void write_cert(const std::string& path, X509* cert) {
  BIO* b = BIO_new_file(path.c_str(), "w");
  if (b == nullptr || PEM_write_bio_X509(b, cert) != 1) fail("PEM_write_bio_X509");
  BIO_free(b);
}

void write_key(const std::string& path, EVP_PKEY* key, const char* password = nullptr) {
  BIO* b = BIO_new_file(path.c_str(), "w");
  const EVP_CIPHER* cipher = password ? EVP_aes_256_cbc() : nullptr;
  if (b == nullptr ||
      PEM_write_bio_PrivateKey(b, key, cipher, reinterpret_cast<const unsigned char*>(password),
                               password ? static_cast<int>(std::char_traits<char>::length(password)) : 0, nullptr,
                               nullptr) != 1) {
    fail("PEM_write_bio_PrivateKey");
  }
  BIO_free(b);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Pki {
  Certs certs;
  std::string tmpdir;
  Pki() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "asyncio-tls-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    tmpdir = tmpl;
    Certs& c = certs;
    c.dir = tmpdir;
    auto file = [&](const char* name) { return tmpdir + "/" + name; };

    EVP_PKEY* ca_key = new_key();
    X509* ca = make_cert({.cn = "asyncio-cpp test CA", .ca = true, .serial = 100}, ca_key, nullptr, ca_key);
    c.ca_cert = file("ca.pem");
    write_cert(c.ca_cert, ca);
    c.ca_pem = read_file(c.ca_cert);

    auto leaf = [&](const char* stem, CertSpec spec, X509* issuer, EVP_PKEY* issuer_key, std::string& cert_path,
                    std::string& key_path) {
      EVP_PKEY* key = new_key();
      X509* cert = make_cert(spec, key, issuer, issuer_key);
      cert_path = file((std::string(stem) + ".pem").c_str());
      key_path = file((std::string(stem) + ".key").c_str());
      write_cert(cert_path, cert);
      write_key(key_path, key);
      X509_free(cert);
      return key;
    };
    EVP_PKEY* server_key =
        leaf("server", {.cn = "localhost", .san = "DNS:localhost,IP:127.0.0.1", .eku = "serverAuth", .serial = 1}, ca,
             ca_key, c.server_cert, c.server_key);
    c.server_key_encrypted = file("server-encrypted.key");
    write_key(c.server_key_encrypted, server_key, "secret");
    EVP_PKEY_free(server_key);
    EVP_PKEY_free(leaf("expired",
                       {.cn = "localhost",
                        .san = "DNS:localhost,IP:127.0.0.1",
                        .eku = "serverAuth",
                        .not_before = -2 * 86400,
                        .not_after = -86400,
                        .serial = 2},
                       ca, ca_key, c.expired_cert, c.expired_key));
    EVP_PKEY_free(leaf("wrong-name", {.cn = "wrong.example", .san = "DNS:wrong.example", .eku = "serverAuth", .serial = 3},
                       ca, ca_key, c.wrong_name_cert, c.wrong_name_key));
    EVP_PKEY_free(leaf("client", {.cn = "test client", .san = "DNS:client.localhost", .eku = "clientAuth", .serial = 4},
                       ca, ca_key, c.client_cert, c.client_key));
    EVP_PKEY_free(leaf("other", {.cn = "other.localhost", .san = "DNS:other.localhost", .eku = "serverAuth", .serial = 5},
                       ca, ca_key, c.other_cert, c.other_key));
    EVP_PKEY* other_ca_key = new_key();
    X509* other_ca = make_cert({.cn = "some other CA", .ca = true, .serial = 200}, other_ca_key, nullptr, other_ca_key);
    EVP_PKEY_free(leaf("unknown-ca",
                       {.cn = "localhost", .san = "DNS:localhost,IP:127.0.0.1", .eku = "serverAuth", .serial = 6},
                       other_ca, other_ca_key, c.unknown_ca_cert, c.unknown_ca_key));
    X509_free(other_ca);
    EVP_PKEY_free(other_ca_key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
  }
  ~Pki() {
    std::error_code ec;
    std::filesystem::remove_all(tmpdir, ec);
  }
};

SSL_CTX* peer_context(const PeerSocket::TlsOptions& o) {
  const Certs& c = certs();
  SSL_CTX* ctx = SSL_CTX_new(o.server_side ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) fail("SSL_CTX_new");
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx, *o.max_version);
  if (o.server_side || o.cert) {
    const std::string cert = o.cert.value_or(c.server_cert);
    const std::string key = o.key.value_or(c.server_key);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      fail("loading the peer's certificate");
    }
  }
  if (o.verify_ca) {
    SSL_CTX_load_verify_locations(ctx, c.ca_cert.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

void set_timeouts(int fd, double timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout);
  tv.tv_usec = static_cast<suseconds_t>((timeout - static_cast<double>(tv.tv_sec)) * 1e6);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

const Certs& certs() {
  static Pki pki = [] {
    // A peer writing to a socket the other side closed gets EPIPE, not
    // SIGPIPE (Python ignores it too).
    std::signal(SIGPIPE, SIG_IGN);
    return Pki();
  }();
  return pki.certs;
}

std::shared_ptr<asyncio::SSLContext> server_context() {
  auto ctx = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_SERVER);
  ctx->load_cert_chain(certs().server_cert, certs().server_key);
  return ctx;
}

std::shared_ptr<asyncio::SSLContext> client_context() {
  return asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, {.cafile = certs().ca_cert});
}

std::shared_ptr<asyncio::SSLContext> insecure_client_context() {
  auto ctx = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_CLIENT);
  ctx->set_check_hostname(false);
  ctx->set_verify_mode(asyncio::CERT_NONE);
  return ctx;
}

// ---- PeerSocket ----

PeerSocket::PeerSocket(int fd, double timeout) : fd_(fd) { set_timeouts(fd_, timeout); }

PeerSocket::~PeerSocket() { close(); }

void PeerSocket::close() {
  if (ssl_) SSL_free(static_cast<SSL*>(ssl_));
  if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  ssl_ = ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void PeerSocket::starttls(const TlsOptions& options) {
  SSL_CTX* ctx = peer_context(options);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd_);
  if (options.sni) SSL_set_tlsext_host_name(ssl, options.sni->c_str());
  const int r = options.server_side ? SSL_accept(ssl) : SSL_connect(ssl);
  if (r != 1) {
    const std::string err = openssl_error(options.server_side ? "SSL_accept" : "SSL_connect");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    throw std::runtime_error(err);
  }
  ssl_ = ssl;
  ctx_ = ctx;
}

void PeerSocket::sendall(std::string_view data) {
  while (!data.empty()) {
    if (ssl_) {
      std::size_t n = 0;
      if (SSL_write_ex(static_cast<SSL*>(ssl_), data.data(), data.size(), &n) != 1) fail("SSL_write");
      data.remove_prefix(n);
    } else {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed: " + std::to_string(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
}

void PeerSocket::send_raw(std::string_view data) {
  if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) < 0) throw std::runtime_error("send failed");
}

std::string PeerSocket::recv(std::size_t max) {
  max = std::min<std::size_t>(max, 256 * 1024);
  std::string buf(max, '\0');
  if (ssl_) {
    std::size_t n = 0;
    if (SSL_read_ex(static_cast<SSL*>(ssl_), buf.data(), max, &n) != 1) {
      const int err = SSL_get_error(static_cast<SSL*>(ssl_), 0);
      if (err == SSL_ERROR_ZERO_RETURN) return std::string();
      // Python's wrap_socket(suppress_ragged_eofs=True): a TCP EOF without
      // close_notify reads as the end too.
      const unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return std::string();
      }
      fail("SSL_read");
    }
    buf.resize(n);
    return buf;
  }
  const ssize_t n = ::recv(fd_, buf.data(), max, 0);
  if (n < 0) throw std::runtime_error("recv failed: " + std::to_string(errno));
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string PeerSocket::recv_all(std::size_t n) {
  std::string out;
  while (out.size() < n) {
    std::string chunk = recv(n - out.size());
    if (chunk.empty()) throw std::runtime_error("ConnectionAbortedError");
    out += chunk;
  }
  return out;
}

void PeerSocket::unwrap() {
  // Python: SSLSocket.unwrap(): close_notify both ways.
  auto* ssl = static_cast<SSL*>(ssl_);
  int r = SSL_shutdown(ssl);
  if (r == 0) r = SSL_shutdown(ssl);
  if (r != 1) fail("SSL_shutdown");
}

void PeerSocket::send_close_notify() {
  if (SSL_shutdown(static_cast<SSL*>(ssl_)) < 0) fail("SSL_shutdown");
}

void PeerSocket::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string PeerSocket::tls_version() const { return ssl_ ? SSL_get_version(static_cast<SSL*>(ssl_)) : "plain"; }

// ---- InnerTls ----

InnerTls::InnerTls(PeerSocket& outer) : outer_(outer) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  BIO_up_ref(in);
  BIO_up_ref(out);
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  ctx_ = ctx;
  ssl_ = ssl;
  in_ = in;
  out_ = out;
}

InnerTls::~InnerTls() {
  SSL_free(static_cast<SSL*>(ssl_));
  BIO_free(static_cast<BIO*>(in_));
  BIO_free(static_cast<BIO*>(out_));
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

int InnerTls::pump(const std::function<int()>& op) {
  auto* ssl = static_cast<SSL*>(ssl_);
  auto* out = static_cast<BIO*>(out_);
  auto flush = [&] {
    char buf[16384];
    int n = 0;
    while ((n = BIO_read(out, buf, sizeof buf)) > 0) outer_.sendall(std::string_view(buf, static_cast<std::size_t>(n)));
  };
  for (;;) {
    const int r = op();
    if (r > 0) {
      flush();
      return r;
    }
    const int err = SSL_get_error(ssl, r);
    if (err == SSL_ERROR_ZERO_RETURN) {
      flush();
      return 0;
    }
    if (err != SSL_ERROR_WANT_READ) fail("inner TLS");
    flush();
    const std::string more = outer_.recv(65536);
    if (more.empty()) throw std::runtime_error("inner TLS: EOF");
    BIO_write(static_cast<BIO*>(in_), more.data(), static_cast<int>(more.size()));
  }
}

void InnerTls::handshake() {
  pump([this] { return SSL_do_handshake(static_cast<SSL*>(ssl_)); });
}

void InnerTls::write(std::string_view data) {
  while (!data.empty()) {
    const int n = pump([&] { return SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(data.size())); });
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string InnerTls::read(std::size_t n) {
  std::string buf(n, '\0');
  const int got = pump([&] { return SSL_read(static_cast<SSL*>(ssl_), buf.data(), static_cast<int>(n)); });
  buf.resize(static_cast<std::size_t>(got));
  return buf;
}

void InnerTls::unwrap() {
  auto* ssl = static_cast<SSL*>(ssl_);
  pump([ssl] {
    const int r = SSL_shutdown(ssl);
    if (r == 0) return SSL_shutdown(ssl);
    return r;
  });
}

// ---- PeerProcess ----

PeerProcess::PeerProcess(std::vector<std::string> argv) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  pid_ = pid;
  in_ = in[1];
  out_reader_ = std::thread([this, fd = out[0]] { drain(fd, out_); });
  err_reader_ = std::thread([this, fd = err[0]] { drain(fd, err_); });
}

PeerProcess::~PeerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  close_stdin();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

void PeerProcess::write_stdin(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(in_, data.data(), data.size());
    if (n <= 0) throw std::runtime_error("write to peer failed");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void PeerProcess::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

int PeerProcess::wait(double timeout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  int status = 0;
  while (pid_ > 0) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      status = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close_stdin();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  return status == -1 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

void PeerProcess::kill(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::string PeerProcess::out() {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_;
}

std::string PeerProcess::err() {
  std::lock_guard<std::mutex> lock(mutex_);
  return err_;
}

void PeerProcess::drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mutex_);
    into.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
}

void connect_loopback(PeerSocket& sock, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw std::runtime_error("connect failed: " + std::to_string(errno));
  }
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

// ---- ThreadedServer / ThreadedClient ----

ThreadedServer::ThreadedServer(std::function<void(PeerSocket&)> prog, int max_clients, double timeout) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 128) != 0) {
    throw std::runtime_error("listen failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this, prog = std::move(prog), max_clients, timeout] {
    const double deadline_ms = timeout * 1000;
    double waited = 0;
    while (!stop_ && served_ < max_clients && waited < deadline_ms) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        waited += 50;
        continue;
      }
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      PeerSocket sock(fd, timeout);
      try {
        prog(sock);
      } catch (const std::exception& e) {
        errors_.push_back(e.what());
      }
      ++served_;
    }
  });
}

ThreadedServer::~ThreadedServer() {
  stop_ = true;
  join();
  if (listener_ >= 0) ::close(listener_);
}

void ThreadedServer::join() {
  // Python: SocketThread.stop(): the client being served is finished first.
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> ThreadedServer::errors() const { return errors_; }

ThreadedClient::ThreadedClient(std::function<void(PeerSocket&)> prog, double timeout) {
  thread_ = std::thread([this, prog = std::move(prog), timeout] {
    PeerSocket sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), timeout);
    try {
      prog(sock);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  });
}

ThreadedClient::~ThreadedClient() { join(); }

void ThreadedClient::join() {
  if (thread_.joinable()) thread_.join();
}

std::string ThreadedClient::error() const { return error_; }

}  // namespace test::tls
