// Wall-clock timing for the per-iteration time splits that runs report.
#pragma once

#include <chrono>

namespace metarl {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace metarl
