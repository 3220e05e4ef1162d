/* A bare libuv + OpenSSL TLS echo server: the floor the library's TLS echo
 * servers are compared with (bench/echo, --tls). Written the way an expert
 * would write it in C for throughput: OpenSSL's memory BIOs between the
 * socket and the TLS session (as asyncio's SSL layer does), TCP_NODELAY,
 * 64 KiB reads, everything decrypted echoed at once, the ciphertext tried
 * with uv_try_write() and queued with uv_write() only for the rest, and
 * reading paused while a write is queued (flow control).
 *
 *   bare_tls_echo_server --cert CERT --key KEY [--host 127.0.0.1] [--port 0]
 *
 * Prints "listening on HOST:PORT" once ready; runs until killed. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BUF_SIZE (64 * 1024)

typedef struct {
  uv_tcp_t tcp;
  uv_write_t req;
  SSL* ssl;
  BIO* rbio; /* ciphertext received, for OpenSSL */
  BIO* wbio; /* ciphertext OpenSSL produced, to send */
  char buf[BUF_SIZE];   /* socket reads */
  char plain[BUF_SIZE]; /* decrypted */
  char* out;            /* ciphertext being sent, reused */
  size_t out_cap;
  char* pending; /* ciphertext queued behind a write in flight */
  size_t pending_len, pending_cap;
  int writing;
  int closing;
} conn_t;

static uv_loop_t* loop;
static SSL_CTX* ctx;

static void on_close(uv_handle_t* h) {
  conn_t* c = (conn_t*)h->data;
  SSL_free(c->ssl); /* frees the BIOs */
  free(c->out);
  free(c->pending);
  free(c);
}

static void close_conn(conn_t* c) {
  if (c->closing) return;
  c->closing = 1;
  uv_close((uv_handle_t*)&c->tcp, on_close);
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  conn_t* c = (conn_t*)h->data;
  (void)suggested;
  *buf = uv_buf_init(c->buf, BUF_SIZE);
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
static void start_write(conn_t* c, char* data, size_t len);

static void on_write(uv_write_t* req, int status) {
  conn_t* c = (conn_t*)req->data;
  c->writing = 0;
  if (status < 0) {
    close_conn(c);
    return;
  }
  if (c->pending_len > 0) {
    /* Swap the queued bytes in and send them. */
    char* p = c->out;
    size_t cap = c->out_cap;
    c->out = c->pending;
    c->out_cap = c->pending_cap;
    c->pending = p;
    c->pending_cap = cap;
    size_t n = c->pending_len;
    c->pending_len = 0;
    start_write(c, c->out, n);
    if (c->writing) return;
  }
  if (!c->closing) uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read); /* resume */
}

/* Sends `len` bytes of c->out: at once what the kernel takes, the rest
 * with uv_write (reading stops until it is done). */
static void start_write(conn_t* c, char* data, size_t len) {
  uv_buf_t b = uv_buf_init(data, (unsigned)len);
  int n = uv_try_write((uv_stream_t*)&c->tcp, &b, 1);
  if (n == (int)len) return;
  if (n < 0 && n != UV_EAGAIN) {
    close_conn(c);
    return;
  }
  if (n < 0) n = 0;
  b = uv_buf_init(data + n, (unsigned)(len - (size_t)n));
  c->req.data = c;
  c->writing = 1;
  uv_read_stop((uv_stream_t*)&c->tcp);
  if (uv_write(&c->req, (uv_stream_t*)&c->tcp, &b, 1, on_write) < 0) close_conn(c);
}

/* Moves what OpenSSL wrote to the socket (or behind the write in flight). */
static void flush_out(conn_t* c) {
  size_t n = BIO_ctrl_pending(c->wbio);
  if (n == 0) return;
  if (c->writing) {
    if (c->pending_len + n > c->pending_cap) {
      c->pending_cap = (c->pending_len + n) * 2;
      c->pending = realloc(c->pending, c->pending_cap);
    }
    BIO_read(c->wbio, c->pending + c->pending_len, (int)n);
    c->pending_len += n;
    return;
  }
  if (n > c->out_cap) {
    c->out_cap = n * 2;
    free(c->out);
    c->out = malloc(c->out_cap);
  }
  BIO_read(c->wbio, c->out, (int)n);
  start_write(c, c->out, n);
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  conn_t* c = (conn_t*)s->data;
  if (nread < 0) {
    close_conn(c);
    return;
  }
  if (nread == 0) return;
  BIO_write(c->rbio, buf->base, (int)nread);
  if (!SSL_is_init_finished(c->ssl)) {
    int r = SSL_do_handshake(c->ssl);
    flush_out(c);
    if (r != 1) {
      if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) close_conn(c);
      return;
    }
  }
  /* Echo everything decrypted, then send the ciphertext in one write. */
  for (;;) {
    size_t n = 0;
    if (SSL_read_ex(c->ssl, c->plain, BUF_SIZE, &n) != 1) {
      int err = SSL_get_error(c->ssl, 0);
      if (err == SSL_ERROR_WANT_READ) break;
      if (err == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl); /* close_notify back */
      flush_out(c);
      close_conn(c);
      return;
    }
    size_t written = 0;
    if (SSL_write_ex(c->ssl, c->plain, n, &written) != 1) {
      close_conn(c);
      return;
    }
  }
  flush_out(c);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  conn_t* c = calloc(1, sizeof *c);
  uv_tcp_init(loop, &c->tcp);
  c->tcp.data = c;
  c->ssl = SSL_new(ctx);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_accept_state(c->ssl);
  if (uv_accept(server, (uv_stream_t*)&c->tcp) != 0) {
    close_conn(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  const char* cert = NULL;
  const char* key = NULL;
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--cert") == 0) cert = argv[i + 1];
    else if (strcmp(argv[i], "--key") == 0) key = argv[i + 1];
  }
  if (!cert || !key) {
    fprintf(stderr, "usage: bare_tls_echo_server --cert CERT --key KEY [--host H] [--port P]\n");
    return 2;
  }
  ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
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
