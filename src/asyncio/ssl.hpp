// TLS settings for the loop's connections and servers. Python: the parts of
// the ssl module asyncio programs use (ssl.SSLContext,
// ssl.create_default_context(), the CERT_* / PROTOCOL_* / TLSVersion /
// VerifyFlags constants).
//
//   auto ctx = asyncio::create_default_context();            // verifies the server
//   auto [reader, writer] = co_await asyncio::open_connection("example.org", 443, {.ssl = ctx});
//
//   auto server_ctx = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_SERVER);
//   server_ctx->load_cert_chain("cert.pem", "key.pem");
//   auto server = co_await asyncio::start_server(handle, "0.0.0.0", 8443, {.ssl = server_ctx});
//
// A context is shared by every connection made with it (hold it in a
// std::shared_ptr); settings changed later apply to later connections.
// The TLS library (OpenSSL 3) stays behind the interface: no OpenSSL header
// is included here. See docs/ssl.md.
//
// Platforms: where asyncio is built without a TLS library (WebAssembly, or
// a native build configured with ASYNCIO_WITH_OPENSSL=OFF), contexts can be
// made and configured, but loading certificates raises
// NotImplementedError naming the method and the platform, and so does every
// connection asked to use TLS (asyncio::platform::has_tls says which).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/sockets.hpp"
#include "asyncio/ssl_errors.hpp"
#include "asyncio/ssl_object.hpp"

