// The seam between the portable TLS layer (detail/sslproto.hpp, written
// against transports) and the TLS library (ssl_openssl.cpp, or
// ssl_none.cpp in builds without one). No TLS library header appears here.
//
// The library never touches a socket: like Python's ssl.MemoryBIO pair, a
// TlsEngine reads the peer's bytes from its TlsInBuffer (filled by the
// transport) and appends what must be sent to the std::string each call
// is given. Unlike OpenSSL's memory BIOs, the buffers are ours: an idle
// connection holds no buffer at all (see TlsInBuffer), and output goes
// straight to the caller's string (no copy through a BIO).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "asyncio/ssl.hpp"

namespace asyncio::detail {

/// Ciphertext received and not yet consumed by the TLS library. The
/// transport writes at the end (prepare() / commit()), the library reads
/// from the front. Storage is a pooled chunk, taken when bytes arrive and
/// given back once everything is consumed; it grows (by doubling) only
/// while reading is paused with more than a chunk waiting.
class TlsInBuffer {
 public:
  TlsInBuffer() = default;
  TlsInBuffer(const TlsInBuffer&) = delete;
  TlsInBuffer& operator=(const TlsInBuffer&) = delete;
  ~TlsInBuffer() { release(); }

  /// Room to receive into (never empty). std::bad_alloc when out of memory.
  std::span<char> prepare();
  /// `n` bytes were written at the start of the last prepare()'s span.
  void commit(std::size_t n) noexcept { end_ += n; }
  /// Bytes waiting.
  std::size_t size() const noexcept { return end_ - begin_; }
  /// Moves up to `n` waiting bytes to `into`; returns how many.
  std::size_t read(char* into, std::size_t n) noexcept;
  /// Frees the storage if nothing is waiting.
  void release_if_empty() noexcept {
    if (begin_ == end_) release();
  }
  /// Drops everything.
  void release() noexcept;

 private:
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// How a TLS operation ended.
enum class TlsStatus : std::uint8_t {
  /// Done (for read/write: `n` bytes).
  ok,
  /// More bytes from the peer are needed (Python: SSLWantReadError).
  want_read,
  /// read(): the peer sent close_notify (Python: read() returned b'').
  closed,
  /// Failed: `error` holds the SSLError.
  failed,
};

/// The outcome of one TlsEngine call.
struct TlsResult {
  TlsStatus status = TlsStatus::ok;
  std::size_t n = 0;
  std::exception_ptr error{};
};

/// One connection's TLS state machine (an OpenSSL SSL object), owned by
/// its SSLObject. Each call appends the bytes to send to `out`.
class TlsEngine {
 public:
  virtual ~TlsEngine() = default;

  /// The peer's bytes, consumed by the calls below.
  TlsInBuffer incoming;

  /// Advances the handshake: ok once complete. Python: SSLObject.do_handshake()
  virtual TlsResult do_handshake(std::string& out) = 0;
  /// Decrypts into `into` (not empty): ok with n > 0, want_read, closed
  /// or failed. Python: SSLObject.read()
  virtual TlsResult read(std::span<char> into, std::string& out) = 0;
  /// Encrypts `data` (not empty): ok with n == data.size(), or want_read
  /// (nothing taken). Python: SSLObject.write()
  virtual TlsResult write(std::string_view data, std::string& out) = 0;
  /// Sends close_notify and waits for the peer's: ok once both are done.
  /// Python: SSLObject.unwrap()
  virtual TlsResult shutdown(std::string& out) = 0;
  /// Bytes decrypted and not yet read. Python: SSLObject.pending()
  virtual std::size_t pending() const = 0;
  /// The name the peer asked for with SNI (server side).
  virtual std::optional<std::string> requested_server_name() const = 0;

  // What SSLObject reports (see ssl_object.hpp).
  virtual std::optional<PeerCertificate> getpeercert() const = 0;
  virtual std::optional<std::string> getpeercert_der() const = 0;
  virtual std::optional<std::string> selected_alpn_protocol() const = 0;
  virtual std::optional<Cipher> cipher() const = 0;
  virtual std::optional<std::string> version() const = 0;
  virtual bool session_reused() const = 0;
  /// Switches to another context's certificate and settings.
  virtual void set_context(SSLContext& context) = 0;
};

/// A session for one connection. ValueError("check_hostname requires
/// server_hostname") for a client context that checks host names when no
/// name is given; NotImplementedError in builds without a TLS library.
/// Python: SSLContext.wrap_bio()
std::shared_ptr<SSLObject> tls_wrap(const std::shared_ptr<SSLContext>& context, bool server_side,
                                    const std::optional<std::string>& server_hostname);

/// True if this build has a TLS library.
bool tls_available() noexcept;

/// NotImplementedError("<method> with ssl is not available on <platform>:
/// ...") in builds without a TLS library; nothing otherwise.
void check_tls_available(const char* method, const std::string& platform);

}  // namespace asyncio::detail
