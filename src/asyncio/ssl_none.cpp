// A build without a TLS library (WebAssembly, or ASYNCIO_WITH_OPENSSL=OFF):
// contexts hold their settings, so portable code that configures one still
// runs, but what needs the library (certificates, ciphers, a connection
// using TLS) raises NotImplementedError naming the method and the platform.
// The capability gap has a file of its own, as libuv's no-fsevents.c does.
#include <string>

#include "asyncio/detail/tls.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/ssl.hpp"

namespace asyncio {

namespace detail {

struct SSLContextImpl {
  SSLMethod method = PROTOCOL_TLS_CLIENT;
  bool check_hostname = false;
  VerifyMode verify_mode = CERT_NONE;
  VerifyFlags verify_flags = VerifyFlags::VERIFY_X509_TRUSTED_FIRST;
  TLSVersion minimum_version = TLSVersion::TLSv1_2;
  TLSVersion maximum_version = TLSVersion::MAXIMUM_SUPPORTED;
  SNICallback sni_callback;
};

}  // namespace detail

namespace {

const char* const kWhy = ": asyncio was built without a TLS library (OpenSSL); see docs/ssl.md";

[[noreturn]] void unavailable(const std::string& method) {
  throw NotImplementedError(method + " is not available on " + std::string(platform::name) + kWhy);
}

}  // namespace

SSLContext::SSLContext(SSLMethod protocol) : impl_(std::make_unique<detail::SSLContextImpl>()) {
  impl_->method = protocol;
  if (protocol == PROTOCOL_TLS_CLIENT) {
    impl_->check_hostname = true;
    impl_->verify_mode = CERT_REQUIRED;
  }
}

SSLContext::~SSLContext() = default;

SSLMethod SSLContext::protocol() const noexcept { return impl_->method; }

void SSLContext::load_cert_chain(const std::string&, const std::optional<std::string>&,
                                 const std::optional<std::string>&) {
  unavailable("SSLContext.load_cert_chain");
}

void SSLContext::load_verify_locations(const std::optional<std::string>& cafile, const std::optional<std::string>& capath,
                                       const std::optional<std::string>& cadata) {
  if (!cafile && !capath && !cadata) throw TypeError("cafile, capath and cadata cannot be all omitted");
  unavailable("SSLContext.load_verify_locations");
}

// There is no trust store to point at: like a system without CA
// certificates, which Python's set_default_verify_paths() accepts silently.
// Connections raise NotImplementedError anyway.
void SSLContext::set_default_verify_paths() {}

CertStoreStats SSLContext::cert_store_stats() const { return {}; }

void SSLContext::set_ciphers(const std::string&) { unavailable("SSLContext.set_ciphers"); }

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
  for (const std::string& p : protocols)
    if (p.empty() || p.size() > 255) throw SSLError(1, "ALPN protocols must be 1 to 255 in length");
}

void SSLContext::set_sni_callback(SNICallback callback) { impl_->sni_callback = std::move(callback); }

bool SSLContext::check_hostname() const noexcept { return impl_->check_hostname; }

void SSLContext::set_check_hostname(bool value) {
  if (value && impl_->verify_mode == CERT_NONE) impl_->verify_mode = CERT_REQUIRED;
  impl_->check_hostname = value;
}

VerifyMode SSLContext::verify_mode() const noexcept { return impl_->verify_mode; }

void SSLContext::set_verify_mode(VerifyMode mode) {
  if (mode == CERT_NONE && impl_->check_hostname) {
    throw ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  }
  impl_->verify_mode = mode;
}

VerifyFlags SSLContext::verify_flags() const noexcept { return impl_->verify_flags; }
void SSLContext::set_verify_flags(VerifyFlags flags) { impl_->verify_flags = flags; }
TLSVersion SSLContext::minimum_version() const noexcept { return impl_->minimum_version; }
void SSLContext::set_minimum_version(TLSVersion version) { impl_->minimum_version = version; }
TLSVersion SSLContext::maximum_version() const noexcept { return impl_->maximum_version; }
void SSLContext::set_maximum_version(TLSVersion version) { impl_->maximum_version = version; }

namespace detail {

std::shared_ptr<SSLObject> tls_wrap(const std::shared_ptr<SSLContext>&, bool, const std::optional<std::string>&) {
  unavailable("ssl");
}

bool tls_available() noexcept { return false; }

void check_tls_available(const char* method, const std::string& platform_name) {
  throw NotImplementedError(std::string(method) + " with ssl is not available on " + platform_name + kWhy);
}

}  // namespace detail

}  // namespace asyncio
