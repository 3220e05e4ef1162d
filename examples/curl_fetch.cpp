// Bridging a callback-based C library into the loop: libcurl's multi socket
// API driven by add_reader()/add_writer() and call_later(), exposed as an
// awaitable fetch(url) that can be gathered, cancelled and timed out.
// docs/extending.md walks through it as the recipe for any such library.
//
//   curl_fetch URL...            fetch the URLs concurrently, print status and size
//   curl_fetch --self-test N     serve N pages on 127.0.0.1 with asyncio's own
//                                streams server, fetch them all (20 at a time),
//                                check every body, then show a timeout and a
//                                cancellation removing the transfer
//
// How libcurl is driven (its "multi_socket" API):
// - CURLMOPT_SOCKETFUNCTION tells which sockets to watch for what: each
//   becomes add_reader()/add_writer() (or remove_*) on the loop.
// - CURLMOPT_TIMERFUNCTION asks for one timer: a call_later() handle,
//   replaced or cancelled as libcurl says.
// - When a socket is ready or the timer fires, curl_multi_socket_action()
//   does the work; finished transfers are then read with
//   curl_multi_info_read() and complete their futures.
// - Cancelling a fetch removes its easy handle from the multi handle
//   (libcurl closes or keeps its connection as it sees fit).
#include <asyncio/asyncio.hpp>
#include <curl/curl.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Response {
  long status = 0;
  std::string body;
};

