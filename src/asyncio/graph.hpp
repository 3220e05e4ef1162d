// Call-graph introspection: which coroutines a task is running through,
// and which tasks and futures wait for it. Python: asyncio.graph (3.14).
//
//   asyncio::print_call_graph();  // inside a task: the current task's graph
//
//   * Task(name='worker', id=0x55d0c1a2b3c0)
//     + Call stack:
//     |   async fetch()
//     |   async worker()
//     + Awaited by:
//        * Task(name='Task-1', id=0x55d0c1a2b040)
//          + Call stack:
//          |   async task_group()
//          |   async main_coro()
//
// The edges come from what the library already records: a task suspended
// in a chain of coroutines knows its innermost frame and each frame its
// awaiting one; a future's done callbacks say who waits for it (a task
// awaiting it, a gather(), a TaskGroup's parent task, a shield()).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// One coroutine frame of a call stack. Python: asyncio.FrameCallGraphEntry
/// Divergence: C++ frames carry the coroutine function's name, not a file
/// and line.
struct FrameCallGraphEntry {
  /// The coroutine function's name ("main_coro"; "operator()" for lambdas;
  /// function templates without their template arguments).
  std::string name;
  /// The coroutine frame's address.
  void* frame = nullptr;
};

/// A future or task, the coroutines it is running through (innermost
/// first), and the graphs of those awaiting it. Python: asyncio.FutureCallGraph
struct FutureCallGraph {
  AnyFuture future;
  std::vector<FrameCallGraphEntry> call_stack;
  std::vector<FutureCallGraph> awaited_by;
};

/// Options of capture_call_graph() and format_call_graph().
/// Python: their keyword arguments.
struct CallGraphOptions {
  /// For the current task: how many of the innermost coroutine frames to
  /// skip, plus one (1: start at the coroutine calling capture_call_graph).
  int depth = 1;
  /// Keep at most |limit| frames per call stack: the innermost ones if
  /// positive, the outermost if negative; 0 keeps none.
  std::optional<int> limit{};
};

/// Options of print_call_graph(). Python: its keyword arguments.
struct PrintCallGraphOptions {
  /// Where to print; null: std::cout.
  std::ostream* file = nullptr;
  int depth = 1;
  std::optional<int> limit{};
};

/// The call graph of the current task, std::nullopt if no task is running.
/// RuntimeError if no loop is running.
/// Python: asyncio.capture_call_graph(depth=1, limit=None)
std::optional<FutureCallGraph> capture_call_graph(CallGraphOptions options = {});
/// The call graph of `future` (a task or a future). InvalidStateError for
/// an empty handle. Python: asyncio.capture_call_graph(future)
std::optional<FutureCallGraph> capture_call_graph(const AnyFuture& future, CallGraphOptions options = {});

/// The current task's call graph as text ("" if there is no task).
/// Python: asyncio.format_call_graph()
std::string format_call_graph(CallGraphOptions options = {});
/// Python: asyncio.format_call_graph(future)
std::string format_call_graph(const AnyFuture& future, CallGraphOptions options = {});
/// Renders a captured graph as format_call_graph() does.
std::string format_call_graph(const FutureCallGraph& graph);

/// Prints format_call_graph() and a newline. Python: asyncio.print_call_graph()
void print_call_graph(PrintCallGraphOptions options = {});
/// Python: asyncio.print_call_graph(future)
void print_call_graph(const AnyFuture& future, PrintCallGraphOptions options = {});

}  // namespace asyncio
