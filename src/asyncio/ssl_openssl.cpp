// TLS through OpenSSL 3: SSLContext over an SSL_CTX, and TlsEngine (one
// SSL object per connection) over a BIO of our own. Python: Modules/_ssl.c,
// whose defaults, checks and messages this file follows.
//
// Facts about OpenSSL 3 that shape this file:
// - The error queue is per thread: every call starts with ERR_clear_error()
//   and errors are read right after the call that failed.
// - A BIO whose read reports "retry" turns into SSL_ERROR_WANT_READ, which
//   is how a memory transport says "no more bytes yet"; our BIO never
//   reports end of file (asyncio's SSLProtocol never feeds EOF to the TLS
//   library either: a peer closing the TCP connection is handled above).
// - SSL_MODE_RELEASE_BUFFERS frees the record buffers of an idle
//   connection (about 34 KiB), which is most of its memory.
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <system_error>

#include "asyncio/detail/tls.hpp"
#include "asyncio/log.hpp"
#include "asyncio/ssl.hpp"

static_assert(OPENSSL_VERSION_NUMBER >= 0x30000000L, "asyncio needs OpenSSL 3");

namespace asyncio {

// Python's VerifyFlags are OpenSSL's values.
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_CRL_CHECK_LEAF) == X509_V_FLAG_CRL_CHECK);
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_CRL_CHECK_CHAIN) ==
              (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL));
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_X509_STRICT) == X509_V_FLAG_X509_STRICT);
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_ALLOW_PROXY_CERTS) == X509_V_FLAG_ALLOW_PROXY_CERTS);
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_X509_TRUSTED_FIRST) == X509_V_FLAG_TRUSTED_FIRST);
static_assert(static_cast<unsigned long>(VerifyFlags::VERIFY_X509_PARTIAL_CHAIN) == X509_V_FLAG_PARTIAL_CHAIN);

namespace detail {

struct SSLContextImpl {
  SSL_CTX* ctx = nullptr;
  SSLMethod method = PROTOCOL_TLS_CLIENT;
  bool check_hostname = false;
  SNICallback sni_callback;
  std::string alpn;  // wire format: length-prefixed names
  SSLContext* owner = nullptr;

