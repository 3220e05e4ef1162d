/* The floor for bench/subprocess: the same work as spawn_bench.cpp in plain
 * C on libuv, with uv_spawn, uv_process_t and uv_pipe_t.
 *
 *   bare_spawn spawn N P     spawn /bin/true N times, P at a time, wait for each
 *   bare_spawn cat BYTES     pump BYTES through cat (stdin to stdout), 64 KiB
 *                            writes while reading everything back, over
 *                            libuv's UV_CREATE_PIPE stdio (socket pairs)
 *   bare_spawn catfifo BYTES the same over pipe2() pipes handed to libuv
 *                            (UV_INHERIT_FD + uv_pipe_open), the kind of
 *                            descriptor the library (and CPython) give the
 *                            child: the like-for-like floor
 *   bare_spawn catfifo2 BYTES the same with two 64 KiB writes in flight
 *                            instead of one, so the pipe never waits for the
 *                            parent's next write: the faster bare program
 *
 * Prints one line: "<what> <wall seconds> <cpu seconds of this process>". */
#define _GNU_SOURCE /* pipe2 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uv_loop_t* loop;
static long to_start, running;

static void on_close(uv_handle_t* h) { free(h); }
static void start_one(void);

static void on_exit_cb(uv_process_t* p, int64_t status, int sig) {
  (void)status;
  (void)sig;
  uv_close((uv_handle_t*)p, on_close);
  --running;
  if (to_start > 0) start_one();
}

static void start_one(void) {
  static char* args[] = {"/bin/true", NULL};
  uv_stdio_container_t stdio[3] = {{UV_IGNORE, {0}}, {UV_INHERIT_FD, {.fd = 1}}, {UV_INHERIT_FD, {.fd = 2}}};
  uv_process_options_t o;
  memset(&o, 0, sizeof o);
  o.file = args[0];
  o.args = args;
  o.exit_cb = on_exit_cb;
  o.stdio_count = 3;
  o.stdio = stdio;
  uv_process_t* p = malloc(sizeof *p);
  if (uv_spawn(loop, p, &o) != 0) abort();
  --to_start;
  ++running;
}

/* ---- cat ---- */
static uv_pipe_t in, out;
static long long to_write, received;
static char chunk[65536];
static uv_write_t wreqs[2];
static int writes_in_flight;
static char rbuf[65536];

static void write_more(uv_write_t* r);
static void on_written(uv_write_t* r, int status) {
  if (status < 0) abort();
  --writes_in_flight;
  write_more(r);
}
/* Starts the next write on request r; closes the pipe once everything is
 * written and no write is in flight. */
static void write_more(uv_write_t* r) {
  if (to_write == 0) {
    if (writes_in_flight == 0) uv_close((uv_handle_t*)&in, NULL);
    return;
  }
  size_t n = to_write < (long long)sizeof chunk ? (size_t)to_write : sizeof chunk;
  to_write -= (long long)n;
  uv_buf_t b = uv_buf_init(chunk, (unsigned)n);
  ++writes_in_flight;
  uv_write(r, (uv_stream_t*)&in, &b, 1, on_written);
}
static void alloc_cb(uv_handle_t* h, size_t s, uv_buf_t* b) {
  (void)h;
  (void)s;
  *b = uv_buf_init(rbuf, sizeof rbuf);
}
static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  (void)b;
  if (n > 0) received += n;
  if (n < 0) uv_close((uv_handle_t*)s, NULL);
}
static void cat_exit(uv_process_t* p, int64_t status, int sig) {
  (void)status;
  (void)sig;
  uv_close((uv_handle_t*)p, NULL);
}

int main(int argc, char** argv) {
  loop = uv_default_loop();
  uv_hrtime();
  /* BARE_SPAWN_TOUCH_MB=N: first dirty N MiB of heap, to see what a larger
   * parent costs per fork() (uv_spawn forks on Linux; bench/README.md). */
  const char* touch = getenv("BARE_SPAWN_TOUCH_MB");
  if (touch != NULL) {
    size_t mb = (size_t)atol(touch);
    char* ballast = malloc(mb << 20);
    if (ballast == NULL) abort();
    memset(ballast, 1, mb << 20);
  }
  double cpu0 = cpu_seconds();
  uint64_t t0 = uv_hrtime();
  if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
    long n = atol(argv[2]), p = atol(argv[3]);
    to_start = n;
    for (long i = 0; i < p && to_start > 0; ++i) start_one();
    uv_run(loop, UV_RUN_DEFAULT);
    printf("spawn %ld x%ld %.3f %.3f\n", n, p, (uv_hrtime() - t0) / 1e9, cpu_seconds() - cpu0);
  } else if (argc == 3 && (strcmp(argv[1], "cat") == 0 || strncmp(argv[1], "catfifo", 7) == 0)) {
    static char* args[] = {"cat", NULL};
    static uv_process_t proc;
    const int fifo = strncmp(argv[1], "catfifo", 7) == 0;
    const int depth = strcmp(argv[1], "catfifo2") == 0 ? 2 : 1;
    if (!fifo && strcmp(argv[1], "cat") != 0) abort();
    to_write = atoll(argv[2]);
    long long total = to_write;
    memset(chunk, 'x', sizeof chunk);
    uv_pipe_init(loop, &in, 0);
    uv_pipe_init(loop, &out, 0);
    uv_stdio_container_t stdio[3] = {{UV_CREATE_PIPE | UV_READABLE_PIPE, {.stream = (uv_stream_t*)&in}},
                                     {UV_CREATE_PIPE | UV_WRITABLE_PIPE, {.stream = (uv_stream_t*)&out}},
                                     {UV_INHERIT_FD, {.fd = 2}}};
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (fifo) {
      if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) abort();
      stdio[0].flags = UV_INHERIT_FD;
      stdio[0].data.fd = to_child[0];
      stdio[1].flags = UV_INHERIT_FD;
      stdio[1].data.fd = from_child[1];
    }
    uv_process_options_t o;
    memset(&o, 0, sizeof o);
    o.file = "cat";
    o.args = args;
    o.exit_cb = cat_exit;
    o.stdio_count = 3;
    o.stdio = stdio;
    if (uv_spawn(loop, &proc, &o) != 0) abort();
    if (fifo) {
      close(to_child[0]);
      close(from_child[1]);
      if (uv_pipe_open(&in, to_child[1]) != 0 || uv_pipe_open(&out, from_child[0]) != 0) abort();
    }
    uv_read_start((uv_stream_t*)&out, alloc_cb, read_cb);
    for (int i = 0; i < depth; ++i) write_more(&wreqs[i]);
    uv_run(loop, UV_RUN_DEFAULT);
    if (received != total) abort();
    printf("cat %lld %.3f %.3f\n", total, (uv_hrtime() - t0) / 1e9, cpu_seconds() - cpu0);
  } else {
    fprintf(stderr, "usage: bare_spawn spawn N P | cat BYTES | catfifo BYTES | catfifo2 BYTES\n");
    return 2;
  }
  return 0;
}
