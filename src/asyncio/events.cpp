// Finding the event loop: running loop, current loop, policies.
// Python: asyncio.events (get_running_loop, get_event_loop, policies).
#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/events.hpp"

namespace asyncio {

namespace {

std::mutex g_policy_mutex;
std::shared_ptr<AbstractEventLoopPolicy> g_policy;

// The current loop of each (thread, policy): Python's threading.local in
// BaseDefaultEventLoopPolicy.
thread_local std::unordered_map<const AbstractEventLoopPolicy*, std::shared_ptr<EventLoop>> tls_current_loops;

const std::thread::id g_main_thread = std::this_thread::get_id();

std::string thread_name() {
  if (std::this_thread::get_id() == g_main_thread) return "'MainThread'";
  // Not operator<< on the id: that would link iostreams (and their locale
  // tables) into every program, which matters on WebAssembly.
  return "<thread " + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ">";
}

std::mutex g_registry_mutex;
std::vector<EventLoop*>& registry() {
  static std::vector<EventLoop*> loops;
  return loops;
}

}  // namespace

namespace detail {

bool is_main_thread() noexcept { return std::this_thread::get_id() == g_main_thread; }

void register_loop(EventLoop* loop) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  registry().push_back(loop);
}

void unregister_loop(EventLoop* loop) noexcept {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto& loops = registry();
  loops.erase(std::remove(loops.begin(), loops.end(), loop), loops.end());
}

bool loop_is_alive(EventLoop* loop) noexcept {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  auto& loops = registry();
  return std::find(loops.begin(), loops.end(), loop) != loops.end();
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
  return std::make_shared<EventLoop>(make_default_backend());
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

std::shared_ptr<EventLoop> new_event_loop() { return get_event_loop_policy().new_event_loop(); }

}  // namespace asyncio