/// One libcurl multi handle on one asyncio loop.
class CurlMulti {
 public:
  explicit CurlMulti(asyncio::EventLoop& loop) : loop_(&loop), multi_(curl_multi_init()) {
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket_cb);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer_cb);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;
  ~CurlMulti() {
    timer_.cancel();
    for (auto& [fd, what] : watched_) unwatch(fd);
    curl_multi_cleanup(multi_);
  }

  /// Fetches `url`. Raises std::runtime_error with libcurl's message when
  /// the transfer fails; cancelling the awaiting task aborts the transfer.
  [[nodiscard]] asyncio::Coro<Response> fetch(std::string url) {
    Transfer transfer(*loop_);
    transfer.easy = curl_easy_init();
    curl_easy_setopt(transfer.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(transfer.easy, CURLOPT_WRITEFUNCTION, &CurlMulti::on_write_cb);
    curl_easy_setopt(transfer.easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(transfer.easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(transfer.easy, CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(multi_, transfer.easy);
    ++active_;
    struct Remove {  // whatever happens, the easy handle leaves the multi handle
      CurlMulti* self;
      Transfer* t;
      ~Remove() {
        curl_multi_remove_handle(self->multi_, t->easy);
        curl_easy_cleanup(t->easy);
        --self->active_;
      }
    } remove{this, &transfer};
    asyncio::Future<Response> done = transfer.done;
    co_return co_await done;
  }

  /// Transfers in progress (the easy handles added and not yet removed).
  int active() const noexcept { return active_; }

 private:
  struct Transfer {
    explicit Transfer(asyncio::EventLoop& loop) : done(loop.create_future<Response>()) {}
    CURL* easy = nullptr;
    std::string body;
    asyncio::Future<Response> done;
  };

  static size_t on_write_cb(char* data, size_t size, size_t n, void* userp) {
    static_cast<Transfer*>(userp)->body.append(data, size * n);
    return size * n;
  }

  // CURLMOPT_SOCKETFUNCTION: watch `s` for what libcurl asks.
  static int on_socket_cb(CURL*, curl_socket_t s, int what, void* userp, void*) {
    auto* self = static_cast<CurlMulti*>(userp);
    if (what == CURL_POLL_REMOVE) {
      self->unwatch(s);
      self->watched_.erase(s);
      return 0;
    }
    const bool in = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
    const bool out = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
    if (in)
      self->loop_->add_reader(s, [self, s] { self->action(s, CURL_CSELECT_IN); });
    else
      self->loop_->remove_reader(s);
    if (out)
      self->loop_->add_writer(s, [self, s] { self->action(s, CURL_CSELECT_OUT); });
    else
      self->loop_->remove_writer(s);
    self->watched_[s] = what;
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: one timer, -1 to cancel it.
  static int on_timer_cb(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<CurlMulti*>(userp);
    self->timer_.cancel();
    if (timeout_ms >= 0) {
      self->timer_ = self->loop_->call_later(static_cast<double>(timeout_ms) / 1000.0,
                                             [self] { self->action(CURL_SOCKET_TIMEOUT, 0); });
    }
    return 0;
  }

  void unwatch(curl_socket_t s) {
    loop_->remove_reader(s);
    loop_->remove_writer(s);
  }

  // The loop says `s` is ready (or the timer fired): let libcurl work, then
  // complete the transfers that finished.
  void action(curl_socket_t s, int events) {
    int running = 0;
    curl_multi_socket_action(multi_, s, events, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      if (t->done.done()) continue;  // cancelled meanwhile
      if (msg->data.result == CURLE_OK) {
        Response r;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r.status);
        r.body = std::move(t->body);
        t->done.set_result(std::move(r));
      } else {
        t->done.set_exception(std::make_exception_ptr(std::runtime_error(curl_easy_strerror(msg->data.result))));
      }
    }
  }

  asyncio::EventLoop* loop_;
  CURLM* multi_;
  asyncio::TimerHandle timer_;
  std::map<curl_socket_t, int> watched_;
  int active_ = 0;
};

// ---- The self-test: asyncio's own HTTP/1.1 server on 127.0.0.1 ----

std::string page_body(int i) {
  std::string body;
  for (int k = 0; k <= i % 50; ++k) body += "page " + std::to_string(i) + " line " + std::to_string(k) + "\n";
  return body;
}

asyncio::Coro<> serve_http(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    for (;;) {  // keep-alive: one request after another
      std::string head = co_await reader.readuntil("\r\n\r\n");
      const std::size_t sp1 = head.find(' ');
      const std::size_t sp2 = head.find(' ', sp1 + 1);
      const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
      if (path == "/slow") co_await asyncio::sleep(30.0);
      std::string body = path.rfind("/page/", 0) == 0 ? page_body(std::stoi(path.substr(6))) : "not found\n";
      const char* status = path.rfind("/page/", 0) == 0 ? "200 OK" : "404 Not Found";
      writer.write("HTTP/1.1 " + std::string(status) + "\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nContent-Type: text/plain\r\n\r\n" + body);
      co_await writer.drain();
    }
  } catch (const asyncio::IncompleteReadError&) {
    // the client closed the connection
  } catch (const std::system_error&) {
  }
  writer.close();
}

asyncio::Coro<int> self_test(int n) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto serving = asyncio::start_server(serve_http, "127.0.0.1", 0);
  std::shared_ptr<asyncio::Server> server = co_await std::move(serving);
  const int port = server->sockets().at(0).getsockname().port;
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  CurlMulti curl(loop);
  int failures = 0;

  // N fetches, at most 20 at a time, gathered; every body checked.
  asyncio::Semaphore limit(20);
  auto one = [&](int i) -> asyncio::Coro<int> {
    co_await limit.acquire();
    struct Release {
      asyncio::Semaphore& s;
      ~Release() { s.release(); }
    } release{limit};
    auto fetching = curl.fetch(base + "/page/" + std::to_string(i));
    Response r = co_await std::move(fetching);
    co_return r.status == 200 && r.body == page_body(i) ? 1 : 0;
  };
  std::vector<asyncio::Coro<int>> all;
  for (int i = 0; i < n; ++i) all.push_back(one(i));
  auto gathering = asyncio::gather(std::move(all));
  std::vector<int> ok = co_await std::move(gathering);
  int good = 0;
  for (int b : ok) good += b;
  std::cout << "fetched " << good << "/" << n << " pages, every body checked" << std::endl;
  failures += n - good;

  // A 404 is a response, not an error.
  auto missing = curl.fetch(base + "/nothing");
  Response r404 = co_await std::move(missing);
  std::cout << "missing page: status " << r404.status << std::endl;

  // asyncio::timeout cancels a fetch that takes too long; the transfer is removed.
  try {
    auto slow = curl.fetch(base + "/slow");
    auto timed = asyncio::timeout(200ms, std::move(slow));
    co_await std::move(timed);
    std::cout << "slow page: no timeout?" << std::endl;
    ++failures;
  } catch (const asyncio::TimeoutError&) {
    std::cout << "slow page: timed out, transfers still active: " << curl.active() << std::endl;
  }

  // Cancelling a task running a fetch removes the transfer too.
  auto task = loop.create_task(curl.fetch(base + "/slow"));
  co_await asyncio::sleep(0.05);
  task.cancel();
  try {
    co_await task;
  } catch (const asyncio::CancelledError&) {
    std::cout << "cancelled fetch: transfers still active: " << curl.active() << std::endl;
  }

  // A refused connection is libcurl's error, raised by fetch().
  try {
    auto refused = curl.fetch("http://127.0.0.1:1/");
    co_await std::move(refused);
    ++failures;
  } catch (const std::runtime_error& e) {
    std::cout << "closed port: " << e.what() << std::endl;
  }

  server->close();
  server->abort_clients();
  auto closing = server->wait_closed();
  co_await std::move(closing);
  co_return failures == 0 ? 0 : 1;
}

asyncio::Coro<int> fetch_all(std::vector<std::string> urls) {
  CurlMulti curl(asyncio::get_running_loop());
  std::vector<asyncio::Coro<Response>> all;
  for (const std::string& u : urls) all.push_back(curl.fetch(u));
  auto gathering = asyncio::gather(std::move(all));
  std::vector<Response> responses = co_await std::move(gathering);
  for (std::size_t i = 0; i < urls.size(); ++i) {
    std::cout << urls[i] << ": " << responses[i].status << ", " << responses[i].body.size() << " bytes\n";
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int status = 2;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--self-test") {
    status = asyncio::run(self_test(std::atoi(args[1].c_str())));
  } else if (!args.empty()) {
    status = asyncio::run(fetch_all(args));
  } else {
    std::cerr << "usage: curl_fetch URL... | curl_fetch --self-test N\n";
  }
  curl_global_cleanup();
  return status;
}
