/* A bare libuv echo server: the floor the library's echo servers are
 * compared with (bench/echo). Written the way an expert would write it in C
 * for throughput, with the same behaviour as the library's servers:
 * TCP_NODELAY, 64 KiB reads into a per-connection buffer, a write tried at
 * once with uv_try_write() and queued with uv_write() only for the rest,
 * and reading paused while a write is queued (flow control).
 *
 *   bare_echo_server [--host 127.0.0.1] [--port 0]
 *
 * Prints "listening on HOST:PORT" once ready; runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BUF_SIZE (64 * 1024)

typedef struct {
  uv_tcp_t tcp;
  uv_write_t req;
  char buf[BUF_SIZE];
  char* pending; /* bytes not taken by uv_try_write, copied */
  size_t pending_len;
} conn_t;

static uv_loop_t* loop;

static void on_close(uv_handle_t* h) {
  conn_t* c = (conn_t*)h->data;
  free(c->pending);
  free(c);
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  conn_t* c = (conn_t*)h->data;
  (void)suggested;
  *buf = uv_buf_init(c->buf, BUF_SIZE);
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);

static void on_write(uv_write_t* req, int status) {
  conn_t* c = (conn_t*)req->data;
  if (status < 0) {
    if (!uv_is_closing((uv_handle_t*)&c->tcp)) uv_close((uv_handle_t*)&c->tcp, on_close);
    return;
  }
  c->pending_len = 0;
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read); /* resume */
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  conn_t* c = (conn_t*)s->data;
  if (nread < 0) {
    if (!uv_is_closing((uv_handle_t*)s)) uv_close((uv_handle_t*)s, on_close);
    return;
  }
  if (nread == 0) return;
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
  int n = uv_try_write(s, &out, 1);
  if (n == nread) return;
  if (n < 0 && n != UV_EAGAIN) {
    uv_close((uv_handle_t*)s, on_close);
    return;
  }
  if (n < 0) n = 0;
  /* Queue the rest and stop reading until it is written. */
  size_t rest = (size_t)nread - (size_t)n;
  c->pending = realloc(c->pending, rest);
  memcpy(c->pending, buf->base + n, rest);
  c->pending_len = rest;
  uv_read_stop(s);
  uv_buf_t w = uv_buf_init(c->pending, (unsigned)rest);
  c->req.data = c;
  if (uv_write(&c->req, s, &w, 1, on_write) < 0) uv_close((uv_handle_t*)s, on_close);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  conn_t* c = calloc(1, sizeof *c);
  uv_tcp_init(loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t*)&c->tcp) != 0) {
    uv_close((uv_handle_t*)&c->tcp, on_close);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
  }
  loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_storage addr;
  if (uv_ip4_addr(host, port, (struct sockaddr_in*)&addr) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6*)&addr) != 0) {
    fprintf(stderr, "bad host %s\n", host);
    return 2;
  }
  int rc = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t*)&server, 1024, on_connection);
  if (rc != 0) {
    fprintf(stderr, "listen: %s\n", uv_strerror(rc));
    return 1;
  }
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&server, (struct sockaddr*)&bound, &len);
  char name[64];
  if (bound.ss_family == AF_INET) uv_ip4_name((struct sockaddr_in*)&bound, name, sizeof name);
  else uv_ip6_name((struct sockaddr_in6*)&bound, name, sizeof name);
  printf("listening on %s:%d\n", name, ntohs(((struct sockaddr_in*)&bound)->sin_port));
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