namespace asyncio {

/// Which side of connections a context is for. Python: ssl._SSLMethod
enum class SSLMethod : std::uint8_t {
  /// Client side: verifies the server (CERT_REQUIRED, check_hostname).
  PROTOCOL_TLS_CLIENT,
  /// Server side: no client certificate asked for (CERT_NONE).
  PROTOCOL_TLS_SERVER,
};
/// Python: ssl.PROTOCOL_TLS_CLIENT
inline constexpr SSLMethod PROTOCOL_TLS_CLIENT = SSLMethod::PROTOCOL_TLS_CLIENT;
/// Python: ssl.PROTOCOL_TLS_SERVER
inline constexpr SSLMethod PROTOCOL_TLS_SERVER = SSLMethod::PROTOCOL_TLS_SERVER;

/// Whether and how the peer's certificate is checked. Python: ssl.VerifyMode
enum class VerifyMode : std::uint8_t {
  /// No check (a client then accepts any server: do not use it in production).
  CERT_NONE,
  /// Checked if the peer sends one (servers: a client certificate is asked for).
  CERT_OPTIONAL,
  /// Required and checked (servers: clients without a certificate fail).
  CERT_REQUIRED,
};
/// Python: ssl.CERT_NONE
inline constexpr VerifyMode CERT_NONE = VerifyMode::CERT_NONE;
/// Python: ssl.CERT_OPTIONAL
inline constexpr VerifyMode CERT_OPTIONAL = VerifyMode::CERT_OPTIONAL;
/// Python: ssl.CERT_REQUIRED
inline constexpr VerifyMode CERT_REQUIRED = VerifyMode::CERT_REQUIRED;

/// TLS protocol versions, for minimum_version / maximum_version.
/// Python: ssl.TLSVersion
enum class TLSVersion : std::uint8_t {
  MINIMUM_SUPPORTED,
  SSLv3,
  TLSv1,
  TLSv1_1,
  TLSv1_2,
  TLSv1_3,
  MAXIMUM_SUPPORTED,
};

/// Certificate chain verification flags (bits). Python: ssl.VerifyFlags
enum class VerifyFlags : std::uint32_t {
  VERIFY_DEFAULT = 0,
  /// Check the peer certificate against the CRLs loaded (load_verify_locations).
  VERIFY_CRL_CHECK_LEAF = 0x4,
  /// Check every certificate of the chain against the CRLs loaded.
  VERIFY_CRL_CHECK_CHAIN = 0x8 | 0x4,
  /// Reject certificates that break RFC 5280 (set by create_default_context()).
  VERIFY_X509_STRICT = 0x20,
  /// Accept proxy certificates.
  VERIFY_ALLOW_PROXY_CERTS = 0x40,
  /// Prefer trusted certificates when building the chain (set by default).
  VERIFY_X509_TRUSTED_FIRST = 0x8000,
  /// Trust an intermediate CA that is in the trust store (set by
  /// create_default_context()).
  VERIFY_X509_PARTIAL_CHAIN = 0x80000,
};
constexpr VerifyFlags operator|(VerifyFlags a, VerifyFlags b) noexcept {
  return static_cast<VerifyFlags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr VerifyFlags operator&(VerifyFlags a, VerifyFlags b) noexcept {
  return static_cast<VerifyFlags>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
constexpr VerifyFlags operator~(VerifyFlags a) noexcept {
  return static_cast<VerifyFlags>(~static_cast<std::uint32_t>(a));
}

/// What a context is for: authenticating servers (a client's context) or
/// clients (a server's). Python: ssl.Purpose
enum class Purpose : std::uint8_t {
  /// A client context verifying servers. Python: ssl.Purpose.SERVER_AUTH
  SERVER_AUTH,
  /// A server context (verifying clients, if asked to). Python: ssl.Purpose.CLIENT_AUTH
  CLIENT_AUTH,
};

/// Counts of what the context's trust store holds. Python: the dict of
/// SSLContext.cert_store_stats()
struct CertStoreStats {
  int x509 = 0;
  int crl = 0;
  int x509_ca = 0;
  friend bool operator==(const CertStoreStats&, const CertStoreStats&) = default;
};

/// Called during a server's handshake with the name the client asked for
/// (std::nullopt without SNI); it may switch the connection to another
/// context (ssl_object.set_context(...)) to present another certificate.
/// Throwing aborts the handshake (the client gets a handshake_failure
/// alert). Python: SSLContext.sni_callback(ssl_object, server_name, ssl_context)
/// Divergence: it cannot return an alert number; throw instead.
using SNICallback =
    std::function<void(SSLObject& ssl_object, const std::optional<std::string>& server_name, SSLContext& context)>;

namespace detail {
struct SSLContextImpl;
}

/// TLS settings, certificates and trust anchors shared by connections.
/// Python: ssl.SSLContext
class SSLContext {
 public:
  /// A context for `protocol`'s side with Python's secure defaults: TLS 1.2
  /// at least, strong ciphers only, no compression, renegotiation refused;
  /// a client context also has CERT_REQUIRED and check_hostname (but no
  /// trust anchors yet: load some, or use create_default_context()).
  /// NotImplementedError where asyncio has no TLS library is not raised
  /// here: only when certificates are loaded or a connection is made.
  /// Python: ssl.SSLContext(protocol)
  explicit SSLContext(SSLMethod protocol);
  SSLContext(const SSLContext&) = delete;
  SSLContext& operator=(const SSLContext&) = delete;
  ~SSLContext();

  /// The side the context was made for. Python: SSLContext.protocol
  SSLMethod protocol() const noexcept;

  /// Loads the certificate (chain) a side presents and its private key
  /// (PEM files; `keyfile` defaults to `certfile`), decrypting the key with
  /// `password` if it is encrypted. std::system_error (ENOENT) if a file is
  /// missing; SSLError if a file cannot be used ("[SSL] PEM lib", "[X509:
  /// KEY_VALUES_MISMATCH] key values mismatch").
  /// Python: SSLContext.load_cert_chain(certfile, keyfile=None, password=None)
  void load_cert_chain(const std::string& certfile, const std::optional<std::string>& keyfile = std::nullopt,
                       const std::optional<std::string>& password = std::nullopt);
  /// Adds trust anchors: CA certificates (and CRLs) from a PEM file, a
  /// hashed directory, or `cadata` (PEM text, or one DER certificate).
  /// TypeError if all three are empty; std::system_error / SSLError as
  /// load_cert_chain(). Python: SSLContext.load_verify_locations()
  void load_verify_locations(const std::optional<std::string>& cafile = std::nullopt,
                             const std::optional<std::string>& capath = std::nullopt,
                             const std::optional<std::string>& cadata = std::nullopt);
  /// Trusts the system's CA certificates (OpenSSL's default paths, and the
  /// SSL_CERT_FILE / SSL_CERT_DIR environment variables).
  /// Python: SSLContext.set_default_verify_paths()
  void set_default_verify_paths();
  /// Loads the default trust anchors for `purpose` (set_default_verify_paths()).
  /// Python: SSLContext.load_default_certs()
  void load_default_certs(Purpose purpose = Purpose::SERVER_AUTH);
  /// How many certificates and CRLs the trust store holds (those of a
  /// capath directory count once used). Python: SSLContext.cert_store_stats()
  CertStoreStats cert_store_stats() const;

  /// Restricts the TLS 1.2 cipher suites (OpenSSL cipher list syntax).
  /// SSLError("No cipher can be selected.") if nothing matches.
  /// Python: SSLContext.set_ciphers()
  void set_ciphers(const std::string& ciphers);
  /// The ALPN protocols offered (client) or accepted (server), in order of
  /// preference, e.g. {"h2", "http/1.1"}. ValueError for an empty name or
  /// one longer than 255 bytes. Python: SSLContext.set_alpn_protocols()
  void set_alpn_protocols(const std::vector<std::string>& protocols);
  /// Sets (or, with an empty function, removes) the server's SNI callback.
  /// Python: SSLContext.sni_callback (setter)
  void set_sni_callback(SNICallback callback);

  /// Python: SSLContext.check_hostname
  bool check_hostname() const noexcept;
  /// Checks that the server's certificate names the host connected to.
  /// Turning it on turns CERT_NONE into CERT_REQUIRED, as Python does.
  /// Python: SSLContext.check_hostname = value
  void set_check_hostname(bool value);
  /// Python: SSLContext.verify_mode
  VerifyMode verify_mode() const noexcept;
  /// ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is
  /// enabled.") for CERT_NONE while check_hostname is on.
  /// Python: SSLContext.verify_mode = value
  void set_verify_mode(VerifyMode mode);
  /// Python: SSLContext.verify_flags
  VerifyFlags verify_flags() const noexcept;
  /// Python: SSLContext.verify_flags = value
  void set_verify_flags(VerifyFlags flags);
  /// The oldest protocol version allowed (TLSv1_2 by default).
  /// Python: SSLContext.minimum_version
  TLSVersion minimum_version() const noexcept;
  /// ValueError for a version this TLS library cannot set.
  /// Python: SSLContext.minimum_version = value
  void set_minimum_version(TLSVersion version);
  /// The newest protocol version allowed (MAXIMUM_SUPPORTED by default).
  /// Python: SSLContext.maximum_version
  TLSVersion maximum_version() const noexcept;
  /// Python: SSLContext.maximum_version = value
  void set_maximum_version(TLSVersion version);

  /// Python: repr(context)
  std::string repr() const;

  /// Library use: the TLS library's state (detail/tls.hpp).
  detail::SSLContextImpl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::SSLContextImpl> impl_;
};

/// Options of create_default_context(): trust anchors to load instead of
/// the system's. Python: its keyword arguments
struct DefaultContextOptions {
  std::optional<std::string> cafile{};
  std::optional<std::string> capath{};
  std::optional<std::string> cadata{};
};

/// A context with secure defaults for `purpose`: a client context
/// (SERVER_AUTH) verifies servers against the system's CA certificates
/// (or those given) and checks host names; a server context (CLIENT_AUTH)
/// asks for no client certificate. Both reject certificates that break RFC
/// 5280 (VERIFY_X509_STRICT) and trust intermediate CAs of the store
/// (VERIFY_X509_PARTIAL_CHAIN), as Python 3.13+ does. Raises what
/// load_verify_locations() raises. Python: ssl.create_default_context()
/// Divergence: Python's `ssl=True` (a default client context) is written
/// `.ssl = asyncio::create_default_context()`.
std::shared_ptr<SSLContext> create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                                   const DefaultContextOptions& options = {});

}  // namespace asyncio
