// What the load generators of bench/memory and bench/soak share: reading a
// process's memory figures from /proc and giving up loudly (Linux only).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace bench {

/// A "Field:  N kB" line of /proc/PID/status (VmRSS, VmHWM...), in KiB; -1
/// when there is no such field.
inline long status_kb(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
  }
  return -1;
}

/// Prints `what` with errno's text and exits with status 1.
[[noreturn]] inline void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

}  // namespace bench
