// Call-graph introspection. Python: asyncio.graph.
#include "asyncio/graph.hpp"
#include "asyncio/detail/loop_internals.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace asyncio {

namespace {

using detail::FutureBase;
using detail::TaskBase;

// Python: the `limit` slicing of capture_call_graph (the stack is innermost
// first here).
void apply_limit(std::vector<FrameCallGraphEntry>& stack, std::optional<int> limit) {
  if (!limit) return;
  const std::size_t n = static_cast<std::size_t>(*limit < 0 ? -static_cast<long>(*limit) : *limit);
  if (n >= stack.size()) return;
  if (*limit > 0)
    stack.resize(n);
  else
    stack.erase(stack.begin(), stack.end() - static_cast<std::ptrdiff_t>(n));
}

// GCC names a function template's instance with its template arguments
// ("timeout<asyncio::Coro<int> >"): keep the function's name.
std::string short_name(const char* name) {
  if (name == nullptr) return "?";
  std::string s(name);
  if (s.rfind("operator", 0) == 0) return s;
  std::string::size_type lt = s.find('<');
  if (lt != std::string::npos && lt > 0) s.erase(lt);
  return s;
}

// The frames from `frame` up to the task's root, innermost first, skipping
// the first `skip`.
std::vector<FrameCallGraphEntry> walk_frames(void* frame, int skip) {
  std::vector<FrameCallGraphEntry> stack;
  for (; frame != nullptr; frame = detail::promise_of(frame).continuation()) {
    if (skip > 0) {
      --skip;
      continue;
    }
    stack.push_back(FrameCallGraphEntry{short_name(detail::promise_of(frame).name()), frame});
  }
  return stack;
}

std::vector<FrameCallGraphEntry> task_frames(const TaskBase& task) {
  void* frame = task.innermost_frame();
  if (frame == nullptr && task.has_coro()) frame = task.root_address();  // not started
  return walk_frames(frame, 0);
}

// Python: the awaited_by part of _build_graph_for_future. `path` holds the
// futures on the way here, so that a cycle of waits stops the walk.
std::vector<FutureCallGraph> build_awaited_by(const FutureBase& future, std::optional<int> limit,
                                              std::vector<const FutureBase*>& path);

FutureCallGraph build_graph(FutureBase& future, std::optional<int> limit, std::vector<const FutureBase*>& path) {
  FutureCallGraph graph;
  graph.future = AnyFuture(&future, /*retain=*/true);
  if (future.is_task() && (!limit || *limit != 0)) graph.call_stack = task_frames(static_cast<TaskBase&>(future));
  apply_limit(graph.call_stack, limit);
  graph.awaited_by = build_awaited_by(future, limit, path);
  return graph;
}

std::vector<FutureCallGraph> build_awaited_by(const FutureBase& future, std::optional<int> limit,
                                              std::vector<const FutureBase*>& path) {
  std::vector<FutureBase*> waiters;
  future.for_each_callback([&](detail::DoneCallback& cb) {
    FutureBase* waiter = cb.is_task_node() ? TaskBase::from_wait_node(&cb)
                                           : static_cast<detail::CallbackNode&>(cb).awaited_by();
    if (waiter != nullptr && std::find(waiters.begin(), waiters.end(), waiter) == waiters.end())
      waiters.push_back(waiter);
  });
  std::vector<FutureCallGraph> out;
  path.push_back(&future);
  for (FutureBase* w : waiters) {
    if (std::find(path.begin(), path.end(), w) != path.end()) continue;  // a cycle of waits
    out.push_back(build_graph(*w, limit, path));
  }
  path.pop_back();
  return out;
}

std::string hex_id(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(p)));
  return buf;
}

// Python: format_call_graph's render_level
void render_level(const FutureCallGraph& g, std::string& out, int level) {
  const std::string indent(static_cast<std::size_t>(level) * 4, ' ');
  FutureBase* f = g.future.state_ptr();
  if (f->is_task())
    out += indent + "* Task(name='" + static_cast<TaskBase*>(f)->name() + "', id=" + hex_id(f) + ")\n";
  else
    out += indent + "* Future(id=" + hex_id(f) + ")\n";
  if (!g.call_stack.empty()) {
    out += indent + "  + Call stack:\n";
    for (const FrameCallGraphEntry& e : g.call_stack)
      out += indent + "  |   async " + e.name + "()\n";
  }
  if (!g.awaited_by.empty()) {
    out += indent + "  + Awaited by:\n";
    for (const FutureCallGraph& w : g.awaited_by) render_level(w, out, level + 1);
  }
}

}  // namespace

std::optional<FutureCallGraph> capture_call_graph(CallGraphOptions options) {
  EventLoop* loop = detail::tls_running_loop;
  if (loop == nullptr) {
    throw RuntimeError(
        "capture_call_graph() is called outside of a running event loop and no *future* to introspect was "
        "provided");
  }
  TaskBase* task = detail::internals(*loop).current_task();
  if (task == nullptr) return std::nullopt;
  return capture_call_graph(AnyFuture(task, /*retain=*/true), options);
}

std::optional<FutureCallGraph> capture_call_graph(const AnyFuture& future, CallGraphOptions options) {
  FutureBase* f = future.state_ptr();
  if (f == nullptr) throw InvalidStateError("empty future handle");
  std::vector<const FutureBase*> path;
  EventLoop* loop = detail::tls_running_loop;
  if (loop == nullptr || f != detail::internals(*loop).current_task()) return build_graph(*f, options.limit, path);
  // The current task: its stack starts at the running coroutine.
  auto* task = static_cast<TaskBase*>(f);
  FutureCallGraph graph;
  graph.future = future;
  if (!options.limit || *options.limit != 0) graph.call_stack = walk_frames(task->innermost_frame(), options.depth - 1);
  apply_limit(graph.call_stack, options.limit);
  graph.awaited_by = build_awaited_by(*f, options.limit, path);
  return graph;
}

std::string format_call_graph(const FutureCallGraph& graph) {
  std::string out;
  render_level(graph, out, 0);
  if (!out.empty()) out.pop_back();  // Python joins the lines with '\n'
  return out;
}

std::string format_call_graph(CallGraphOptions options) {
  std::optional<FutureCallGraph> g = capture_call_graph(options);
  return g ? format_call_graph(*g) : std::string();
}

std::string format_call_graph(const AnyFuture& future, CallGraphOptions options) {
  std::optional<FutureCallGraph> g = capture_call_graph(future, options);
  return g ? format_call_graph(*g) : std::string();
}

void print_call_graph(PrintCallGraphOptions options) {
  std::ostream& out = options.file ? *options.file : std::cout;
  out << format_call_graph(CallGraphOptions{.depth = options.depth, .limit = options.limit}) << "\n";
}

void print_call_graph(const AnyFuture& future, PrintCallGraphOptions options) {
  std::ostream& out = options.file ? *options.file : std::cout;
  out << format_call_graph(future, CallGraphOptions{.depth = options.depth, .limit = options.limit}) << "\n";
}

}  // namespace asyncio
