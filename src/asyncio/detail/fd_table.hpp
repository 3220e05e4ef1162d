// The loop's table of watched descriptors (fd_watch.cpp). Library use.
#pragma once

#include <memory>
#include <unordered_map>

#include "asyncio/backend.hpp"
#include "asyncio/handles.hpp"

namespace asyncio {
class EventLoop;
class BaseTransport;
}  // namespace asyncio

namespace asyncio::detail {

struct FdTable {
  /// One watched descriptor: Python's selector key with data (reader, writer).
  struct Entry final : FdWatchEvents {
    FdTable* table = nullptr;
    int fd = -1;
    Handle reader;
    Handle writer;
    FdWatchPtr watch;
    void on_fd_ready(bool readable, bool writable) noexcept override;
  };

  Entry* find(int fd) noexcept;
  /// Registers `handle` as fd's reader (read) or writer; cancels the one it
  /// replaces. std::system_error if the backend refuses the descriptor.
  Handle add(int fd, bool read, Handle handle);
  /// Unregisters fd's reader or writer; true if there was one.
  bool remove(int fd, bool read);

  EventLoop* loop = nullptr;
  std::unordered_map<int, std::unique_ptr<Entry>> entries;
  /// Python: loop._transports (descriptor -> transport using it).
  std::unordered_map<int, const BaseTransport*> transports;
};

}  // namespace asyncio::detail
