// Internals of the loop's network methods shared with tests.
// Python: base_events._interleave_addrinfos and friends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "asyncio/sockets.hpp"

namespace asyncio::detail {

/// A non-negative size given as Python would (an unbounded int, here
/// int64) as a size_t: values a 32-bit size_t cannot hold become SIZE_MAX
/// ("more than can ever be buffered"), never a truncated small number.
inline std::size_t size_or_max(std::int64_t v) noexcept {
  return static_cast<std::uint64_t>(v) > std::numeric_limits<std::size_t>::max() ? std::numeric_limits<std::size_t>::max()
                                                                                 : static_cast<std::size_t>(v);
}

/// Reorders addresses by family: `first_address_family_count` - 1 extra
/// addresses of the first family, then one of each family in turn (each
/// family in the order it first appears). Python: _interleave_addrinfos
std::vector<AddrInfo> interleave_addrinfos(const std::vector<AddrInfo>& addrinfos, int first_address_family_count = 1);

}  // namespace asyncio::detail
