#include "asyncio/protocols.hpp"

#include <algorithm>
#include <cstring>

#include "asyncio/exceptions.hpp"

namespace asyncio::detail {

void feed_data_to_buffered_proto(BufferedProtocol& proto, std::string_view data) {
  // Python: protocols._feed_data_to_buffered_proto
  while (!data.empty()) {
    std::span<char> buf = proto.get_buffer(static_cast<std::int64_t>(data.size()));
    if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
    const std::size_t n = std::min(buf.size(), data.size());
    std::memcpy(buf.data(), data.data(), n);
    proto.buffer_updated(n);
    data.remove_prefix(n);
  }
}

}  // namespace asyncio::detail
