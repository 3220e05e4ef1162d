// The transport of a child process. Python: base_subprocess
// (BaseSubprocessTransport, WriteSubprocessPipeProto,
// ReadSubprocessPipeProto) and unix_events._UnixSubprocessTransport.
//
// The backend spawns the child (Backend::spawn()) and gives back the
// parent's pipe ends; each becomes a pipe transport speaking a PipeProto
// that forwards to this transport. Like CPython, every protocol callback
// goes through call_soon(), and the ones that happen before the pipes are
// connected wait in pending_calls_ until connection_made() has been
// scheduled. The child's exit is reported from the backend inside poll()
// and handled as a loop callback (CPython's child watcher uses
// call_soon_threadsafe()).
//
// Invariants:
// - self_ holds the transport until connection_lost() was called (the child
//   exited and every pipe closed), or the loop closed.
// - proc_ is null once connection_lost() was called: send_signal() then
//   raises ProcessLookupError.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/backend.hpp"
#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/coroutines.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/transports.hpp"

namespace asyncio::detail {

class SubprocessTransportImpl;

/// The protocol of one of a child's pipes. Python: WriteSubprocessPipeProto
/// and ReadSubprocessPipeProto.
class PipeProto final : public Protocol, public ChunkAdoptingProtocol {
 public:
  PipeProto(std::weak_ptr<SubprocessTransportImpl> proc, int fd) : proc_(std::move(proc)), fd_(fd) {}
  void connection_made(std::shared_ptr<Transport> transport) override { pipe = std::move(transport); }
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override;
  void resume_writing() override;
  void data_received(std::string_view data) override;
  void data_received_chunk(char*& chunk, std::size_t n) override;
  bool adopts_chunks() const noexcept override { return true; }

  std::shared_ptr<Transport> pipe;
  bool disconnected = false;

 private:
  std::weak_ptr<SubprocessTransportImpl> proc_;
  int fd_;
};

class SubprocessTransportImpl final : public SubprocessTransport, private Backend::ChildProcessEvents {
  struct Private {};

 public:
  SubprocessTransportImpl(Private, EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol);
  ~SubprocessTransportImpl() override;

  /// Spawns the child and returns the transport once its pipes are
  /// connected (Python: _make_subprocess_transport). Raises what the spawn
  /// raises; cancelled, it closes the transport and waits for the child.
  static Coro<std::shared_ptr<SubprocessTransportImpl>> start(EventLoop& loop,
                                                              std::shared_ptr<SubprocessProtocol> protocol,
                                                              Backend::SpawnOptions options);

  // BaseTransport
  void close() override;
  bool is_closing() const override { return closed_; }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  std::string repr() const override;
  // SubprocessTransport
  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<Transport> get_pipe_transport(int fd) const override;
  void send_signal(int sig) override;
  void terminate() override;
  void kill() override;

  /// Waits until the child exited and (if it was running when called) every
  /// pipe closed; returns the returncode. Python: _wait()
  [[nodiscard]] Coro<int> wait();

  // From the pipes' protocols.
  void pipe_data_received(int fd, std::string_view data);
  /// The same for a read chunk, which a Process's StreamReader may keep.
  void pipe_data_received_chunk(int fd, char*& chunk, std::size_t n);
  void pipe_connection_lost(int fd, const std::exception_ptr& exc);
  SubprocessProtocol* protocol() const noexcept { return protocol_.get(); }

 private:
  static Coro<void> connect_pipes(std::shared_ptr<SubprocessTransportImpl> self, std::array<StreamSocketPtr, 3> pipes,
                                  Future<void> waiter);
  void call(std::function<void()> callback);
  // Reports the protocol's pipe_data_received() failure being handled.
  void report_pipe_data_failure();
  // call_soon(callback), counted in posted_ until it runs.
  void post(std::function<void()> callback);
  void process_exited(int returncode);
  void try_finish();
  void call_connection_lost(std::exception_ptr exc);
  void wake_exit_waiters();
  // ChildProcessEvents (inside poll)
  void on_exit(int returncode) noexcept override;
  void on_detached() noexcept override;

  EventLoop* loop_;
  std::shared_ptr<SubprocessProtocol> protocol_;
  // protocol_ as a chunk adopter (or null), found when the protocol is set:
  // a cross-cast per read chunk was 3 % of the parent's CPU through cat.
  // Valid while protocol_ is not null.
  ChunkAdoptingSubprocessProtocol* adopter_ = nullptr;
  std::shared_ptr<SubprocessTransportImpl> self_;
  Backend::ChildProcessPtr proc_;
  int pid_ = 0;
  std::optional<int> returncode_;
  std::array<std::shared_ptr<PipeProto>, 3> pipes_{};
  std::array<bool, 3> has_pipe_{};
  std::optional<std::vector<std::function<void()>>> pending_calls_{std::in_place};
  std::size_t posted_ = 0;  // this transport's callbacks waiting in the loop
  std::vector<Future<int>> exit_waiters_;
  bool closed_ = false;
  bool finished_ = false;
  bool pipes_connected_ = false;
};

}  // namespace asyncio::detail