  ~SSLContextImpl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

}  // namespace detail

namespace {

// Python: PY_SSL_DEFAULT_CIPHER_STRING (3.10+).
constexpr const char* kDefaultCiphers =
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";

// ---- Errors (Python: PySSL_SetError, fill_and_set_sslerror) ----

// Python's names of OpenSSL's libraries.
std::string library_name(int lib) {
  switch (lib) {
    case ERR_LIB_SSL:
      return "SSL";
    case ERR_LIB_X509:
      return "X509";
    case ERR_LIB_X509V3:
      return "X509V3";
    case ERR_LIB_PEM:
      return "PEM";
    case ERR_LIB_ASN1:
      return "ASN1";
    case ERR_LIB_EVP:
      return "EVP";
    case ERR_LIB_BIO:
      return "BIO";
    case ERR_LIB_SYS:
      return "SYS";
    case ERR_LIB_RSA:
      return "RSA";
    case ERR_LIB_EC:
      return "EC";
    case ERR_LIB_PKCS12:
      return "PKCS12";
    case ERR_LIB_PROV:
      return "PROV";
    default: {
      const char* s = ERR_lib_error_string(ERR_PACK(lib, 0, 0));
      return s ? s : "";
    }
  }
}

// The mnemonic of a reason ("WRONG_VERSION_NUMBER"): OpenSSL's reason
// strings are the mnemonics in lower case with spaces.
std::string reason_mnemonic(const char* text) {
  std::string s = text ? text : "";
  for (char& c : s) c = c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// `message`, if given, replaces OpenSSL's text of the reason, as Python's
// _setSSLError(errstr=...) does ("[SSL: NO_CIPHER_MATCH] No cipher can be
// selected.").
std::exception_ptr make_ssl_error(int errnum, unsigned long e, const char* fallback, const SSL* ssl = nullptr,
                                  const std::optional<std::string>& hostname = std::nullopt,
                                  const char* message = nullptr) {
  std::string library, reason, errstr;
  if (e != 0) {
    library = library_name(ERR_GET_LIB(e));
    const char* r = ERR_reason_error_string(e);
    if (r != nullptr) {
      errstr = r;
      reason = reason_mnemonic(r);
    }
  }
  if (message != nullptr) errstr = message;
  if (errstr.empty()) errstr = fallback;
  // Python 3.10+: an unexpected EOF is an SSLEOFError.
  if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ERR_clear_error();
    return std::make_exception_ptr(
        SSLEOFError(8, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol", library, reason));
  }
  if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl) {
    const long code = SSL_get_verify_result(ssl);
    std::string verify;
    if (code == X509_V_ERR_HOSTNAME_MISMATCH) {
      verify = "Hostname mismatch, certificate is not valid for '" + hostname.value_or("") + "'.";
    } else if (code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      verify = "IP address mismatch, certificate is not valid for '" + hostname.value_or("") + "'.";
    } else {
      verify = X509_verify_cert_error_string(code);
    }
    ERR_clear_error();
    return std::make_exception_ptr(SSLCertVerificationError(
        errnum, "[" + library + ": " + reason + "] " + errstr + ": " + verify, library, reason, code, verify));
  }
  ERR_clear_error();
  std::string msg;
  if (!library.empty() && !reason.empty())
    msg = "[" + library + ": " + reason + "] " + errstr;
  else if (!library.empty())
    msg = "[" + library + "] " + errstr;
  else
    msg = errstr;
  return std::make_exception_ptr(SSLError(errnum, msg, library, reason));
}

[[noreturn]] void raise_ssl_error(const char* fallback) {
  std::rethrow_exception(make_ssl_error(1, ERR_peek_last_error(), fallback));
}

// The error of a failed SSL call (Python: PySSL_SetError).
std::exception_ptr call_error(const SSL* ssl, int err, const std::optional<std::string>& hostname) {
  switch (err) {
    case SSL_ERROR_ZERO_RETURN:
      return std::make_exception_ptr(SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)"));
    case SSL_ERROR_WANT_READ:
      return std::make_exception_ptr(SSLWantReadError(2, "The operation did not complete (read)"));
    case SSL_ERROR_WANT_WRITE:
      return std::make_exception_ptr(SSLWantWriteError(3, "The operation did not complete (write)"));
    case SSL_ERROR_SYSCALL: {
      const unsigned long e = ERR_peek_last_error();
      if (e == 0) return std::make_exception_ptr(SSLEOFError(8, "EOF occurred in violation of protocol"));
      return make_ssl_error(5, e, "Some I/O error occurred");
    }
    default:
      return make_ssl_error(1, ERR_peek_last_error(), "A failure in the SSL library occurred", ssl, hostname);
  }
}

// A file that cannot be opened is an OSError with its errno, as Python's
// load_cert_chain() and load_verify_locations() raise it.
void check_readable(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int e = errno;
    throw std::system_error(e, std::generic_category(), std::string(what) + " '" + path + "'");
  }
  std::fclose(f);
}

int tls_version_number(TLSVersion v) {
  switch (v) {
    case TLSVersion::MINIMUM_SUPPORTED:
    case TLSVersion::MAXIMUM_SUPPORTED:
      return 0;
    case TLSVersion::SSLv3:
      return SSL3_VERSION;
    case TLSVersion::TLSv1:
      return TLS1_VERSION;
    case TLSVersion::TLSv1_1:
      return TLS1_1_VERSION;
    case TLSVersion::TLSv1_2:
      return TLS1_2_VERSION;
    case TLSVersion::TLSv1_3:
      return TLS1_3_VERSION;
  }
  return 0;
}

TLSVersion tls_version_of(long number, TLSVersion unset) {
  switch (number) {
    case SSL3_VERSION:
      return TLSVersion::SSLv3;
    case TLS1_VERSION:
      return TLSVersion::TLSv1;
    case TLS1_1_VERSION:
      return TLSVersion::TLSv1_1;
    case TLS1_2_VERSION:
      return TLSVersion::TLSv1_2;
    case TLS1_3_VERSION:
      return TLSVersion::TLSv1_3;
    default:
      return unset;
  }
}

// ---- Certificates (Python: _decode_certificate) ----

std::string asn1_string(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return std::string();
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

PeerCertificate::Name decode_name(const X509_NAME* name) {
  PeerCertificate::Name out;
  int last_set = -1;
  const int count = X509_NAME_entry_count(name);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int set = X509_NAME_ENTRY_set(entry);
    if (set != last_set || out.empty()) out.emplace_back();
    last_set = set;
    char key[128];
    OBJ_obj2txt(key, sizeof key, X509_NAME_ENTRY_get_object(entry), 0);
    out.back().emplace_back(key, asn1_string(X509_NAME_ENTRY_get_data(entry)));
  }
  return out;
}

std::string bio_text(void (*print)(BIO*, const void*), const void* what) {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) return std::string();
  print(b, what);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, n > 0 ? static_cast<std::size_t>(n) : 0);
  BIO_free(b);
  return out;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  const int len = ASN1_STRING_length(ip);
  char buf[64];
  if (len == 4) {
    std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    return buf;
  }
  if (len == 16) {
    // Python's format: eight groups, upper-case hex, no zero compression.
    std::string s;
    for (int i = 0; i < 16; i += 2) {
      std::snprintf(buf, sizeof buf, "%X", (p[i] << 8) | p[i + 1]);
      if (i) s += ':';
      s += buf;
    }
    return s;
  }
  return "<invalid>";
}

