// Firmware for a Cortex-M3 board without an OS (QEMU's mps2-an385), written
// the way asyncio code is written in Python, here in C++:
//
//   - two tasks blink two "LEDs" (lines on the semihosting console) at
//     different periods, each on its own absolute schedule;
//   - a timer interrupt samples a "voltage sensor" every 110 ms and posts
//     the reading into an asyncio::Queue with call_soon_threadsafe(), the
//     one loop method an interrupt handler may call;
//   - a consumer task averages the readings five at a time;
//   - a thermometer task starts a conversion every 400 ms and awaits the
//     future the sensor's interrupt completes, inside asyncio::timeout(),
//     because this sensor sometimes never answers;
//   - a TaskGroup supervises the four tasks, and asyncio::timeout() ends the
//     whole run after 1.6 s (the group cancels its tasks on the way out).
//
// Under QEMU with -icount the trace is the same on every run: the CTest in
// tests/examples/firmware.cmake checks it line by line (trace.txt). Times
// are milliseconds of loop time since the firmware started. One QEMU 7.2
// artefact shows in it: while the core sleeps, QEMU delivers only every
// other SysTick interrupt, so the loop's clock runs at half the speed of
// the board's other timers and the 110 ms sampling period appears as 55 ms
// (docs/platforms.md, "Bare metal"). On hardware the clocks agree.
#include <asyncio/asyncio.hpp>
#include <asyncio/cortex_m.hpp>
#include <cstdio>

#include "mps2_an385.hpp"

namespace {

// --- Shared with the interrupt handlers: set before their interrupts are
// enabled, cleared after they are disabled.
asyncio::EventLoop* g_loop = nullptr;
asyncio::Queue<int>* g_readings = nullptr;
asyncio::Future<int>* g_conversion = nullptr;  // the temperature read in flight

double g_start = 0;  // loop time when the firmware started
int g_samples = 0;   // readings taken by the sampling interrupt
int g_dropped = 0;   // readings the queue had no room for

// One console line: "  550 ms  <text>". The console is semihosting's;
// interrupt handlers never print (stdio is not interrupt-safe).
void say(double at, const char* text) {
  const long ms = static_cast<long>((at - g_start) * 1000.0 + 1e-6);
  std::printf("%5ld ms  %s\n", ms, text);
}

double now() { return g_loop->time(); }

// --- The sensors, simulated: deterministic values, as a test rig gives.

int voltage_sample(int n) { return 3300 - 10 * ((n * 7) % 13); }  // millivolts
int temperature_sample(int n) { return 215 + (n * 3) % 7; }       // tenths of a degree

// --- Interrupt handlers. Each does the least it can and hands the rest to
// the loop with call_soon_threadsafe() (interrupt-safe on this platform).

void store_reading(int millivolts) {
  try {
    g_readings->put_nowait(millivolts);
  } catch (const asyncio::QueueFull&) {
    ++g_dropped;
  }
}

void finish_conversion(int tenths) {
  if (g_conversion != nullptr && !g_conversion->done()) g_conversion->set_result(tenths);
}

}  // namespace

// TIMER0: the sampling clock, every 110 ms.
extern "C" void TIMER0_IRQHandler() {
  board::clear_timer_interrupt(board::timer0());
  (void)g_loop->call_soon_threadsafe(store_reading, voltage_sample(++g_samples));
}

// TIMER1: the thermometer's "conversion complete", 20 ms after a start.
extern "C" void TIMER1_IRQHandler() {
  static int conversions = 0;
  board::stop_timer(board::timer1());
  (void)g_loop->call_soon_threadsafe(finish_conversion, temperature_sample(++conversions));
}

namespace {

// Sleeps until `at` (loop time): an absolute schedule does not drift.
asyncio::Coro<> sleep_until(double at) {
  auto nap = asyncio::sleep(at - now());
  co_await std::move(nap);
}

asyncio::Coro<> blink(const char* on_text, const char* off_text, double first, double period) {
  for (int k = 0;; ++k) {
    const double at = g_start + first + k * period;
    auto wait = sleep_until(at);
    co_await std::move(wait);
    say(at, k % 2 == 0 ? on_text : off_text);
  }
}

asyncio::Coro<> average_readings(asyncio::Queue<int>& readings) {
  char line[64];
  for (int batch = 1;; ++batch) {
    long sum = 0;
    for (int i = 0; i < 5; ++i) {
      auto get = readings.get();
      sum += co_await std::move(get);
    }
    std::snprintf(line, sizeof line, "average of readings %d-%d: %ld mV", batch * 5 - 4, batch * 5, sum / 5);
    say(now(), line);
  }
}

// Starts a conversion and waits for the sensor's interrupt to deliver it.
// Every third conversion the simulated sensor hangs: no interrupt comes.
asyncio::Coro<int> read_temperature() {
  static int started = 0;
  asyncio::Future<int> done = g_loop->create_future<int>();
  g_conversion = &done;
  if (++started % 3 != 0) board::start_timer(board::timer1(), 20000);
  struct Forget {
    ~Forget() { g_conversion = nullptr; }
  } forget;
  int tenths = co_await done;
  co_return tenths;
}

asyncio::Coro<> thermometer() {
  char line[64];
  for (int k = 0;; ++k) {
    auto wait = sleep_until(g_start + 0.07 + k * 0.4);
    co_await std::move(wait);
    try {
      auto read = asyncio::timeout(0.05, read_temperature());
      const int tenths = co_await std::move(read);
      std::snprintf(line, sizeof line, "temperature %d.%d C", tenths / 10, tenths % 10);
      say(now(), line);
    } catch (const asyncio::TimeoutError&) {
      board::stop_timer(board::timer1());
      say(now(), "temperature sensor silent for 50 ms: read abandoned");
    }
  }
}

asyncio::Coro<> firmware() {
  asyncio::Queue<int> readings(8);
  g_loop = &asyncio::get_running_loop();
  g_readings = &readings;
  g_start = now();
  say(g_start, "firmware started");

  board::enable_irq(board::kTimer1Irq);
  board::enable_irq(board::kTimer0Irq);
  board::start_timer(board::timer0(), 110000);

  auto supervise = [&readings](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
    tg.create_task(blink("green LED on", "green LED off", 0.5, 0.5));
    tg.create_task(blink("red LED on", "red LED off", 0.15, 0.3));
    tg.create_task(average_readings(readings));
    tg.create_task(thermometer());
    co_return;
  };
  try {
    auto group = asyncio::task_group(supervise);
    auto run_for = asyncio::timeout(1.6, std::move(group));
    co_await std::move(run_for);
  } catch (const asyncio::TimeoutError&) {
    say(now(), "run time over: the task group cancelled its tasks");
  }

  board::stop_timer(board::timer0());
  board::disable_irq(board::kTimer0Irq);
  board::disable_irq(board::kTimer1Irq);
  g_readings = nullptr;
  std::printf("%d readings sampled, %d dropped, %d left in the queue\n", g_samples, g_dropped,
              static_cast<int>(readings.qsize()));
}

}  // namespace

int main() {
  asyncio::run(firmware());
  // The RAM this run needed beyond .data and .bss (bench/README.md).
  std::printf("heap high-water mark: %u bytes\n", static_cast<unsigned>(asyncio::cortex_m::heap_high_water()));
  return 0;
}
