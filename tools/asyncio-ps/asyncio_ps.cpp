// asyncio-ps: the tasks of a live process, as Python 3.14's
// `python -m asyncio ps PID` (a table) and `pstree PID` (a tree) show them.
// The process answers on its inspector socket (asyncio::inspect::enable()
// or ASYNCIO_INSPECT=1); see docs/inspect.md.
//
//   asyncio-ps ps PID        asyncio-ps pstree PID        asyncio-ps --json ps PID
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "asyncio/inspect.hpp"

namespace {

using nlohmann::json;

int usage() {
  std::cerr << "usage: asyncio-ps [--json] {ps,pstree} PID\n"
               "  ps      a table of the process's tasks (python -m asyncio ps)\n"
               "  pstree  the tree of what awaits what (python -m asyncio pstree)\n"
               "  --json  the raw document the process answered\n";
  return 2;
}

int fail(const std::string& message) {
  std::cerr << "Error: " << message << "\n";
  return 1;
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Python's f"{s:<width}": pads, never truncates.
std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Python tools.py: _format_stack_entry
std::string frame_label(const json& f) {
  const std::string file = f.value("file", "");
  const int line = f.value("line", 0);
  if (line == 0 && file.empty()) return f.value("name", "?");
  return f.value("name", "?") + " " + file + ":" + std::to_string(line);
}

std::string first_word(const std::string& s) { return s.substr(0, s.find(' ')); }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// ---- ps: one row per (task, awaiter) ----

int print_table(const json& doc) {
  std::map<std::uint64_t, std::string> id2name;
  for (const json& loop : doc["loops"])
    for (const json& t : loop["tasks"]) id2name[t["id"].get<std::uint64_t>()] = t["name"].get<std::string>();
  std::cout << pad("tid", 10) << " " << pad("task id", 20) << " " << pad("task name", 20) << " "
            << pad("coroutine stack", 50) << " " << pad("awaiter chain", 50) << " " << pad("awaiter name", 15) << " "
            << pad("awaiter id", 15) << "\n"
            << std::string(180, '-') << "\n";
  for (const json& loop : doc["loops"]) {
    if (!loop.value("running", false)) {
      std::cerr << "warning: an event loop did not answer (not running, or blocked in a callback)\n";
      continue;
    }
    const std::string tid = std::to_string(loop["thread_id"].get<long long>());
    for (const json& t : loop["tasks"]) {
      std::vector<std::string> frames;
      for (const json& f : t["coroutine_stack"]) frames.push_back(first_word(frame_label(f)));
      const std::string row = pad(tid, 10) + " " + pad(hex(t["id"].get<std::uint64_t>()), 20) + " " +
                              pad(t["name"].get<std::string>(), 20) + " " + pad(join(frames, " -> "), 50) + " ";
      if (t["awaited_by"].empty()) {
        std::cout << row << pad("", 50) << " " << pad("", 15) << " " << pad("0x0", 15) << "\n";
        continue;
      }
      for (const json& w : t["awaited_by"]) {
        std::vector<std::string> chain;
        for (const json& f : w["call_stack"]) chain.push_back(first_word(frame_label(f)));
        const std::uint64_t parent = w["id"].get<std::uint64_t>();
        auto it = id2name.find(parent);
        std::cout << row << pad(join(chain, " -> "), 50) << " " << pad(it == id2name.end() ? "Unknown" : it->second, 15)
                  << " " << pad(hex(parent), 15) << "\n";
      }
    }
  }
  return 0;
}

// ---- pstree: tasks and the coroutine frames through which they await ----

struct Tree {
  std::vector<std::string> order;               // node keys, in creation order
  std::map<std::string, std::string> label;     // key -> "(T) name" or " frame"
  std::map<std::string, std::vector<std::string>> children;
  std::map<std::string, std::map<std::string, std::string>> frame_nodes;  // parent -> frame -> key
  int next_coro = 1;

  void add(const std::string& key, const std::string& text) {
    if (label.emplace(key, text).second) order.push_back(key);
  }
  // Python tools.py: get_or_create_cor_node
  std::string frame_node(const std::string& parent, const std::string& frame) {
    auto& known = frame_nodes[parent];
    auto it = known.find(frame);
    if (it != known.end()) return it->second;
    std::string key = "c" + std::to_string(next_coro++);
    add(key, " " + frame);
    children[parent].push_back(key);
    known.emplace(frame, key);
    return key;
  }
  void render(const std::string& node, const std::string& prefix, bool last) const {
    std::cout << prefix << (last ? "└── " : "├── ") << label.at(node) << "\n";
    const std::string next = prefix + (last ? "    " : "│   ");
    auto it = children.find(node);
    if (it == children.end()) return;
    for (std::size_t i = 0; i < it->second.size(); ++i) render(it->second[i], next, i + 1 == it->second.size());
  }
};

std::string task_key(std::uint64_t id) { return "t" + std::to_string(id); }

// Depth-first search for back edges (Python tools.py: _find_cycles).
void find_cycles(std::uint64_t v, const std::map<std::uint64_t, std::set<std::uint64_t>>& g,
                 std::map<std::uint64_t, int>& color, std::vector<std::uint64_t>& path,
                 std::vector<std::vector<std::uint64_t>>& cycles) {
  color[v] = 1;
  path.push_back(v);
  auto it = g.find(v);
  if (it != g.end()) {
    for (std::uint64_t w : it->second) {
      if (color[w] == 0) {
        find_cycles(w, g, color, path, cycles);
      } else if (color[w] == 1) {
        std::vector<std::uint64_t> cycle;
        auto from = std::find(path.begin(), path.end(), w);
        cycle.assign(from, path.end());
        cycle.push_back(w);
        cycles.push_back(cycle);
      }
    }
  }
  color[v] = 2;
  path.pop_back();
}

int print_tree(const json& doc) {
  struct Await {
    std::uint64_t parent;
    std::vector<std::string> stack;
    std::uint64_t child;
  };
  std::vector<std::uint64_t> ids;
  std::map<std::uint64_t, std::string> id2name;
  std::map<std::uint64_t, std::vector<std::string>> stacks;
  std::vector<Await> awaits;
  for (const json& loop : doc["loops"]) {
    if (!loop.value("running", false)) {
      std::cerr << "warning: an event loop did not answer (not running, or blocked in a callback)\n";
      continue;
    }
    for (const json& t : loop["tasks"]) {
      const std::uint64_t id = t["id"].get<std::uint64_t>();
      if (id2name.emplace(id, t["name"].get<std::string>()).second) ids.push_back(id);
      std::vector<std::string> frames;
      for (const json& f : t["coroutine_stack"]) frames.push_back(frame_label(f));
      stacks[id] = frames;
      for (const json& w : t["awaited_by"]) {
        std::vector<std::string> stack;
        for (const json& f : w["call_stack"]) stack.push_back(frame_label(f));
        awaits.push_back(Await{w["id"].get<std::uint64_t>(), stack, id});
      }
    }
  }
  // Cycles first: a tree cannot show them (Python: CycleFoundException).
  std::map<std::uint64_t, std::set<std::uint64_t>> graph;
  std::vector<std::uint64_t> graph_order;
  for (const Await& a : awaits) {
    if (graph.find(a.parent) == graph.end()) graph_order.push_back(a.parent);
    graph[a.parent].insert(a.child);
  }
  std::map<std::uint64_t, int> color;
  std::vector<std::uint64_t> path;
  std::vector<std::vector<std::uint64_t>> cycles;
  for (std::uint64_t v : graph_order)
    if (color[v] == 0) find_cycles(v, graph, color, path, cycles);
  if (!cycles.empty()) {
    std::cerr << "ERROR: await-graph contains cycles - cannot print a tree!\n\n";
    for (const auto& c : cycles) {
      std::vector<std::string> names;
      for (std::uint64_t id : c) {
        auto it = id2name.find(id);
        names.push_back(it == id2name.end() ? hex(id) : it->second);
      }
      std::cerr << "cycle: " << join(names, " → ") << "\n";
    }
    return 1;
  }
  Tree tree;
  for (std::uint64_t id : ids) tree.add(task_key(id), "(T) " + id2name[id]);
  std::set<std::uint64_t> awaiting;
  for (const Await& a : awaits) {
    tree.add(task_key(a.parent), "(T) " + hex(a.parent));  // an awaiter not listed (another loop's)
    std::string cur = task_key(a.parent);
    for (auto it = a.stack.rbegin(); it != a.stack.rend(); ++it) cur = tree.frame_node(cur, *it);
    auto& kids = tree.children[cur];
    if (std::find(kids.begin(), kids.end(), task_key(a.child)) == kids.end()) kids.push_back(task_key(a.child));
    awaiting.insert(a.parent);
  }
  // The coroutine stacks of the tasks that await no other task.
  for (std::uint64_t id : ids) {
    if (awaiting.count(id) != 0) continue;
    std::string cur = task_key(id);
    const auto& frames = stacks[id];
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) cur = tree.frame_node(cur, *it);
  }
  std::set<std::string> has_parent;
  for (const auto& [parent, kids] : tree.children) has_parent.insert(kids.begin(), kids.end());
  for (const std::string& key : tree.order) {
    if (has_parent.count(key) != 0) continue;
    tree.render(key, "", true);
  }
  return 0;
}

// ---- talking to the process ----

int fetch(long pid, std::string& out) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0) {
    if (errno == ESRCH) return fail("no process with pid " + std::to_string(pid));
    if (errno == EPERM)
      return fail("permission denied: process " + std::to_string(pid) +
                  " belongs to another user (its inspector socket is readable by that user only)");
  }
  const std::string path = asyncio::inspect::socket_path(pid);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("socket(): ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EACCES || e == EPERM)
      return fail("permission denied connecting to " + path + " (the process belongs to another user?)");
    if (e == ENOENT || e == ECONNREFUSED)
      return fail("process " + std::to_string(pid) + " does not run the asyncio inspector (nothing answers at " + path +
                  "): start it with ASYNCIO_INSPECT=1 or call asyncio::inspect::enable()");
    return fail("connecting to " + path + ": " + std::strerror(e));
  }
  const char request[] = "ps\n";
  (void)::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (out.empty()) return fail("process " + std::to_string(pid) + " closed the connection without answering");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool raw = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json")
      raw = true;
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else
      args.push_back(a);
  }
  if (args.size() != 2 || (args[0] != "ps" && args[0] != "pstree")) return usage();
  long pid = 0;
  try {
    std::size_t used = 0;
    pid = std::stol(args[1], &used);
    if (used != args[1].size() || pid <= 0) throw std::invalid_argument("pid");
  } catch (const std::exception&) {
    return fail("not a process id: '" + args[1] + "'");
  }
  std::string text;
  if (int rc = fetch(pid, text); rc != 0) return rc;
  json doc;
  try {
    doc = json::parse(text);
  } catch (const std::exception& e) {
    return fail(std::string("the process answered something that is not JSON: ") + e.what());
  }
  if (doc.contains("error")) {
    std::cerr << "Error retrieving tasks: " << doc["error"].get<std::string>() << "\n";
    return 1;
  }
  if (raw) {
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  try {
    return args[0] == "ps" ? print_table(doc) : print_tree(doc);
  } catch (const std::exception& e) {
    return fail(std::string("unexpected document: ") + e.what());
  }
}