PeerCertificate decode_certificate(X509* cert) {
  PeerCertificate c;
  c.subject = decode_name(X509_get_subject_name(cert));
  c.issuer = decode_name(X509_get_issuer_name(cert));
  c.version = static_cast<int>(X509_get_version(cert)) + 1;
  c.serial_number = bio_text(
      [](BIO* b, const void* s) { i2a_ASN1_INTEGER(b, static_cast<const ASN1_INTEGER*>(s)); },
      X509_get0_serialNumber(cert));
  c.not_before = bio_text([](BIO* b, const void* t) { ASN1_TIME_print(b, static_cast<const ASN1_TIME*>(t)); },
                          X509_get0_notBefore(cert));
  c.not_after = bio_text([](BIO* b, const void* t) { ASN1_TIME_print(b, static_cast<const ASN1_TIME*>(t)); },
                         X509_get0_notAfter(cert));
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      switch (n->type) {
        case GEN_DNS:
          c.subject_alt_name.emplace_back("DNS", asn1_string(n->d.dNSName));
          break;
        case GEN_EMAIL:
          c.subject_alt_name.emplace_back("email", asn1_string(n->d.rfc822Name));
          break;
        case GEN_URI:
          c.subject_alt_name.emplace_back("URI", asn1_string(n->d.uniformResourceIdentifier));
          break;
        case GEN_IPADD:
          c.subject_alt_name.emplace_back("IP Address", ip_text(n->d.iPAddress));
          break;
        case GEN_RID: {
          char oid[128];
          OBJ_obj2txt(oid, sizeof oid, n->d.registeredID, 1);
          c.subject_alt_name.emplace_back("Registered ID", oid);
          break;
        }
        default:
          c.subject_alt_name.emplace_back(n->type == GEN_DIRNAME ? "DirName" : "othername", "<unsupported>");
          break;
      }
    }
    GENERAL_NAMES_free(names);
  }
  return c;
}

// ---- The BIO between OpenSSL and our buffers ----

class OpenSslEngine;

BIO_METHOD* bio_method();

}  // namespace

