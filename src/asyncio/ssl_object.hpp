// One connection's TLS session, as a TLS transport's
// get_extra_info("ssl_object") gives it, and what it reports (the peer's
// certificate, the cipher). Python: ssl.SSLObject, and the values of
// SSLObject.getpeercert() and SSLObject.cipher().
//
//   auto obj = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
//   std::cout << *obj->version() << " " << obj->cipher()->name << "\n";
//
// Divergence: the session is driven by its transport, so the object only
// reports; Python's SSLObject.read(), write(), do_handshake() and unwrap()
// are not offered (calling them on an asyncio connection breaks it in
// Python as well).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

class SSLContext;

namespace detail {
class TlsEngine;
}

/// The peer's certificate, decoded. Python: the dict getpeercert() returns;
/// each member is the key of the same name ('serialNumber' is
/// serial_number, 'notAfter' is not_after, ...). A certificate that was not
/// verified (CERT_NONE) is reported empty, as Python's {} is.
struct PeerCertificate {
  /// One attribute of a name: ("commonName", "localhost").
  using Attribute = std::pair<std::string, std::string>;
  /// A distinguished name: its relative names, each a list of attributes.
  /// Python: (( ('countryName', 'US'), ), ( ('commonName', 'x'), ))
  using Name = std::vector<std::vector<Attribute>>;

  Name subject{};
  Name issuer{};
  /// The X.509 version (3 for v3), 0 when empty.
  int version = 0;
  /// Hexadecimal, upper case. Python: 'serialNumber'
  std::string serial_number{};
  /// "Jan  5 09:34:43 2038 GMT". Python: 'notBefore'
  std::string not_before{};
  /// Python: 'notAfter'
  std::string not_after{};
  /// ("DNS", "localhost"), ("IP Address", "127.0.0.1"), ...
  /// Python: 'subjectAltName'
  std::vector<Attribute> subject_alt_name{};

  /// True for the empty certificate (Python's {}).
  bool empty() const noexcept { return version == 0 && subject.empty() && issuer.empty(); }
  /// The value of the first attribute named `key` in the subject
  /// ("commonName"), if any.
  std::optional<std::string> subject_value(const std::string& key) const;
};

/// The cipher suite in use. Python: the 3-tuple SSLObject.cipher() returns
struct Cipher {
  /// "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"
  std::string name{};
  /// The protocol version that defined it: "TLSv1.3", "TLSv1.2"
  std::string protocol{};
  /// Secret key bits.
  int secret_bits = 0;
  friend bool operator==(const Cipher&, const Cipher&) = default;
};

/// One connection's TLS session. Python: ssl.SSLObject
class SSLObject {
 public:
  /// Library use: made by the TLS transport (detail::tls_wrap()).
  SSLObject(std::shared_ptr<SSLContext> context, bool server_side, std::optional<std::string> server_hostname,
            std::unique_ptr<detail::TlsEngine> engine);
  SSLObject(const SSLObject&) = delete;
  SSLObject& operator=(const SSLObject&) = delete;
  ~SSLObject();

  /// The context in use. Python: SSLObject.context
  const std::shared_ptr<SSLContext>& context() const noexcept { return context_; }
  /// Switches the session to `context`'s certificate and settings: for a
  /// server's SNI callback. TypeError if it is null.
  /// Python: SSLObject.context = ctx
  void set_context(std::shared_ptr<SSLContext> context);
  /// Python: SSLObject.server_side
  bool server_side() const noexcept { return server_side_; }
  /// The name the client asked to verify (client side only).
  /// Python: SSLObject.server_hostname
  const std::optional<std::string>& server_hostname() const noexcept { return server_hostname_; }

  /// The peer's certificate: std::nullopt if it sent none (or before the
  /// handshake), an empty one if it was not verified.
  /// Python: SSLObject.getpeercert()
  std::optional<PeerCertificate> getpeercert() const;
  /// The peer's certificate in DER form, verified or not.
  /// Python: SSLObject.getpeercert(binary_form=True)
  std::optional<std::string> getpeercert_der() const;
  /// The protocol ALPN agreed on, if any. Python: SSLObject.selected_alpn_protocol()
  std::optional<std::string> selected_alpn_protocol() const;
  /// The cipher in use (std::nullopt before the handshake).
  /// Python: SSLObject.cipher()
  std::optional<Cipher> cipher() const;
  /// The compression in use: always std::nullopt (compression is off).
  /// Python: SSLObject.compression()
  std::optional<std::string> compression() const;
  /// "TLSv1.3", "TLSv1.2" (std::nullopt before the handshake).
  /// Python: SSLObject.version()
  std::optional<std::string> version() const;
  /// Decrypted bytes ready to be read. Python: SSLObject.pending()
  std::size_t pending() const;
  /// True if the session was resumed. Python: SSLObject.session_reused
  bool session_reused() const;

  /// Library use: the TLS library's session.
  detail::TlsEngine& engine() const noexcept { return *engine_; }

 private:
  std::shared_ptr<SSLContext> context_;
  bool server_side_;
  std::optional<std::string> server_hostname_;
  std::unique_ptr<detail::TlsEngine> engine_;
};

}  // namespace asyncio
