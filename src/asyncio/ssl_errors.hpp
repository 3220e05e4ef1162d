// The TLS errors. Python: ssl.SSLError and its subclasses.
//
//   SSLError (an OSError: std::system_error)
//     SSLZeroReturnError, SSLWantReadError, SSLWantWriteError,
//     SSLSyscallError, SSLEOFError, SSLCertVerificationError
//
// what() is Python's str(): "[SSL: WRONG_VERSION_NUMBER] wrong version
// number", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
// certificate has expired" (without Python's "(_ssl.c:1006)" suffix).
// code() is the SSL_get_error() value in ssl_category() (Python: errno).
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include "asyncio/exceptions.hpp"

namespace asyncio {

/// The category of SSLError codes: OpenSSL's SSL_get_error() values
/// (1 SSL_ERROR_SSL, 2 SSL_ERROR_WANT_READ, ..., 6 SSL_ERROR_ZERO_RETURN,
/// 8 SSL_ERROR_EOF as Python numbers it). Python: ssl.SSLErrorNumber
const std::error_category& ssl_category() noexcept;

/// A TLS error: a failed handshake, a corrupt record, a bad certificate
/// file. Python: ssl.SSLError
class SSLError : public OSError {
 public:
  /// `errnum` in ssl_category(); `library` and `reason` as OpenSSL names
  /// them ("SSL", "WRONG_VERSION_NUMBER"; empty if unknown).
  SSLError(int errnum, const std::string& message, std::string library = {}, std::string reason = {})
      : OSError(std::error_code(errnum, ssl_category()), message),
        library_(std::move(library)),
        reason_(std::move(reason)) {}
  /// Where the error came from ("SSL", "X509", "PEM"). Python: SSLError.library
  const std::string& library() const noexcept { return library_; }
  /// The error's mnemonic ("CERTIFICATE_VERIFY_FAILED"). Python: SSLError.reason
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string library_;
  std::string reason_;
};

/// The peer closed the TLS session cleanly (close_notify).
/// Python: ssl.SSLZeroReturnError
class SSLZeroReturnError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// More bytes from the peer are needed. Python: ssl.SSLWantReadError
class SSLWantReadError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// More room to write is needed. Python: ssl.SSLWantWriteError
class SSLWantWriteError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// A system error below TLS. Python: ssl.SSLSyscallError
class SSLSyscallError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// The connection ended in the middle of a TLS exchange.
/// Python: ssl.SSLEOFError
class SSLEOFError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// The peer's certificate failed verification: `verify_code()` is the X509
/// verification result and `verify_message()` says why ("certificate has
/// expired", "unable to get local issuer certificate", "Hostname mismatch,
/// certificate is not valid for 'example.org'.").
/// Python: ssl.SSLCertVerificationError (alias ssl.CertificateError)
/// Divergence: it is not also a ValueError (a C++ class deriving twice from
/// std::exception could not be caught as one).
class SSLCertVerificationError : public SSLError {
 public:
  SSLCertVerificationError(int errnum, const std::string& message, std::string library, std::string reason,
                           long verify_code, std::string verify_message)
      : SSLError(errnum, message, std::move(library), std::move(reason)),
        verify_code_(verify_code),
        verify_message_(std::move(verify_message)) {}
  /// Python: SSLCertVerificationError.verify_code
  long verify_code() const noexcept { return verify_code_; }
  /// Python: SSLCertVerificationError.verify_message
  const std::string& verify_message() const noexcept { return verify_message_; }

 private:
  long verify_code_;
  std::string verify_message_;
};

/// Python: ssl.CertificateError
using CertificateError = SSLCertVerificationError;

}  // namespace asyncio
