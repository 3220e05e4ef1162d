// The portable part of asyncio's TLS support: the error category,
// create_default_context(), SSLObject's reports, the ciphertext buffer.
// The TLS library's part is ssl_openssl.cpp (or ssl_none.cpp).
#include "asyncio/ssl.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/tls.hpp"

namespace asyncio {

// ---- Errors ----

namespace {

class SSLCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ssl"; }
  std::string message(int code) const override {
    // Python: ssl.SSLErrorNumber
    switch (code) {
      case 1:
        return "SSL_ERROR_SSL";
      case 2:
        return "SSL_ERROR_WANT_READ";
      case 3:
        return "SSL_ERROR_WANT_WRITE";
      case 4:
        return "SSL_ERROR_WANT_X509_LOOKUP";
      case 5:
        return "SSL_ERROR_SYSCALL";
      case 6:
        return "SSL_ERROR_ZERO_RETURN";
      case 7:
        return "SSL_ERROR_WANT_CONNECT";
      case 8:
        return "SSL_ERROR_EOF";
      case 10:
        return "SSL_ERROR_INVALID_ERROR_CODE";
      default:
        return "SSL error " + std::to_string(code);
    }
  }
};

}  // namespace

const std::error_category& ssl_category() noexcept {
  static const SSLCategory category;
  return category;
}

// ---- Contexts ----

std::shared_ptr<SSLContext> create_default_context(Purpose purpose, const DefaultContextOptions& options) {
  // Python: ssl.create_default_context (3.13+: strict and partial-chain
  // verification flags).
  std::shared_ptr<SSLContext> context;
  if (purpose == Purpose::SERVER_AUTH) {
    context = std::make_shared<SSLContext>(PROTOCOL_TLS_CLIENT);
    context->set_verify_mode(CERT_REQUIRED);
    context->set_check_hostname(true);
  } else {
    context = std::make_shared<SSLContext>(PROTOCOL_TLS_SERVER);
  }
  context->set_verify_flags(context->verify_flags() | VerifyFlags::VERIFY_X509_PARTIAL_CHAIN |
                            VerifyFlags::VERIFY_X509_STRICT);
  if (options.cafile || options.capath || options.cadata) {
    context->load_verify_locations(options.cafile, options.capath, options.cadata);
  } else if (context->verify_mode() != CERT_NONE) {
    context->load_default_certs(purpose);
  }
  return context;
}

void SSLContext::load_default_certs(Purpose) {
  // Python: SSLContext.load_default_certs (outside Windows).
  set_default_verify_paths();
}

std::string SSLContext::repr() const {
  std::string s = "<SSLContext ";
  s += protocol() == PROTOCOL_TLS_CLIENT ? "PROTOCOL_TLS_CLIENT" : "PROTOCOL_TLS_SERVER";
  switch (verify_mode()) {
    case CERT_NONE:
      s += " verify_mode=CERT_NONE";
      break;
    case CERT_OPTIONAL:
      s += " verify_mode=CERT_OPTIONAL";
      break;
    case CERT_REQUIRED:
      s += " verify_mode=CERT_REQUIRED";
      break;
  }
  s += check_hostname() ? " check_hostname=True" : " check_hostname=False";
  return s + ">";
}

// ---- SSLObject ----

std::optional<std::string> PeerCertificate::subject_value(const std::string& key) const {
  for (const auto& rdn : subject)
    for (const Attribute& a : rdn)
      if (a.first == key) return a.second;
  return std::nullopt;
}

SSLObject::SSLObject(std::shared_ptr<SSLContext> context, bool server_side, std::optional<std::string> server_hostname,
                     std::unique_ptr<detail::TlsEngine> engine)
    : context_(std::move(context)),
      server_side_(server_side),
      server_hostname_(std::move(server_hostname)),
      engine_(std::move(engine)) {}

SSLObject::~SSLObject() = default;

void SSLObject::set_context(std::shared_ptr<SSLContext> context) {
  if (!context) throw TypeError("The value must be a SSLContext");
  engine_->set_context(*context);
  context_ = std::move(context);
}

std::optional<PeerCertificate> SSLObject::getpeercert() const { return engine_->getpeercert(); }
std::optional<std::string> SSLObject::getpeercert_der() const { return engine_->getpeercert_der(); }
std::optional<std::string> SSLObject::selected_alpn_protocol() const { return engine_->selected_alpn_protocol(); }
std::optional<Cipher> SSLObject::cipher() const { return engine_->cipher(); }
// Contexts turn compression off (OP_NO_COMPRESSION), as Python's do.
std::optional<std::string> SSLObject::compression() const { return std::nullopt; }
std::optional<std::string> SSLObject::version() const { return engine_->version(); }
std::size_t SSLObject::pending() const { return engine_->pending(); }
bool SSLObject::session_reused() const { return engine_->session_reused(); }

namespace detail {

// ---- TlsInBuffer ----

std::span<char> TlsInBuffer::prepare() {
  if (data_ == nullptr) {
    data_ = take_chunk();
    capacity_ = kChunkSize;
    begin_ = end_ = 0;
  }
  if (end_ == capacity_ && begin_ > 0) {
    // Move what is waiting to the front (a partial record, usually small).
    std::memmove(data_, data_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {
    // Full: reading is paused upstream (the application does not read)
    // and the peer keeps sending until the read high-water mark stops the
    // transport. Grow, keeping what is waiting.
    const std::size_t bigger = capacity_ * 2;
    char* grown = new char[bigger];
    std::memcpy(grown, data_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (capacity_ == kChunkSize)
      give_chunk(data_);
    else
      delete[] data_;
    data_ = grown;
    capacity_ = bigger;
  }
  return {data_ + end_, capacity_ - end_};
}

std::size_t TlsInBuffer::read(char* into, std::size_t n) noexcept {
  const std::size_t take = std::min(n, end_ - begin_);
  if (take == 0) return 0;
  std::memcpy(into, data_ + begin_, take);
  begin_ += take;
  if (begin_ == end_) begin_ = end_ = 0;  // keep the storage for the rest of this pass
  return take;
}

void TlsInBuffer::release() noexcept {
  if (data_ != nullptr) {
    if (capacity_ == kChunkSize)
      give_chunk(data_);
    else
      delete[] data_;
  }
  data_ = nullptr;
  capacity_ = begin_ = end_ = 0;
}

}  // namespace detail

}  // namespace asyncio
