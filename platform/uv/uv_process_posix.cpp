// Spawning children and opening pipes on POSIX (see uv_process.hpp).
//
// Facts about these platforms:
// - libuv's UV_CREATE_PIPE gives the child a socket pair, and a stderr
//   sharing the child's new stdout (Python's STDOUT) cannot be expressed
//   with it: UV_INHERIT_FD names parent descriptors. So the pipes are made
//   here, with pipe2(O_CLOEXEC) as CPython's Popen makes them (the child
//   sees a FIFO on each pipe, as under CPython), and handed to libuv as
//   inherited descriptors; the parent closes the child's ends after the
//   spawn. O_CLOEXEC keeps another thread's children from inheriting them.
// - libuv opens /dev/null itself for a standard descriptor marked
//   UV_IGNORE (Python's DEVNULL), and clears close-on-exec on a descriptor
//   inherited under its own number (pass_fds).
// - libuv does not close the other inherited descriptors in the child
//   (Python's close_fds=True does): descriptors the program opened without
//   O_CLOEXEC leak into children. libuv and this library open every
//   descriptor with O_CLOEXEC.
// - A failed chdir() or exec() in the child comes back from uv_spawn() as
//   an errno (ENOENT...), without saying which: ENOENT names the working
//   directory if it is missing, else the program (as CPython does).
// - A write-only pipe's reader going away shows as an error condition on
//   the descriptor; a dup() of it can be watched without disturbing libuv's
//   own watcher of the original.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "asyncio/sockets.hpp"
#include "uv_backend.hpp"
#include "uv_errors.hpp"
#include "uv_process.hpp"

namespace asyncio::uv {

namespace os {

void kill_and_reap(int pid) noexcept {
  if (pid <= 0) return;
  (void)::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void close_fd(int fd) noexcept {
  if (fd >= 0) (void)::close(fd);
}

}  // namespace os

namespace {

std::error_code errno_code(int e) noexcept { return std::error_code(e, std::generic_category()); }

// Descriptors closed on every path out of spawn().
struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) os::close_fd(fd);
  }
  int release(int fd) {
    fds.erase(std::find(fds.begin(), fds.end(), fd));
    return fd;
  }
};

StreamSocketPtr wrap_pipe(UvBackend& backend, int fd, UvPipe::Role role) {
  int hangup_fd = -1;
  if (role == UvPipe::Role::writer && (::fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
    hangup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (hangup_fd < 0) {
      const int e = errno;
      os::close_fd(fd);
      throw std::system_error(errno_code(e), "dup");
    }
  }
  auto* p = new UvPipe(backend);
  StreamSocketPtr ptr(p);
  const int rc = p->open(fd, hangup_fd, role);  // takes both descriptors
  check(rc, "uv_pipe_open");
  return ptr;
}

[[noreturn]] void spawn_failed(int status, const Backend::SpawnOptions& o) {
  const std::error_code ec = error_code(status);
  std::string name = o.file;
  struct stat st {};
  if (status == UV_ENOENT && o.cwd && (::stat(o.cwd->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) name = *o.cwd;
  // Python: FileNotFoundError(2, 'No such file or directory', 'prog'),
  // printed "[Errno 2] No such file or directory: 'prog'".
  throw OSError(ec, ec.message() + ": " + detail::str_repr(name));
}

}  // namespace

Backend::SpawnedChild UvBackend::spawn(const SpawnOptions& o, ChildProcessEvents* events) {
  std::vector<char*> argv;
  argv.reserve(o.args.size() + 1);
  for (const std::string& a : o.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (o.env) {
    envp.reserve(o.env->size() + 1);
    for (const std::string& e : *o.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }

  int count = 3;
  for (int fd : o.pass_fds) count = std::max(count, fd + 1);
  std::vector<uv_stdio_container_t> stdio(static_cast<std::size_t>(count));
  for (auto& s : stdio) s.flags = UV_IGNORE;  // fds >= 3: closed on exec unless passed

  Fds child_ends, parent_ends;
  int parent_fd[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    const ChildStdio& c = o.stdio[i];
    uv_stdio_container_t& s = stdio[static_cast<std::size_t>(i)];
    switch (c.kind) {
      case ChildStdio::Kind::inherit:
        s.flags = UV_INHERIT_FD;
        s.data.fd = i;
        break;
      case ChildStdio::Kind::devnull:
        s.flags = UV_IGNORE;
        break;
      case ChildStdio::Kind::fd:
        s.flags = UV_INHERIT_FD;
        s.data.fd = c.fd;
        break;
      case ChildStdio::Kind::stdout_:
        s = stdio[1];
        break;
      case ChildStdio::Kind::pipe: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno_code(errno), "pipe");
        const int child = i == 0 ? fds[0] : fds[1];
        parent_fd[i] = i == 0 ? fds[1] : fds[0];
        child_ends.fds.push_back(child);
        parent_ends.fds.push_back(parent_fd[i]);
        s.flags = UV_INHERIT_FD;
        s.data.fd = child;
        break;
      }
    }
  }
  for (int fd : o.pass_fds) {
    uv_stdio_container_t& s = stdio[static_cast<std::size_t>(fd)];
    s.flags = UV_INHERIT_FD;
    s.data.fd = fd;
  }

  uv_process_options_t options{};
  options.file = o.file.c_str();
  options.args = argv.data();
  options.env = o.env ? envp.data() : nullptr;
  options.cwd = o.cwd ? o.cwd->c_str() : nullptr;
  options.flags = o.start_new_session ? UV_PROCESS_DETACHED : 0;
  options.stdio_count = count;
  options.stdio = stdio.data();

  ChildProcessPtr process;
  int rc = os::spawn_fast(*this, options, process);
  if (rc > 0) {
    auto* p = new UvProcess(*this);
    process.reset(p);
    rc = p->spawn(options);
  }
  if (rc < 0) spawn_failed(rc, o);  // `process` closes the handle
  // The child has its ends now (or it failed and they are closed anyway).
  for (int fd : child_ends.fds) os::close_fd(fd);
  child_ends.fds.clear();

  SpawnedChild result;
  result.process = std::move(process);
  result.process->set_events(events);
  for (int i = 0; i < 3; ++i) {
    if (parent_fd[i] < 0) continue;
    result.pipes[i] =
        wrap_pipe(*this, parent_ends.release(parent_fd[i]), i == 0 ? UvPipe::Role::writer : UvPipe::Role::reader);
  }
  return result;
}

StreamSocketPtr UvBackend::pipe_open(int fd, bool writable) {
  // Python: _UnixReadPipeTransport / _UnixWritePipeTransport.__init__.
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(errno_code(errno), "fstat");
  const bool fifo = S_ISFIFO(st.st_mode), sock = S_ISSOCK(st.st_mode), chr = S_ISCHR(st.st_mode);
  if (!(fifo || sock || chr)) {
    throw ValueError(writable ? "Pipe transport is only for pipes, sockets and character devices"
                              : "Pipe transport is for pipes/sockets only.");
  }
  if (!writable) return wrap_pipe(*this, fd, UvPipe::Role::reader);
  return wrap_pipe(*this, fd, fifo || sock ? UvPipe::Role::writer : UvPipe::Role::unwatched_writer);
}

}  // namespace asyncio::uv
