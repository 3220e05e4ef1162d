/* <sys/resource.h> on a Cortex-M without an OS: see README.md here.
 * newlib's has getrusage() only; the descriptor limits are added, and
 * getrlimit()/setrlimit() fail with ENOSYS (../no_posix.cpp). */
#pragma once
#include_next <sys/resource.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long rlim_t;

struct rlimit {
  rlim_t rlim_cur;
  rlim_t rlim_max;
};

#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~(rlim_t)0)

int getrlimit(int resource, struct rlimit* limit);
int setrlimit(int resource, const struct rlimit* limit);

#ifdef __cplusplus
}
#endif
