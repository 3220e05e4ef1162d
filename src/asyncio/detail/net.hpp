// Internals of the loop's network methods shared with tests.
// Python: base_events._interleave_addrinfos and friends.
#pragma once

#include <vector>

#include "asyncio/sockets.hpp"

namespace asyncio::detail {

/// Reorders addresses by family: `first_address_family_count` - 1 extra
/// addresses of the first family, then one of each family in turn (each
/// family in the order it first appears). Python: _interleave_addrinfos
std::vector<AddrInfo> interleave_addrinfos(const std::vector<AddrInfo>& addrinfos, int first_address_family_count = 1);

}  // namespace asyncio::detail