namespace {

class OpenSslEngine final : public detail::TlsEngine {
 public:
  OpenSslEngine(detail::SSLContextImpl& ctx, bool server_side, std::optional<std::string> hostname)
      : hostname_(std::move(hostname)) {
    ssl_ = SSL_new(ctx.ctx);
    if (ssl_ == nullptr) raise_ssl_error("SSL_new failed");
    BIO* bio = BIO_new(bio_method());
    if (bio == nullptr) {
      SSL_free(ssl_);
      raise_ssl_error("BIO_new failed");
    }
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO
    if (server_side) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
  }
  ~OpenSslEngine() override { SSL_free(ssl_); }

  SSL* ssl() const noexcept { return ssl_; }
  std::string* out() const noexcept { return out_; }

  detail::TlsResult do_handshake(std::string& out) override {
    Call call(this, out);
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) return {};
    return failure(r);
  }

  detail::TlsResult read(std::span<char> into, std::string& out) override {
    Call call(this, out);
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_, into.data(), into.size(), &n);
    if (r == 1) return {detail::TlsStatus::ok, n, nullptr};
    return failure(r);
  }

  detail::TlsResult write(std::string_view data, std::string& out) override {
    Call call(this, out);
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (r == 1) return {detail::TlsStatus::ok, n, nullptr};
    return failure(r);
  }

  detail::TlsResult shutdown(std::string& out) override {
    // Python: SSLObject.unwrap() (_ssl__SSLSocket_shutdown_impl): a 0
    // (close_notify sent) is retried once to read the peer's.
    Call call(this, out);
    int r = 0;
    for (int zeros = 0;;) {
      if (seen_zero_) SSL_set_read_ahead(ssl_, 0);
      r = SSL_shutdown(ssl_);
      if (r > 0) return {};
      if (r == 0) {
        if (++zeros > 1) return {};
        seen_zero_ = true;
        continue;
      }
      break;
    }
    return failure(r);
  }

  std::size_t pending() const override { return static_cast<std::size_t>(SSL_pending(ssl_)); }

  std::optional<std::string> requested_server_name() const override {
    const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) return std::nullopt;
    return std::string(name);
  }

  std::optional<PeerCertificate> getpeercert() const override {
    X509* cert = SSL_get0_peer_certificate(ssl_);
    if (cert == nullptr || !SSL_is_init_finished(ssl_)) return std::nullopt;
    // Python: a certificate that was not asked to be verified is {}.
    if ((SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(ssl_)) & SSL_VERIFY_PEER) == 0) return PeerCertificate{};
    return decode_certificate(cert);
  }

  std::optional<std::string> getpeercert_der() const override {
    X509* cert = SSL_get0_peer_certificate(ssl_);
    if (cert == nullptr) return std::nullopt;
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n < 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
  }

  std::optional<std::string> selected_alpn_protocol() const override {
    const unsigned char* p = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_, &p, &len);
    if (p == nullptr || len == 0) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(p), len);
  }

  std::optional<Cipher> cipher() const override {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
    if (c == nullptr) return std::nullopt;
    Cipher out;
    out.name = SSL_CIPHER_get_name(c);
    out.protocol = SSL_CIPHER_get_version(c);
    out.secret_bits = SSL_CIPHER_get_bits(c, nullptr);
    return out;
  }

  std::optional<std::string> version() const override {
    if (!SSL_is_init_finished(ssl_)) return std::nullopt;
    return std::string(SSL_get_version(ssl_));
  }

  bool session_reused() const override { return SSL_session_reused(ssl_) == 1; }

  void set_context(SSLContext& context) override {
    // Python: SSLObject.context setter (SSL_set_SSL_CTX).
    if (SSL_set_SSL_CTX(ssl_, context.impl().ctx) == nullptr) raise_ssl_error("SSL_set_SSL_CTX failed");
  }

  /// The exception an SNI callback raised during the last call, if any.
  std::exception_ptr callback_error;

 private:
  // Sets the output target for one OpenSSL call, with a clean error queue.
  struct Call {
    OpenSslEngine* e;
    Call(OpenSslEngine* engine, std::string& out) : e(engine) {
      ERR_clear_error();
      e->out_ = &out;
    }
    ~Call() { e->out_ = nullptr; }
  };

  detail::TlsResult failure(int r) {
    const int err = SSL_get_error(ssl_, r);
    // Python's sslproto retries on SSLWantReadError and SSLSyscallError
    // (SSLAgainErrors); with our BIO a syscall error with an empty queue
    // cannot happen, but is treated the same way.
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
        (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)) {
      return {detail::TlsStatus::want_read, 0, nullptr};
    }
    if (err == SSL_ERROR_ZERO_RETURN) return {detail::TlsStatus::closed, 0, nullptr};
    std::exception_ptr error = call_error(ssl_, err, hostname_);
    if (callback_error) {
      // The SNI callback failed: report its exception, as Python reports
      // it (unraisable), then fail the handshake with the SSL error.
      logger().error("Exception in the SNI callback: " + describe_exception(callback_error));
      callback_error = nullptr;
    }
    return {detail::TlsStatus::failed, 0, error};
  }

  SSL* ssl_ = nullptr;
  std::string* out_ = nullptr;
  std::optional<std::string> hostname_;
  bool seen_zero_ = false;
};

