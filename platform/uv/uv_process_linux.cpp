// Spawning children on Linux without fork() (see uv_process.hpp).
//
// Why: libuv 1.44 (Debian 12's) spawns with fork(), which copies the
// parent's page tables and write-protects every dirty page; the parent then
// takes a copy-on-write fault on each page it writes until the child has
// exec'd. A program with a few megabytes of heap pays several times what a
// small C program pays per child. glibc's posix_spawn() runs the child with
// clone(CLONE_VM | CLONE_VFORK): nothing is copied, the parent waits only
// until exec.
//
// Facts this relies on:
// - glibc >= 2.29 has posix_spawn_file_actions_addchdir_np(); its
//   posix_spawn() reports a failed chdir() or exec() as the return value
//   (an errno), like uv_spawn(); adddup2(fd, fd) clears close-on-exec on fd
//   (what libuv does for a descriptor inherited under its own number).
// - libuv's SIGCHLD handler waitpid()s only the pids of its own
//   uv_process_t handles, never -1: it does not reap these children.
// - A pidfd (pidfd_open(), Linux 5.3) becomes readable when its process
//   exits; the child stays a zombie until waited for, so its pid cannot be
//   reused while the pidfd is watched. pidfd_open() fails with ENOSYS on
//   older kernels and under some emulators (qemu-user): uv_spawn() then.
// - execvp() in libuv's child searches the PATH of the child's environment
//   (libuv sets environ first); posix_spawnp() would search the parent's,
//   so the search is done here.
//
// What this path does not take (uv_spawn() instead): libuv flags other than
// UV_PROCESS_DETACHED (setuid/setgid), and a standard descriptor whose
// source is another of the child's descriptors that an earlier action
// replaces (libuv moves such sources out of the way first).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "uv_backend.hpp"
#include "uv_process.hpp"

extern char** environ;

