// Finding the event loop: running loop, current loop, policies.
// Python: asyncio.events (get_running_loop, get_event_loop, policies).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/events.hpp"
#include "asyncio/platform.hpp"

namespace asyncio {

namespace {

std::mutex g_policy_mutex;
std::shared_ptr<AbstractEventLoopPolicy> g_policy;

// The current loop of each (thread, policy): Python's threading.local in
// BaseDefaultEventLoopPolicy.
thread_local std::unordered_map<const AbstractEventLoopPolicy*, std::shared_ptr<EventLoop>> tls_current_loops;

const std::thread::id g_main_thread = std::this_thread::get_id();

std::string thread_name() {
  // Without threads there is no other thread to name, and no iostreams to
  // carry: on bare metal they would be most of a program's flash.
  if constexpr (!platform::has_threads) return "'MainThread'";
  if (std::this_thread::get_id() == g_main_thread) return "'MainThread'";
  std::ostringstream os;
  os << "<thread " << std::this_thread::get_id() << ">";
  return os.str();
}

struct RegisteredLoop {
  EventLoop* loop;
  std::uint64_t identity;
};
std::mutex g_registry_mutex;
std::uint64_t g_last_identity = 0;  // guarded by g_registry_mutex
std::vector<RegisteredLoop>& registry() {
  static std::vector<RegisteredLoop> loops;
  return loops;
}
// The registered loops a std::shared_ptr owns (their weak_from_this() is
// set): the inspector's list. Guarded by g_registry_mutex.
std::vector<EventLoop*>& shared_registry() {
  static std::vector<EventLoop*> loops;
  return loops;
}

}  // namespace

namespace detail {

bool is_main_thread() noexcept { return std::this_thread::get_id() == g_main_thread; }

void register_loop(EventLoop* loop) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  registry().push_back({loop, ++g_last_identity});
}

void unregister_loop(EventLoop* loop) noexcept {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto& loops = registry();
  loops.erase(std::remove_if(loops.begin(), loops.end(), [loop](const RegisteredLoop& r) { return r.loop == loop; }),
              loops.end());
  auto& shared = shared_registry();
  shared.erase(std::remove(shared.begin(), shared.end(), loop), shared.end());
}

void note_loop_shared(EventLoop* loop) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  shared_registry().push_back(loop);
}

std::uint64_t loop_identity(EventLoop* loop) noexcept {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  for (const RegisteredLoop& r : registry())
    if (r.loop == loop) return r.identity;
  return 0;
}

bool loop_is_alive(EventLoop* loop, std::uint64_t identity) noexcept {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  const auto& loops = registry();
  return std::any_of(loops.begin(), loops.end(),
                     [&](const RegisteredLoop& r) { return r.loop == loop && r.identity == identity; });
}

std::vector<std::shared_ptr<EventLoop>> live_loops() {
  std::vector<std::shared_ptr<EventLoop>> out;
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  for (EventLoop* loop : shared_registry())
    if (std::shared_ptr<EventLoop> owned = loop->weak_from_this().lock()) out.push_back(std::move(owned));
  return out;
}

}  // namespace detail

double Backend::time() const noexcept {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string Backend::platform() const { return "unknown"; }

void Backend::watch_signal(int) {
  throw NotImplementedError("add_signal_handler is not available on " + platform());
}

void Backend::unwatch_signal(int) {
  throw NotImplementedError("remove_signal_handler is not available on " + platform());
}

EventLoop& DefaultEventLoopPolicy::get_event_loop() {
  auto it = tls_current_loops.find(this);
  if (it == tls_current_loops.end() || !it->second) {
    throw RuntimeError("There is no current event loop in thread " + thread_name() + ".");
  }
  return *it->second;
}

void DefaultEventLoopPolicy::set_event_loop(std::shared_ptr<EventLoop> loop) {
  if (loop)
    tls_current_loops[this] = std::move(loop);
  else
    tls_current_loops.erase(this);
}

std::shared_ptr<EventLoop> DefaultEventLoopPolicy::new_event_loop() {
  auto loop = std::make_shared<EventLoop>(make_default_backend());
  detail::note_loop_shared(loop.get());
  return loop;
}

AbstractEventLoopPolicy& get_event_loop_policy() {
  std::lock_guard<std::mutex> lock(g_policy_mutex);
  if (!g_policy) g_policy = std::make_shared<DefaultEventLoopPolicy>();
  return *g_policy;
}

void set_event_loop_policy(std::shared_ptr<AbstractEventLoopPolicy> policy) {
  std::lock_guard<std::mutex> lock(g_policy_mutex);
  g_policy = std::move(policy);
}

EventLoop* _get_running_loop() noexcept { return detail::tls_running_loop; }

void _set_running_loop(EventLoop* loop) noexcept { detail::tls_running_loop = loop; }

EventLoop& get_running_loop() {
  EventLoop* loop = detail::tls_running_loop;
  if (loop == nullptr) throw RuntimeError("no running event loop");
  return *loop;
}

EventLoop& get_event_loop() {
  if (EventLoop* loop = detail::tls_running_loop) return *loop;
  return get_event_loop_policy().get_event_loop();
}

void set_event_loop(std::shared_ptr<EventLoop> loop) { get_event_loop_policy().set_event_loop(std::move(loop)); }

std::shared_ptr<EventLoop> new_event_loop(detail::SourceLocation where) {
  std::shared_ptr<EventLoop> loop = get_event_loop_policy().new_event_loop();
  if (loop && !loop->created_at) loop->created_at = where;
  return loop;
}

}  // namespace asyncio
