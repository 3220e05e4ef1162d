// What runs when the program faults or an interrupt nobody handles fires:
// one line on the semihosting console naming the exception and where it
// happened, then exit status 134 (as SIGABRT's 128 + 6), so a test
// crashing under QEMU fails at once instead of hanging in a loop.
#include <cstdint>

#include "cortex_m_semihosting.hpp"

extern "C" [[noreturn]] void _exit(int status);

namespace {

const char* exception_name(std::uint32_t number) {
  switch (number) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage fault";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return number >= 16 ? "interrupt" : "exception";
  }
}

char* put_text(char* out, const char* text) {
  while (*text != '\0') *out++ = *text++;
  return out;
}

char* put_hex(char* out, std::uint32_t value) {
  out = put_text(out, "0x");
  for (int shift = 28; shift >= 0; shift -= 4) *out++ = "0123456789abcdef"[(value >> shift) & 0xf];
  return out;
}

char* put_decimal(char* out, std::uint32_t value) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

}  // namespace

// `frame`: the registers the core stacked on exception entry (r0-r3, r12,
// lr, pc, xpsr), on whichever stack was in use.
extern "C" [[noreturn]] void asyncio_cortex_m_report_exception(const std::uint32_t* frame, std::uint32_t ipsr) {
  volatile std::uint32_t* const cfsr = reinterpret_cast<std::uint32_t*>(0xE000ED28);
  volatile std::uint32_t* const bfar = reinterpret_cast<std::uint32_t*>(0xE000ED38);
  char line[160];
  char* out = put_text(line, "asyncio: unhandled ");
  out = put_text(out, exception_name(ipsr));
  if (ipsr >= 16) {
    out = put_text(out, " IRQ ");
    out = put_decimal(out, ipsr - 16);
  }
  out = put_text(out, " at pc=");
  out = put_hex(out, frame[6]);
  out = put_text(out, " lr=");
  out = put_hex(out, frame[5]);
  out = put_text(out, " cfsr=");
  out = put_hex(out, *cfsr);
  out = put_text(out, " bfar=");
  out = put_hex(out, *bfar);
  out = put_text(out, "\n");
  *out = '\0';
  asyncio::cortex_m::semihosting::write0(line);
  _exit(134);
}

// The handler every unhandled vector points to: finds the stacked frame
// (bit 2 of EXC_RETURN tells MSP from PSP) and the exception number.
extern "C" [[gnu::naked]] void asyncio_cortex_m_unhandled_exception() {
  asm("tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mrs r1, ipsr\n"
      "b asyncio_cortex_m_report_exception\n");
}
