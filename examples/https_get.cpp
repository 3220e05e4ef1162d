// Fetches a URL over HTTPS with certificate verification and prints the
// body (the status line and headers go to stderr).
//
//   https_get [https://example.org/] [--cafile CA.pem] [--insecure]
//
// The URL defaults to https://example.org/.
// --cafile trusts that CA instead of the system's; --insecure verifies
// nothing (tests only). Exits 1 if the connection or the verification
// fails (saying why), 2 for a bad command line, 3 for a non-2xx status.
// Python: an HTTP/1.1 GET with asyncio.open_connection(host, 443,
// ssl=ssl.create_default_context()).
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

struct Url {
  std::string host;
  int port = 443;
  std::string path = "/";
};

// https://host[:port][/path] (IPv6 literals in brackets).
bool parse_url(const std::string& url, Url& out) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.path = rest.substr(slash);
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') out.port = std::atoi(authority.c_str() + close + 2);
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = std::atoi(authority.c_str() + colon + 1);
  }
  return !out.host.empty() && out.port > 0 && out.port < 65536;
}

asyncio::Coro<int> fetch(Url url, std::shared_ptr<asyncio::SSLContext> ctx) {
  asyncio::OpenConnectionOptions options;
  options.ssl = std::move(ctx);
  options.limit = 1 << 20;
  auto connecting = asyncio::open_connection(url.host, url.port, options);
  auto [reader, writer] = co_await std::move(connecting);
  auto tls = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
  std::cerr << "* connected over " << tls->version().value_or("?") << ", " << tls->cipher()->name << "\n";
  const std::string host_header = url.port == 443 ? url.host : url.host + ":" + std::to_string(url.port);
  writer.write("GET " + url.path + " HTTP/1.1\r\nHost: " + host_header +
               "\r\nUser-Agent: asyncio-cpp https_get\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  co_await writer.drain();

  const std::string status = co_await reader.readline();
  std::cerr << "< " << status;
  std::int64_t content_length = -1;
  bool chunked = false;
  for (;;) {
    const std::string line = co_await reader.readline();
    if (line == "\r\n" || line == "\n" || line.empty()) break;
    std::cerr << "< " << line;
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("content-length:", 0) == 0) content_length = std::atoll(line.c_str() + 15);
    if (lower.rfind("transfer-encoding:", 0) == 0 && lower.find("chunked") != std::string::npos) chunked = true;
  }
  if (chunked) {
    for (;;) {
      const std::string size_line = co_await reader.readline();
      const std::int64_t size = std::strtoll(size_line.c_str(), nullptr, 16);
      if (size <= 0) break;
      const std::string chunk = co_await reader.readexactly(size);
      std::cout << chunk;
      (void)co_await reader.readline();  // the CRLF after the chunk
    }
  } else if (content_length >= 0) {
    const std::string body = co_await reader.readexactly(content_length);
    std::cout << body;
  } else {
    // Until the server closes (TLS: its close_notify).
    const std::string body = co_await reader.read();
    std::cout << body;
  }
  std::cout.flush();
  writer.close();
  try {
    co_await writer.wait_closed();
  } catch (const std::system_error&) {
    // A server that closes without close_notify: the body is complete anyway.
  }
  const int code = status.size() > 9 ? std::atoi(status.c_str() + 9) : 0;
  co_return code >= 200 && code < 300 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url_text;
  std::optional<std::string> cafile;
  bool insecure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--cafile" && i + 1 < argc) {
      cafile = argv[++i];
    } else if (arg == "--insecure") {
      insecure = true;
    } else if (url_text.empty() && arg.rfind("--", 0) != 0) {
      url_text = arg;
    } else {
      url_text.clear();
      break;
    }
  }
  if (url_text.empty() && argc == 1) url_text = "https://example.org/";
  Url url;
  if (url_text.empty() || !parse_url(url_text, url)) {
    std::cerr << "usage: https_get [https://HOST[:PORT][/PATH]] [--cafile CA.pem] [--insecure]\n";
    return 2;
  }
  try {
    auto ctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, {.cafile = cafile});
    if (insecure) {
      ctx->set_check_hostname(false);
      ctx->set_verify_mode(asyncio::CERT_NONE);
    }
    return asyncio::run(fetch(url, ctx));
  } catch (const asyncio::SSLCertVerificationError& e) {
    std::cerr << "https_get: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "https_get: " << e.what() << "\n";
    return 1;
  }
}
