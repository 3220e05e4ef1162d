// Ctrl-C for the Windows tests: a console control event sent to this
// process alone.
//
// Facts (checked on Windows' documentation and under Wine 8):
// - GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) reaches every process
//   attached to the caller's console. The test first gives itself a console
//   of its own (FreeConsole, AllocConsole), so that ctest (Windows) is not
//   interrupted too; the C runtime keeps writing to the handles it started
//   with, so the test's output still reaches ctest.
// - Under Wine a process started from a pipe has a console that cannot
//   generate events (GenerateConsoleCtrlEvent fails with
//   ERROR_INVALID_ACCESS); with its own console from AllocConsole,
//   CTRL_C_EVENT works. CTRL_BREAK_EVENT does not (ERROR_INVALID_HANDLE),
//   so SIGBREAK cannot be delivered in these tests.
// - The handlers run in a thread the system starts for the event.
#pragma once

#include <windows.h>

#include <stdexcept>
#include <string>

namespace test {

/// Gives this process a console of its own, once.
inline void own_console() {
  static const bool done = [] {
    FreeConsole();
    if (!AllocConsole()) throw std::runtime_error("AllocConsole failed: " + std::to_string(GetLastError()));
    return true;
  }();
  (void)done;
}

/// Presses Ctrl-C in this process's (own) console.
inline void press_ctrl_c() {
  own_console();
  if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0))
    throw std::runtime_error("GenerateConsoleCtrlEvent failed: " + std::to_string(GetLastError()));
}

}  // namespace test