int bio_write(BIO* b, const char* data, std::size_t len, std::size_t* written) {
  BIO_clear_retry_flags(b);
  auto* e = static_cast<OpenSslEngine*>(BIO_get_data(b));
  std::string* out = e->out();
  if (out == nullptr) return 0;  // only inside a call (see OpenSslEngine::Call)
  try {
    out->append(data, len);
  } catch (...) {
    return 0;
  }
  *written = len;
  return 1;
}

int bio_read(BIO* b, char* data, std::size_t len, std::size_t* read) {
  BIO_clear_retry_flags(b);
  auto* e = static_cast<OpenSslEngine*>(BIO_get_data(b));
  const std::size_t n = e->incoming.read(data, len);
  *read = n;
  if (n == 0) {
    BIO_set_retry_read(b);  // no bytes yet: SSL_ERROR_WANT_READ
    return 0;
  }
  return 1;
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // output is in the caller's string already
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<OpenSslEngine*>(BIO_get_data(b))->incoming.size());
    default:  // BIO_CTRL_WPENDING (nothing held back), BIO_CTRL_EOF (never at EOF) and the rest
      return 0;
  }
}

BIO_METHOD* bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "asyncio transport");
    if (m == nullptr) return m;
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    return m;
  }();
  if (method == nullptr) raise_ssl_error("BIO_meth_new failed");
  return method;
}