namespace asyncio::uv {

namespace {

int pidfd_open(int pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Closes a pidfd through the same raw system call door it was opened by, as
// libuv closes its own descriptors. ThreadSanitizer sees neither a raw
// pidfd_open() nor libuv's raw close() of its epoll descriptor, so a close()
// it did see would look like a race with whichever loop last owned the
// recycled descriptor number (two loops in two threads spawning children).
void pidfd_close(int pidfd) noexcept { ::syscall(SYS_close, pidfd); }

// A child started with posix_spawn(), its exit watched through a pidfd.
class PidfdProcess final : public Backend::ChildProcess, public HandleObject {
 public:
  explicit PidfdProcess(UvBackend& backend) noexcept : HandleObject(backend) {}

  // Watches `pidfd` (taken) of child `pid`. libuv status; on failure the
  // caller closes the object, which kills and reaps the child.
  int start(int pid, int pidfd) noexcept {
    pid_ = pid;
    const int rc = uv_poll_init(backend().uv_loop(), &poll_, pidfd);
    if (rc < 0) {
      pidfd_close(pidfd);
      return rc;
    }
    own(&poll_);
    pidfd_ = pidfd;
    return uv_poll_start(&poll_, UV_READABLE, &PidfdProcess::on_ready);
  }

  int pid() const noexcept override { return pid_; }

  std::error_code send_signal(int sig) noexcept override {
    // Python: Popen.send_signal() does nothing once the child is reaped.
    if (exited_) return std::make_error_code(std::errc::no_such_process);
    if (::kill(pid_, sig) != 0) return std::error_code(errno, std::generic_category());
    return {};
  }

  void set_events(Backend::ChildProcessEvents* events) noexcept override { events_ = events; }
  void close() noexcept override { close_handles(); }

 private:
  ~PidfdProcess() override = default;

  void close_owned() noexcept override {
    events_ = nullptr;
    if (!exited_) os::kill_and_reap(pid_);
    exited_ = true;
    if (pidfd_ >= 0) {
      close_handle(&poll_);
      // uv_close() stopped watching it: the descriptor can go now.
      pidfd_close(pidfd_);
      pidfd_ = -1;
    }
  }

  void on_detach() noexcept override {
    if (Backend::ChildProcessEvents* events = std::exchange(events_, nullptr)) events->on_detached();
  }

  static void on_ready(uv_poll_t* poll, int, int) {
    auto* self = owner<PidfdProcess>(poll);
    if (self->exited_) return;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(self->pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return;  // not exited yet (a spurious wake-up)
    uv_poll_stop(poll);
    self->exited_ = true;
    int returncode;
    if (r < 0) {
      // Reaped by someone else (SIGCHLD set to SIG_IGN, a waitpid(-1)):
      // Python's child watchers report 255 then.
      returncode = 255;
    } else if (WIFSIGNALED(status)) {
      returncode = -WTERMSIG(status);  // Python's Popen.returncode
    } else {
      returncode = WEXITSTATUS(status);
    }
    if (self->events_) self->events_->on_exit(returncode);
  }

  uv_poll_t poll_{};
  Backend::ChildProcessEvents* events_ = nullptr;
  int pid_ = 0;
  int pidfd_ = -1;
  bool exited_ = false;
};


// Whether this kernel (or emulator) has pidfd_open(): asked once.
bool have_pidfd() noexcept {
  static std::atomic<int> known{-1};
  int k = known.load(std::memory_order_relaxed);
  if (k < 0) {
    const int fd = pidfd_open(::getpid());
    k = fd >= 0 ? 1 : 0;
    if (fd >= 0) pidfd_close(fd);
    known.store(k, std::memory_order_relaxed);
  }
  return k == 1;
}

struct FileActions {
  posix_spawn_file_actions_t a;
  FileActions() noexcept { posix_spawn_file_actions_init(&a); }
  ~FileActions() { posix_spawn_file_actions_destroy(&a); }
};

struct Attributes {
  posix_spawnattr_t a;
  Attributes() noexcept { posix_spawnattr_init(&a); }
  ~Attributes() { posix_spawnattr_destroy(&a); }
};

// The descriptor child descriptor `i` comes from: a parent descriptor, -1
// for /dev/null, -2 for none (closed on exec, or left to libuv's rules).
int source_of(const uv_process_options_t& o, int i) noexcept {
  const uv_stdio_container_t& s = o.stdio[i];
  if (s.flags & UV_INHERIT_FD) return s.data.fd;
  if (s.flags == UV_IGNORE) return i < 3 ? -1 : -2;
  return -3;  // UV_CREATE_PIPE, UV_INHERIT_STREAM: not taken here
}

// The child's PATH (libuv's execvp() runs after environ = env), glibc's
// default when it has none.
std::string_view search_path(const uv_process_options_t& o) noexcept {
  const char* path = nullptr;
  if (o.env != nullptr) {
    for (char** e = o.env; *e != nullptr; ++e) {
      if (std::strncmp(*e, "PATH=", 5) == 0) {
        path = *e + 5;
        break;
      }
    }
  } else {
    path = std::getenv("PATH");
  }
  return path != nullptr ? std::string_view(path) : std::string_view("/bin:/usr/bin");
}

// posix_spawn() of `file` (a path) or of the first executable named `file`
// in the child's PATH, with execvp()'s errors: EACCES if only a
// non-executable candidate was found, else ENOENT. errno value or 0.
int spawn_searching(pid_t* pid, const uv_process_options_t& o, const posix_spawn_file_actions_t* fa,
                    const posix_spawnattr_t* attr) noexcept {
  char* const* envp = o.env != nullptr ? o.env : environ;
  if (std::strchr(o.file, '/') != nullptr) return ::posix_spawn(pid, o.file, fa, attr, o.args, envp);
  std::string_view path = search_path(o);
  std::string candidate;
  int result = ENOENT;
  for (;;) {
    const std::size_t colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    try {
      candidate.assign(dir.empty() ? std::string_view(".") : dir);
      candidate += '/';
      candidate += o.file;
    } catch (...) {
      return ENOMEM;
    }
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      const int rc = ::posix_spawn(pid, candidate.c_str(), fa, attr, o.args, envp);
      if (rc != EACCES && rc != ENOENT && rc != ENOTDIR) return rc;
      if (rc == EACCES) result = EACCES;
    }
    if (colon == std::string_view::npos) return result;
    path.remove_prefix(colon + 1);
  }
}

}  // namespace

namespace os {

int spawn_fast(UvBackend& backend, const uv_process_options_t& o, Backend::ChildProcessPtr& out) noexcept {
  if ((o.flags & ~static_cast<unsigned>(UV_PROCESS_DETACHED)) != 0) return 1;
  if (!have_pidfd()) return 1;
  // Actions run in descriptor order: a source that an earlier action
  // replaced would be the wrong file (libuv moves such sources first).
  for (int i = 0; i < o.stdio_count; ++i) {
    const int src = source_of(o, i);
    if (src == -3) return 1;
    if (src >= 0 && src != i && src < i) {
      const int earlier = source_of(o, src);
      if (earlier != src && earlier != -2) return 1;
    }
  }

  FileActions fa;
  for (int i = 0; i < o.stdio_count; ++i) {
    const int src = source_of(o, i);
    int rc = 0;
    if (src >= 0)
      rc = posix_spawn_file_actions_adddup2(&fa.a, src, i);
    else if (src == -1)
      rc = posix_spawn_file_actions_addopen(&fa.a, i, "/dev/null", i == 0 ? O_RDONLY : O_RDWR, 0);
    if (rc != 0) return -rc;
  }
  if (o.cwd != nullptr) {
    const int rc = posix_spawn_file_actions_addchdir_np(&fa.a, o.cwd);
    if (rc != 0) return -rc;
  }

  // As libuv's child: signals 1-31 back to their defaults, none blocked.
  Attributes attr;
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int sig = 1; sig < 32; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&defaults, sig);
  }
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (o.flags & UV_PROCESS_DETACHED) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setsigdefault(&attr.a, &defaults);
  posix_spawnattr_setsigmask(&attr.a, &none);
  posix_spawnattr_setflags(&attr.a, flags);

  pid_t pid = 0;
  const int rc = spawn_searching(&pid, o, &fa.a, &attr.a);
  if (rc != 0) return -rc;

  const int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    const int e = errno;  // EMFILE...: the child must not outlive this call
    kill_and_reap(pid);
    return -e;
  }
  auto* p = new (std::nothrow) PidfdProcess(backend);
  if (p == nullptr) {
    pidfd_close(pidfd);
    kill_and_reap(pid);
    return UV_ENOMEM;
  }
  Backend::ChildProcessPtr process(p);
  const int started = p->start(pid, pidfd);  // takes pidfd
  if (started < 0) return started;           // `process` kills and reaps
  out = std::move(process);
  return 0;
}

}  // namespace os

}  // namespace asyncio::uv
