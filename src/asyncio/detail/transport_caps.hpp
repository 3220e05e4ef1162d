// Capabilities transports and protocols offer each other beyond the
// public interfaces: what the TLS layer needs from the transport under it,
// and what a transport tells a protocol when the loop drops them.
#pragma once
// Also guarded: public headers (streams.hpp) include it now, and GCC's
// #pragma once does not recognise a header the tests' precompiled header
// holds when a source includes it again.
#ifndef ASYNCIO_DETAIL_TRANSPORT_CAPS_HPP
#define ASYNCIO_DETAIL_TRANSPORT_CAPS_HPP

#include <cstddef>
#include <exception>

namespace asyncio::detail {

/// A transport the TLS layer can run over: start_tls() accepts it, and it
/// can be closed with an error. Python: `_start_tls_compatible` and
/// `_force_close(exc)`.
class TlsCapableTransport {
 public:
  /// Closes at once; the protocol's connection_lost() gets `exc`.
  virtual void force_close(std::exception_ptr exc) = 0;

 protected:
  ~TlsCapableTransport() = default;
};

/// A stream transport loop.sendfile() can send a file through by writing
/// it (Python: a transport whose `_sendfile_compatible` is FALLBACK or
/// TRY_NATIVE, and a `_FlowControlMixin`): the fallback needs to know
/// whether the transport has paused its protocol's writing.
class SendfileFallbackTransport {
 public:
  /// Whether the protocol's pause_writing() is in effect. Python:
  /// _FlowControlMixin._protocol_paused (for TLS: _app_writing_paused).
  virtual bool protocol_paused() const noexcept = 0;

 protected:
  ~SendfileFallbackTransport() = default;
};

/// A protocol that must let go of what it holds when its transport is
/// dropped without connection_lost() (the loop closed with the connection
/// open).
class DetachableProtocol {
 public:
  virtual void transport_detached() noexcept = 0;

 protected:
  ~DetachableProtocol() = default;
};

/// A Protocol that can take the transport's read chunk (detail/chunk_pool.hpp)
/// instead of copying from it (StreamReaderProtocol: the chunk becomes a
/// piece of the reader's buffer until its bytes are read). The transport calls
/// data_received_chunk() exactly where it would call data_received().
class ChunkAdoptingProtocol {
 public:
  /// The same as data_received(std::string_view(chunk, n)), except that
  /// the protocol may keep `chunk` (a pooled chunk from take_chunk()): it
  /// then sets `chunk` to nullptr and gives the chunk back to the pool
  /// itself. Otherwise `chunk` is left as it was.
  virtual void data_received_chunk(char*& chunk, std::size_t n) = 0;
  /// Whether data_received_chunk() may stand for data_received(): false
  /// for a subclass that may override data_received().
  virtual bool adopts_chunks() const noexcept = 0;

 protected:
  ~ChunkAdoptingProtocol() = default;
};

/// The same for a subprocess protocol (SubprocessStreamProtocol: the chunk
/// becomes the buffer of the Process's stdout or stderr reader).
class ChunkAdoptingSubprocessProtocol {
 public:
  /// The same as pipe_data_received(fd, std::string_view(chunk, n)), except
  /// that the protocol may keep `chunk` as data_received_chunk() does.
  virtual void pipe_data_received_chunk(int fd, char*& chunk, std::size_t n) = 0;

 protected:
  ~ChunkAdoptingSubprocessProtocol() = default;
};

}  // namespace asyncio::detail

#endif  // ASYNCIO_DETAIL_TRANSPORT_CAPS_HPP
