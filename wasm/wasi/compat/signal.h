/* <signal.h> for wasm32-wasi: see README.md here. wasi-libc's header is an
 * #error unless signal emulation is asked for, and even then has no
 * sigaction. Signals never arrive on WASI: sigaction() fails with ENOSYS. */
#pragma once

#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL 1
#endif
#include_next <signal.h>

#include <errno.h>

#ifndef SA_RESTART
#define SA_RESTART 0x10000000
#endif

struct sigaction {
  void (*sa_handler)(int);
  int sa_flags;
};

static inline int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  (void)sig;
  (void)act;
  if (old) {
    old->sa_handler = SIG_DFL;
    old->sa_flags = 0;
  }
  errno = ENOSYS;
  return -1;
}
