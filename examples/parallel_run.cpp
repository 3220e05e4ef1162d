// A small `xargs -P`: runs a command once per input line, at most N at a
// time, the line appended as the command's last argument.
//
//   printf 'a\nb\nc\n' | parallel_run -P 2 sh -c 'echo "hello $0"; sleep 1'
//
// Each child's output (stdout and stderr together) is printed at once when
// it ends, with its exit status, so outputs never interleave. On a terminal
// a progress line shows how many are done. Ctrl-C stops every child
// (SIGTERM) and waits for them before exiting.
//
//   parallel_run --demo            runs a built-in set of commands
//   parallel_run --demo-interrupt  starts long children, then sends itself
//                                  Ctrl-C (SIGINT): every child is stopped
//
// Python: the same with asyncio.create_subprocess_exec, a Semaphore, and
// communicate().
#include <asyncio/asyncio.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::subprocess::PIPE;
using asyncio::subprocess::STDOUT;

namespace {

struct Run {
  std::vector<std::string> command;  // program and its fixed arguments
  int total = 0;
  int done = 0;
  int failed = 0;
  bool tty = false;
  std::map<int, asyncio::Process> running;  // by pid: what Ctrl-C must stop
  int stopped = 0;

  void progress() const {
    if (!tty) return;
    std::cerr << "\r\033[K[" << done << "/" << total << " done, " << running.size() << " running]" << std::flush;
  }
  void print(const std::string& text) const {
    if (tty) std::cerr << "\r\033[K";
    std::cout << text << std::flush;  // one write per child: outputs never interleave
    progress();
  }
};

Coro<void> run_one(Run& run, asyncio::Semaphore& slots, std::string line) {
  auto held = co_await asyncio::hold(slots);
  std::vector<std::string> args(run.command.begin() + 1, run.command.end());
  args.push_back(line);
  auto start = asyncio::create_subprocess_exec(run.command[0], std::move(args), {.std_out = PIPE, .std_err = STDOUT});
  asyncio::Process proc = co_await std::move(start);
  run.running.emplace(proc.pid, proc);
  run.progress();
  // Cancelled (Ctrl-C), communicate() leaves the child running, as in
  // Python: main_coro() stops it.
  auto comm = proc.communicate();
  auto [out, err] = co_await std::move(comm);
  run.running.erase(proc.pid);
  const int status = *proc.returncode();
  ++run.done;
  if (status != 0) ++run.failed;
  run.print("=== " + line + " (exit " + std::to_string(status) + ")\n" + *out);
}

Coro<int> main_coro(Run& run, int jobs, std::vector<std::string> lines, bool interrupt) {
  asyncio::Semaphore slots(jobs);
  run.total = static_cast<int>(lines.size());
  std::vector<Coro<void>> children;
  for (std::string& line : lines) children.push_back(run_one(run, slots, std::move(line)));
  if (interrupt) {
    // What a user's Ctrl-C does: SIGINT once the children run.
#if ASYNCIO_PLATFORM_HAS_SIGNALS  // WASI has no kill(); nothing runs there anyway
    asyncio::get_running_loop().call_later(0.5, [] { ::kill(::getpid(), SIGINT); });
#endif
  }
  std::exception_ptr cancelled;
  try {
    auto all = asyncio::gather(std::move(children));
    co_await std::move(all);
  } catch (const asyncio::CancelledError&) {
    cancelled = std::current_exception();
  } catch (const std::exception& e) {
    std::cerr << "parallel_run: " << e.what() << "\n";
    co_return 2;
  }
  if (cancelled) {
    // Ctrl-C: stop every child still running and wait for them, then let
    // asyncio::run turn the cancellation into KeyboardInterrupt.
    std::map<int, asyncio::Process> running = std::move(run.running);
    for (auto& [pid, proc] : running) {
      try {
        proc.terminate();
      } catch (const std::system_error&) {
        // It exited meanwhile.
      }
    }
    for (auto& [pid, proc] : running) {
      (void)co_await proc.wait();
      ++run.stopped;
    }
    std::rethrow_exception(cancelled);
  }
  if (run.tty) std::cerr << "\r\033[K";
  std::cout << run.done << " commands, " << run.failed << " failed\n";
  co_return run.failed == 0 ? 0 : 1;
}

int usage() {
  std::cerr << "usage: parallel_run [-P jobs] command [args...] < lines\n"
               "       parallel_run --demo | --demo-interrupt\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if constexpr (!asyncio::platform::available) (void)asyncio::new_event_loop();  // says why, exits 69
  if constexpr (asyncio::platform::available && !asyncio::platform::has_subprocesses) {
    std::cerr << "parallel_run: no child processes on " << asyncio::platform::name << "\n";
    return 69;
  }
  Run run;
  int jobs = 4;
  std::vector<std::string> lines;
  bool interrupt = false;
  int i = 1;
  if (argc == 2 && (std::string(argv[1]) == "--demo" || std::string(argv[1]) == "--demo-interrupt")) {
    interrupt = std::string(argv[1]) == "--demo-interrupt";
    jobs = 3;
    if (interrupt) {
      run.command = {"sh", "-c", "echo \"start $0\"; exec sleep 30"};
      lines = {"a", "b", "c", "d"};
    } else {
      run.command = {"sh", "-c", "echo \"item $0\"; test \"$0\" != three"};
      lines = {"one", "two", "three", "four", "five"};
    }
  } else {
    if (i + 1 < argc && std::string(argv[i]) == "-P") {
      jobs = std::atoi(argv[i + 1]);
      i += 2;
    }
    if (i >= argc || jobs < 1) return usage();
    run.command.assign(argv + i, argv + argc);
    std::string line;
    while (std::getline(std::cin, line)) lines.push_back(line);
  }
  run.tty = ::isatty(STDERR_FILENO) != 0;
  try {
    return asyncio::run(main_coro(run, jobs, std::move(lines), interrupt));
  } catch (const asyncio::KeyboardInterrupt&) {
    if (run.tty) std::cerr << "\r\033[K";
    std::cout << "interrupted: stopped " << run.stopped << " running children, " << run.done << " done\n";
    return 130;
  }
}
