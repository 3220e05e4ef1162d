// Readable C++ type names for reprs and log messages.
#pragma once

#include <string>
#include <typeinfo>

namespace asyncio::detail {

/// The demangled name of a type ("std::runtime_error"), with the library's
/// own "asyncio::" prefix removed so messages read like Python's.
std::string type_name(const std::type_info& type);

}  // namespace asyncio::detail
