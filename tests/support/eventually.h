// Waiting on a condition in a test without a fixed sleep: polls `condition` every 10 ms until it
// holds or `limit` passes, then checks it once more. The caller asserts the result, so a
// condition that never holds fails the test after `limit` instead of hanging it.
#pragma once

#include <chrono>
#include <thread>

namespace edgelb::test {

template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace edgelb::test
