// Embedding asyncio in a host's own main loop: a plain while loop stands in
// for a game or GUI loop that owns the thread. Each frame the host does its
// own work, then steps the event loop once with run_step(), which never
// blocks; timers and tasks advance only then. See docs/extending.md.
#include <asyncio/asyncio.hpp>
#include <chrono>
#include <iostream>
#include <thread>

using namespace std::chrono_literals;

asyncio::Coro<> blink(std::string name, double period, int times) {
  for (int i = 1; i <= times; ++i) {
    co_await asyncio::sleep(period);
    std::cout << "  " << name << " " << i << "/" << times << std::endl;
  }
}

asyncio::Coro<> game_logic() {
  std::cout << "  game logic started" << std::endl;
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Task<void> a = loop.create_task(blink("fast", 0.03, 4));
  asyncio::Task<void> b = loop.create_task(blink("slow", 0.05, 2));
  co_await a;
  co_await b;
  std::cout << "  game logic done" << std::endl;
}

int main() {
  auto loop = asyncio::new_event_loop();
  asyncio::Task<void> logic = loop->create_task(game_logic());

  // The host's main loop: ~100 frames per second until the logic is done.
  int frame = 0;
  while (!logic.done() && frame < 1000) {
    ++frame;
    // ... the host's own work: input, physics, rendering ...
    (void)loop->run_step();  // run what is due, without waiting
    std::this_thread::sleep_for(10ms);  // the rest of the frame
  }
  std::cout << "host ran " << frame << " frames; logic " << (logic.done() ? "finished" : "did not finish")
            << std::endl;
  logic.result();  // rethrows if the logic failed
  loop->close();
  return 0;
}
