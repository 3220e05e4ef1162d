/* A bare libuv UDP echo server: the floor of what libuv costs, for the UDP
 * benchmark (bench/udp/udp_load.cpp). Same contract as examples/udp_echo:
 *   bare_udp_echo [--host 127.0.0.1] [--port 0]
 * prints "listening on HOST:PORT" and echoes every datagram to its sender
 * (uv_udp_try_send; uv_udp_send with a copy when the kernel is full). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static uv_udp_t server;
static char buffer[65536];

typedef struct {
  uv_udp_send_t req;
  char data[];
} send_req;

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(buffer, sizeof buffer);
}

static void on_sent(uv_udp_send_t* req, int status) {
  (void)status;
  free(req);
}

static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  (void)flags;
  if (nread < 0 || addr == NULL) return;
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
  int rc = uv_udp_try_send(h, &out, 1, addr);
  if (rc == UV_EAGAIN) {
    send_req* r = malloc(sizeof(send_req) + (size_t)nread);
    memcpy(r->data, buf->base, (size_t)nread);
    out = uv_buf_init(r->data, (unsigned)nread);
    if (uv_udp_send(&r->req, h, &out, 1, addr, on_sent) != 0) free(r);
  }
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
  }
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in addr;
  uv_ip4_addr(host, port, &addr);
  uv_udp_init(loop, &server);
  if (uv_udp_bind(&server, (const struct sockaddr*)&addr, 0) != 0) return 1;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_udp_getsockname(&server, (struct sockaddr*)&bound, &len);
  printf("listening on %s:%d\n", host, ntohs(((struct sockaddr_in*)&bound)->sin_port));
  fflush(stdout);
  uv_udp_recv_start(&server, on_alloc, on_recv);
  return uv_run(loop, UV_RUN_DEFAULT);
}