// The SSLObject of an SSL, for callbacks.
int object_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
// The SSLContextImpl of an SSL_CTX, for callbacks.
int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int servername_callback(SSL* ssl, int* alert, void* arg) {
  // Python: _servername_callback
  auto* impl = static_cast<detail::SSLContextImpl*>(arg);
  auto* object = static_cast<SSLObject*>(SSL_get_ex_data(ssl, object_index()));
  if (impl == nullptr || object == nullptr || !impl->sni_callback) return SSL_TLSEXT_ERR_OK;
  auto& engine = static_cast<OpenSslEngine&>(object->engine());
  try {
    impl->sni_callback(*object, engine.requested_server_name(), *impl->owner);
  } catch (...) {
    engine.callback_error = std::current_exception();
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

int alpn_select_callback(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                         unsigned int inlen, void* arg) {
  // Python: _selectALPN_cb (the client's order wins; no overlap: no ALPN).
  auto* impl = static_cast<detail::SSLContextImpl*>(arg);
  if (impl->alpn.empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* selected = nullptr;
  const int r = SSL_select_next_proto(&selected, outlen, in, inlen,
                                      reinterpret_cast<const unsigned char*>(impl->alpn.data()),
                                      static_cast<unsigned int>(impl->alpn.size()));
  if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int no_password(char*, int, int, void*) { return 0; }

int given_password(char* buf, int size, int, void* userdata) {
  const auto* password = static_cast<const std::string*>(userdata);
  if (password->size() > static_cast<std::size_t>(size)) return -1;
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): OpenSSL reads the length returned, no terminator
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

// ---- SSLContext ----

SSLContext::SSLContext(SSLMethod protocol) : impl_(std::make_unique<detail::SSLContextImpl>()) {
  // Python: _ssl__SSLContext_impl
  impl_->method = protocol;
  impl_->owner = this;
  ERR_clear_error();
  impl_->ctx = SSL_CTX_new(protocol == PROTOCOL_TLS_CLIENT ? TLS_client_method() : TLS_server_method());
  if (impl_->ctx == nullptr) raise_ssl_error("failed to allocate SSL context");
  SSL_CTX* ctx = impl_->ctx;
  SSL_CTX_set_ex_data(ctx, context_index(), impl_.get());
  if (protocol == PROTOCOL_TLS_CLIENT) {
    impl_->check_hostname = true;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  // Python's options, plus renegotiation refused (TLS 1.2 and older; TLS
  // 1.3 has none): a peer asking for it gets a no_renegotiation alert.
  SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, kDefaultCiphers) != 1) raise_ssl_error("No cipher can be selected.");
  // Writes may be retried from another address (the write backlog moves);
  // idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>("asyncio"), 7);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_TRUSTED_FIRST);
  // Python 3.10+: no partial wildcards, never the subject's commonName.
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  SSL_CTX_set_default_passwd_cb(ctx, no_password);  // never prompt on a terminal
  SSL_CTX_set_tlsext_servername_callback(ctx, servername_callback);
  SSL_CTX_set_tlsext_servername_arg(ctx, impl_.get());
  if (protocol == PROTOCOL_TLS_SERVER) SSL_CTX_set_alpn_select_cb(ctx, alpn_select_callback, impl_.get());
}

SSLContext::~SSLContext() = default;

SSLMethod SSLContext::protocol() const noexcept { return impl_->method; }

void SSLContext::load_cert_chain(const std::string& certfile, const std::optional<std::string>& keyfile,
                                 const std::optional<std::string>& password) {
  // Python: _ssl__SSLContext_load_cert_chain_impl
  check_readable(certfile, "certfile");
  if (keyfile) check_readable(*keyfile, "keyfile");
  SSL_CTX* ctx = impl_->ctx;
  std::string pw = password.value_or(std::string());
  if (password) {
    SSL_CTX_set_default_passwd_cb(ctx, given_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, &pw);
  }
  struct Restore {
    SSL_CTX* ctx;
    ~Restore() {
      SSL_CTX_set_default_passwd_cb(ctx, no_password);
      SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
    }
  } restore{ctx};
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()) != 1) raise_ssl_error("PEM lib");
  if (SSL_CTX_use_PrivateKey_file(ctx, keyfile.value_or(certfile).c_str(), SSL_FILETYPE_PEM) != 1)
    raise_ssl_error("PEM lib");
  if (SSL_CTX_check_private_key(ctx) != 1) raise_ssl_error("key values mismatch");
}

void SSLContext::load_verify_locations(const std::optional<std::string>& cafile, const std::optional<std::string>& capath,
                                       const std::optional<std::string>& cadata) {
  // Python: _ssl__SSLContext_load_verify_locations_impl
  if (!cafile && !capath && !cadata) throw TypeError("cafile, capath and cadata cannot be all omitted");
  SSL_CTX* ctx = impl_->ctx;
  ERR_clear_error();
  if (cadata) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    const bool pem = cadata->find("-----BEGIN") != std::string::npos;
    BIO* bio = BIO_new_mem_buf(cadata->data(), static_cast<int>(cadata->size()));
    if (bio == nullptr) raise_ssl_error("BIO_new_mem_buf failed");
    int loaded = 0;
    for (;;) {
      X509* cert = pem ? PEM_read_bio_X509(bio, nullptr, no_password, nullptr) : d2i_X509_bio(bio, nullptr);
      if (cert == nullptr) break;
      if (X509_STORE_add_cert(store, cert) != 1) {
        const unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) != ERR_LIB_X509 || ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
          X509_free(cert);
          BIO_free(bio);
          raise_ssl_error("cannot add the certificate");
        }
      }
      X509_free(cert);
      ++loaded;
    }
    BIO_free(bio);
    if (loaded == 0) {
      ERR_clear_error();
      throw SSLError(1, pem ? "no start line: cadata does not contain a certificate"
                            : "not enough data: cadata does not contain a certificate",
                     "X509", "NO_CERTIFICATE_OR_CRL_FOUND");
    }
    ERR_clear_error();  // the end of the data is reported as an error
  }
  if (cafile) check_readable(*cafile, "cafile");
  if (cafile || capath) {
    if (SSL_CTX_load_verify_locations(ctx, cafile ? cafile->c_str() : nullptr, capath ? capath->c_str() : nullptr) !=
        1) {
      if (capath && !cafile && errno != 0) {
        const int e = errno;
        ERR_clear_error();
        throw std::system_error(e, std::generic_category(), "capath '" + *capath + "'");
      }
      raise_ssl_error("cannot load the verify locations");
    }
  }
}

