// A compact __cxa_demangle for flash-starved boards (build option
// ASYNCIO_CORTEX_M_COMPACT_DEMANGLER, on by default).
//
// The library names types in messages and reprs ("ValueError('bad')",
// "<Handle store_reading()>") through abi::__cxa_demangle, and so does
// libstdc++'s terminate handler. libstdc++'s demangler reads every C++
// mangling and costs about 29 KB of flash, more than the rest of a small
// firmware's run time. This one reads what exception and class names are
// made of: names in namespaces and classes (N...E), std:: (St),
// (anonymous namespace), built-in types; for anything else (templates, lambdas, function
// types) it reports an invalid name, and callers show the mangled name
// instead (asyncio::detail::type_name() does).
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {

struct Output {
  char* text = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;
  bool ok = true;

  void append(const char* s, std::size_t n) {
    if (!ok) return;
    if (size + n + 1 > capacity) {
      const std::size_t wanted = (size + n + 1) * 2;
      auto* bigger = static_cast<char*>(std::realloc(text, wanted));
      if (bigger == nullptr) {
        ok = false;
        return;
      }
      text = bigger;
      capacity = wanted;
    }
    std::memcpy(text + size, s, n);
    size += n;
    text[size] = '\0';
  }
};

// <source-name> ::= <length> <identifier>; "_GLOBAL__N_1" is the anonymous namespace.
const char* source_name(const char* in, Output& out) {
  if (*in < '1' || *in > '9') return nullptr;
  std::size_t length = 0;
  while (*in >= '0' && *in <= '9') length = length * 10 + static_cast<std::size_t>(*in++ - '0');
  if (std::strlen(in) < length) return nullptr;
  constexpr char kAnonymous[] = "_GLOBAL__N";
  if (length >= sizeof kAnonymous - 1 && std::strncmp(in, kAnonymous, sizeof kAnonymous - 1) == 0) {
    out.append("(anonymous namespace)", 21);
  } else {
    out.append(in, length);
  }
  return in + length;
}

// The built-in types' one-letter codes.
const char* builtin_name(char code) {
  switch (code) {
    case 'v': return "void";
    case 'b': return "bool";
    case 'c': return "char";
    case 'a': return "signed char";
    case 'h': return "unsigned char";
    case 's': return "short";
    case 't': return "unsigned short";
    case 'i': return "int";
    case 'j': return "unsigned int";
    case 'l': return "long";
    case 'm': return "unsigned long";
    case 'x': return "long long";
    case 'y': return "unsigned long long";
    case 'f': return "float";
    case 'd': return "double";
    case 'e': return "long double";
    default: return nullptr;
  }
}

// A type name: a built-in type, <source-name>, St <source-name>, or
// N [St] <source-name>+ E.
bool class_name(const char* in, Output& out) {
  if (in[0] != '\0' && in[1] == '\0') {
    if (const char* builtin = builtin_name(in[0])) {
      out.append(builtin, std::strlen(builtin));
      return true;
    }
  }
  if (in[0] == 'S' && in[1] == 't') {
    out.append("std::", 5);
    in = source_name(in + 2, out);
    return in != nullptr && *in == '\0';
  }
  if (*in != 'N') {
    in = source_name(in, out);
    return in != nullptr && *in == '\0';
  }
  ++in;
  bool first = true;
  if (in[0] == 'S' && in[1] == 't') {
    out.append("std", 3);
    first = false;
    in += 2;
  }
  while (*in != 'E') {
    if (!first) out.append("::", 2);
    first = false;
    in = source_name(in, out);
    if (in == nullptr) return false;
  }
  return in[1] == '\0' && !first;
}

}  // namespace

extern "C" char* __cxa_demangle(const char* mangled, char* buffer, std::size_t* length, int* status) {
  auto fail = [status](int code) -> char* {
    if (status != nullptr) *status = code;
    return nullptr;
  };
  if (mangled == nullptr || (buffer != nullptr && length == nullptr)) return fail(-3);
  Output out;
  out.text = buffer;
  out.capacity = buffer != nullptr ? *length : 0;
  if (!class_name(mangled, out) || !out.ok) {
    if (out.text != buffer) std::free(out.text);
    return fail(out.ok ? -2 : -1);
  }
  if (length != nullptr) *length = out.capacity;
  if (status != nullptr) *status = 0;
  return out.text;
}
