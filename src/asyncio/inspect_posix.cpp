// The inspector on POSIX systems: a thread accepting on a Unix socket, and
// the snapshot each live loop takes of its own tasks on its own thread.
#include "asyncio/inspect.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "asyncio/detail/loop_internals.hpp"
#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/events.hpp"
#include "asyncio/graph.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"

#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace asyncio::inspect {

namespace {

using nlohmann::json;

std::mutex g_mutex;
bool g_enabled = false;
std::string g_path;  // the socket's path, unlinked at exit
std::atomic<bool> g_exiting{false};

// The OS's id of the calling thread (what `ps -L` and CPython's table show).
long long thread_id() {
#if defined(__linux__)
  return static_cast<long long>(::syscall(SYS_gettid));
#else
  return static_cast<long long>(std::hash<std::thread::id>()(std::this_thread::get_id()));
#endif
}

std::uint64_t id_of(const void* p) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p)); }

json frames_json(const std::vector<FrameCallGraphEntry>& stack) {
  json out = json::array();
  // Divergence: C++ coroutine frames carry no file:line (file "" and line 0,
  // as CPython's tools show a frame without them).
  for (const FrameCallGraphEntry& f : stack) out.push_back({{"name", f.name}, {"file", ""}, {"line", 0}});
  return out;
}

// The tasks awaiting `g`'s future: through non-task futures (a gather's or
// shield's outer future) up to the first task on each path.
void awaiting_tasks(const FutureCallGraph& g, json& out) {
  for (const FutureCallGraph& w : g.awaited_by) {
    detail::FutureBase* f = w.future.state_ptr();
    if (f != nullptr && f->is_task()) {
      out.push_back({{"id", id_of(f)},
                     {"name", static_cast<detail::TaskBase*>(f)->name()},
                     {"call_stack", frames_json(w.call_stack)}});
    } else {
      awaiting_tasks(w, out);
    }
  }
}

// Runs on the loop's own thread: its pending tasks.
json loop_json(EventLoop& loop) {
  json tasks = json::array();
  for (const AnyTask& t : detail::internals(loop).pending_tasks()) {
    detail::FutureBase* base = t.state_ptr();
    json task = {{"id", id_of(base)}, {"name", t.get_name()}, {"state", t.done() ? "done" : "pending"}};
    if (const detail::SourceLocation* where = base->created_at())
      task["created_at"] = std::string(where->file_name()) + ":" + std::to_string(where->line_number());
    else
      task["created_at"] = nullptr;
    std::optional<FutureCallGraph> g = capture_call_graph(AnyFuture(t));
    task["coroutine_stack"] = g ? frames_json(g->call_stack) : json::array();
    json awaited_by = json::array();
    if (g) awaiting_tasks(*g, awaited_by);
    task["awaited_by"] = std::move(awaited_by);
    tasks.push_back(std::move(task));
  }
  // What each task awaits: the other side of the awaited_by edges.
  std::unordered_map<std::uint64_t, std::size_t> index;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    tasks[i]["awaits"] = json::array();
    index.emplace(tasks[i]["id"].get<std::uint64_t>(), i);
  }
  for (const json& task : tasks) {
    for (const json& w : task["awaited_by"]) {
      auto it = index.find(w["id"].get<std::uint64_t>());
      if (it != index.end()) tasks[it->second]["awaits"].push_back(task["id"]);
    }
  }
  return {{"thread_id", thread_id()}, {"running", true}, {"debug", loop.get_debug()}, {"tasks", std::move(tasks)}};
}

std::string runtime_dir() {
  for (const char* name : {"XDG_RUNTIME_DIR", "TMPDIR"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "/tmp";
}

void remove_socket() noexcept {
  g_exiting.store(true);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_path.empty()) ::unlink(g_path.c_str());
}

void send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away
    off += static_cast<std::size_t>(n);
  }
}

// One request: a line naming what is wanted ("ps"); the answer is the
// snapshot, then the connection closes.
void serve_one(int fd) {
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  ssize_t n;
  do n = ::recv(fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  std::string answer;
  try {
    answer = snapshot_json();
  } catch (const std::exception& e) {
    answer = json{{"error", e.what()}}.dump();
  }
  send_all(fd, answer + "\n");
}

void listen_loop(int listener) {
  while (!g_exiting.load()) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    if (!g_exiting.load()) serve_one(fd);
    ::close(fd);
  }
}

[[noreturn]] void throw_os(const std::string& what) {
  const int e = errno;
  throw OSError(std::error_code(e, std::generic_category()), what + ": " + std::strerror(e));
}

}  // namespace

std::string socket_path(long pid) { return runtime_dir() + "/asyncio-" + std::to_string(pid) + ".sock"; }

bool enabled() noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_enabled;
}

void enable() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_enabled) return;
  const std::string path = socket_path(static_cast<long>(::getpid()));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw OSError("asyncio::inspect::enable(): socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_os("asyncio::inspect::enable(): socket()");
  ::unlink(path.c_str());  // a dead process's socket with this pid
  // Readable by this user only: the tasks' names may say what the program does.
  const mode_t old_mask = ::umask(0077);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 16) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    throw_os("asyncio::inspect::enable(): " + path);
  }
  g_path = path;
  std::thread(listen_loop, fd).detach();
  static const bool registered = (std::atexit([] { remove_socket(); }), true);
  (void)registered;
  g_enabled = true;
}

std::string snapshot_json(double timeout) {
  json loops = json::array();
  for (const std::shared_ptr<EventLoop>& loop : detail::live_loops()) {
    auto answer = std::make_shared<std::promise<json>>();
    std::future<json> result = answer->get_future();
    EventLoop* raw = loop.get();
    try {
      (void)loop->call_soon_threadsafe([answer, raw] {
        try {
          answer->set_value(loop_json(*raw));
        } catch (...) {
          answer->set_exception(std::current_exception());
        }
      });
    } catch (const std::exception&) {
      continue;  // closed meanwhile
    }
    if (result.wait_for(std::chrono::duration<double>(timeout)) == std::future_status::ready) {
      try {
        loops.push_back(result.get());
      } catch (const std::exception& e) {
        loops.push_back({{"thread_id", nullptr}, {"running", true}, {"error", e.what()}, {"tasks", json::array()}});
      }
    } else {
      // Not running, or blocked in a callback: nobody may read its tasks.
      loops.push_back({{"thread_id", nullptr}, {"running", false}, {"tasks", json::array()}});
    }
  }
  return json{{"pid", static_cast<long>(::getpid())}, {"loops", std::move(loops)}}.dump();
}

}  // namespace asyncio::inspect

namespace asyncio::detail {

void inspect_from_environment() noexcept {
  const char* v = std::getenv("ASYNCIO_INSPECT");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0) return;
  try {
    inspect::enable();
  } catch (const std::exception& e) {
    log_noexcept(LogLevel::warning, [&] { return std::string("ASYNCIO_INSPECT: ") + e.what(); });
  }
}

}  // namespace asyncio::detail