void SSLContext::set_default_verify_paths() {
  ERR_clear_error();
  if (SSL_CTX_set_default_verify_paths(impl_->ctx) != 1) raise_ssl_error("cannot set the default verify paths");
}

CertStoreStats SSLContext::cert_store_stats() const {
  // Python: _ssl__SSLContext_cert_store_stats_impl
  CertStoreStats stats;
  X509_STORE* store = SSL_CTX_get_cert_store(impl_->ctx);
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509_OBJECT* obj = sk_X509_OBJECT_value(objects, i);
    switch (X509_OBJECT_get_type(obj)) {
      case X509_LU_X509:
        ++stats.x509;
        if (X509_check_ca(X509_OBJECT_get0_X509(obj))) ++stats.x509_ca;
        break;
      case X509_LU_CRL:
        ++stats.crl;
        break;
      default:
        break;
    }
  }
  return stats;
}

void SSLContext::set_ciphers(const std::string& ciphers) {
  ERR_clear_error();
  if (SSL_CTX_set_cipher_list(impl_->ctx, ciphers.c_str()) != 1) {
    std::rethrow_exception(make_ssl_error(1, ERR_peek_last_error(), "", nullptr, std::nullopt, "No cipher can be selected."));
  }
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
  // Python: SSLContext.set_alpn_protocols
  std::string wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255) throw SSLError(1, "ALPN protocols must be 1 to 255 in length");
    wire += static_cast<char>(p.size());
    wire += p;
  }
  impl_->alpn = wire;
  if (impl_->method == PROTOCOL_TLS_CLIENT) {
    if (SSL_CTX_set_alpn_protos(impl_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0) {
      raise_ssl_error("cannot set ALPN protocols");
    }
  }
}

void SSLContext::set_sni_callback(SNICallback callback) {
  // Python: only server contexts call it; setting it on a client context is
  // allowed and has no effect.
  impl_->sni_callback = std::move(callback);
}

bool SSLContext::check_hostname() const noexcept { return impl_->check_hostname; }

void SSLContext::set_check_hostname(bool value) {
  // Python: turning check_hostname on upgrades CERT_NONE to CERT_REQUIRED.
  if (value && verify_mode() == CERT_NONE) set_verify_mode(CERT_REQUIRED);
  impl_->check_hostname = value;
}

VerifyMode SSLContext::verify_mode() const noexcept {
  const int mode = SSL_CTX_get_verify_mode(impl_->ctx);
  if ((mode & SSL_VERIFY_PEER) == 0) return CERT_NONE;
  return (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) ? CERT_REQUIRED : CERT_OPTIONAL;
}

void SSLContext::set_verify_mode(VerifyMode mode) {
  if (mode == CERT_NONE && impl_->check_hostname) {
    throw ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  }
  int flags = SSL_VERIFY_NONE;
  if (mode == CERT_OPTIONAL) flags = SSL_VERIFY_PEER;
  if (mode == CERT_REQUIRED) flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(impl_->ctx, flags, nullptr);
}

