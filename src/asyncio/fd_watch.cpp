// add_reader()/add_writer() and the table of watched descriptors.
// Python: selector_events.BaseSelectorEventLoop._add_reader, _remove_reader,
// _add_writer, _remove_writer, _process_events, _ensure_fd_no_transport.
//
// Each watched descriptor has one entry holding its reader and writer
// handles and the backend's FdWatch (a uv_poll_t natively), as CPython's
// selector key holds (reader, writer) in its data. Readiness reported
// inside Backend::poll() queues the handle itself (no allocation), as
// _process_events appends it to _ready; a handle found cancelled removes
// itself instead.
//
// Invariants:
// - An entry exists iff it has a reader or a writer; its watch asks the
//   backend for exactly the events it has callbacks for.
// - Entries are freed only outside their own on_fd_ready() frame, or as its
//   last action.
#include <string>
#include <unordered_map>

#include "asyncio/detail/fd_table.hpp"
#include "asyncio/events.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

// ---- Backend defaults: no descriptors ----

FdWatchPtr Backend::watch_fd(int, FdWatchEvents*) {
  throw NotImplementedError("add_reader is not available on " + platform());
}

DatagramSocketPtr Backend::datagram_adopt(int, int, int) {
  throw NotImplementedError("create_datagram_endpoint is not available on " + platform());
}

namespace detail {

void FdTable::Entry::on_fd_ready(bool readable, bool writable) noexcept {
  // Python: _process_events. A cancelled handle unregisters itself.
  FdTable* const t = table;
  const int my_fd = fd;
  EventLoop& loop = *t->loop;
  if (readable && reader) {
    if (reader.cancelled()) {
      t->remove(my_fd, true);  // may free this entry: nothing below touches it then
      if (!t->find(my_fd)) return;
    } else {
      loop.push_handle(reader);
    }
  }
  if (writable && writer) {
    if (writer.cancelled()) {
      table->remove(fd, false);
    } else {
      loop.push_handle(writer);
    }
  }
}

FdTable::Entry* FdTable::find(int fd) noexcept {
  auto it = entries.find(fd);
  return it == entries.end() ? nullptr : it->second.get();
}

Handle FdTable::add(int fd, bool read, Handle handle) {
  Entry* e = find(fd);
  if (!e) {
    auto fresh = std::make_unique<Entry>();
    fresh->table = this;
    fresh->fd = fd;
    fresh->watch = loop->backend().watch_fd(fd, fresh.get());  // may throw: nothing registered then
    fresh->watch->update(read, !read);
    e = fresh.get();
    entries.emplace(fd, std::move(fresh));
  } else {
    e->watch->update(read || static_cast<bool>(e->reader), !read || static_cast<bool>(e->writer));
  }
  Handle& slot = read ? e->reader : e->writer;
  Handle old = std::exchange(slot, handle);
  if (old) old.cancel();
  return handle;
}

bool FdTable::remove(int fd, bool read) {
  auto it = entries.find(fd);
  if (it == entries.end()) return false;
  Entry& e = *it->second;
  Handle old = std::exchange(read ? e.reader : e.writer, Handle());
  if (!e.reader && !e.writer) {
    entries.erase(it);  // closes the watch
  } else {
    try {
      e.watch->update(static_cast<bool>(e.reader), static_cast<bool>(e.writer));
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // The descriptor went away (closed behind our back): the selector
      // ignores that on unregister too.
    }
  }
  if (old) {
    old.cancel();
    return true;
  }
  return false;
}

}  // namespace detail

void EventLoop::push_handle(const Handle& handle) {
  detail::HandleNode* node = handle.node();
  node->add_ref();
  ready_.push(detail::ReadyQueue::entry(node));
}

void EventLoop::ensure_fd_no_transport(int fd) const {
  // Python: _ensure_fd_no_transport
  if (!fd_table_) return;
  auto it = fd_table_->transports.find(fd);
  if (it != fd_table_->transports.end() && !it->second->is_closing()) {
    throw RuntimeError("File descriptor " + std::to_string(fd) + " is used by transport " + it->second->repr());
  }
}

Handle EventLoop::add_fd_callback(int fd, bool read, Handle handle) {
  check_network(read ? "add_reader" : "add_writer");
  if (fd < 0) throw ValueError("Invalid file descriptor: " + std::to_string(fd));
  ensure_fd_no_transport(fd);
  if (is_closed()) throw_closed();
  if (!fd_table_) {
    fd_table_ = std::make_unique<detail::FdTable>();
    fd_table_->loop = this;
  }
  return fd_table_->add(fd, read, std::move(handle));
}

bool EventLoop::remove_fd_callback(int fd, bool read) {
  if (is_closed() || !fd_table_) return false;
  return fd_table_->remove(fd, read);
}

bool EventLoop::remove_reader(int fd) {
  check_network("remove_reader");
  if (fd < 0) throw ValueError("Invalid file descriptor: " + std::to_string(fd));
  ensure_fd_no_transport(fd);
  return remove_fd_callback(fd, true);
}

bool EventLoop::remove_writer(int fd) {
  check_network("remove_writer");
  if (fd < 0) throw ValueError("Invalid file descriptor: " + std::to_string(fd));
  ensure_fd_no_transport(fd);
  return remove_fd_callback(fd, false);
}

void EventLoop::register_transport_fd(int fd, const BaseTransport* transport) {
  if (!fd_table_) {
    fd_table_ = std::make_unique<detail::FdTable>();
    fd_table_->loop = this;
  }
  fd_table_->transports[fd] = transport;
}

void EventLoop::unregister_transport_fd(int fd, const BaseTransport* transport) noexcept {
  if (!fd_table_) return;
  auto it = fd_table_->transports.find(fd);
  if (it != fd_table_->transports.end() && it->second == transport) fd_table_->transports.erase(it);
}

void EventLoop::close_fd_table() noexcept {
  // Python: the selector is closed with the loop; the handles die with it.
  if (!fd_table_) return;
  for (auto& [fd, entry] : fd_table_->entries) {
    if (entry->reader) entry->reader.cancel();
    if (entry->writer) entry->writer.cancel();
  }
  fd_table_->entries.clear();
}

}  // namespace asyncio