VerifyFlags SSLContext::verify_flags() const noexcept {
  return static_cast<VerifyFlags>(X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(impl_->ctx)));
}

void SSLContext::set_verify_flags(VerifyFlags flags) {
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(impl_->ctx);
  const unsigned long now = X509_VERIFY_PARAM_get_flags(param);
  const unsigned long want = static_cast<unsigned long>(flags);
  if ((now & ~want) != 0) X509_VERIFY_PARAM_clear_flags(param, now & ~want);
  if ((want & ~now) != 0) X509_VERIFY_PARAM_set_flags(param, want & ~now);
}

TLSVersion SSLContext::minimum_version() const noexcept {
  return tls_version_of(SSL_CTX_get_min_proto_version(impl_->ctx), TLSVersion::MINIMUM_SUPPORTED);
}

void SSLContext::set_minimum_version(TLSVersion version) {
  // Python: set_min_max_proto_version (MAXIMUM_SUPPORTED as a minimum is
  // the newest version).
  int v = tls_version_number(version);
  if (version == TLSVersion::MAXIMUM_SUPPORTED) v = TLS1_3_VERSION;
  if (SSL_CTX_set_min_proto_version(impl_->ctx, v) != 1) {
    throw ValueError("Unsupported protocol version 0x" + std::to_string(v));
  }
}

TLSVersion SSLContext::maximum_version() const noexcept {
  return tls_version_of(SSL_CTX_get_max_proto_version(impl_->ctx), TLSVersion::MAXIMUM_SUPPORTED);
}

void SSLContext::set_maximum_version(TLSVersion version) {
  int v = tls_version_number(version);
  if (version == TLSVersion::MINIMUM_SUPPORTED) v = TLS1_VERSION;
  if (SSL_CTX_set_max_proto_version(impl_->ctx, v) != 1) {
    throw ValueError("Unsupported protocol version 0x" + std::to_string(v));
  }
}

// ---- Sessions ----

namespace detail {

std::shared_ptr<SSLObject> tls_wrap(const std::shared_ptr<SSLContext>& context, bool server_side,
                                    const std::optional<std::string>& server_hostname) {
  // Python: SSLContext.wrap_bio -> SSLObject._create -> _ssl__SSLContext__wrap_bio
  if (!context) throw TypeError("sslcontext is expected to be an instance of ssl.SSLContext, got None");
  SSLContextImpl& impl = context->impl();
  if (server_side && impl.method == PROTOCOL_TLS_CLIENT) {
    throw ValueError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
  }
  if (!server_side && impl.method == PROTOCOL_TLS_SERVER) {
    throw ValueError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
  }
  std::optional<std::string> hostname = server_side ? std::nullopt : server_hostname;
  if (hostname && (hostname->empty() || hostname->front() == '.')) {
    throw ValueError("server_hostname cannot be an empty string or start with a leading dot.");
  }
  if (!server_side && impl.check_hostname && !hostname) throw ValueError("check_hostname requires server_hostname");

  auto engine = std::make_unique<OpenSslEngine>(impl, server_side, hostname);
  SSL* ssl = engine->ssl();
  if (hostname) {
    // Python: _ssl_configure_hostname: SNI for names (not addresses), and
    // the name or address to verify when check_hostname is on.
    const bool ip = is_ip_address(*hostname);
    if (!ip && SSL_set_tlsext_host_name(ssl, hostname->c_str()) != 1) raise_ssl_error("cannot set the SNI name");
    if (impl.check_hostname) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname->c_str())
                        : X509_VERIFY_PARAM_set1_host(param, hostname->c_str(), hostname->size());
      if (ok != 1) raise_ssl_error("cannot set the host name to verify");
    }
  }
  auto object = std::make_shared<SSLObject>(context, server_side, hostname, std::move(engine));
  SSL_set_ex_data(ssl, object_index(), object.get());
  return object;
}

bool tls_available() noexcept { return true; }

void check_tls_available(const char*, const std::string&) {}

}  // namespace detail

}  // namespace asyncio
