// Everything a VectorEnv exposes after a step, recorded step after step, for
// bit-exact comparisons of runs (thread counts, resumed states).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "envs/vector_env.h"

namespace metarl {

struct VectorEnvTrace {
  std::vector<float> floats;
  std::vector<uint8_t> flags;
  std::vector<int32_t> lengths;

  void record(const VectorEnv& v) {
    const size_t rows = v.num_rows(), o = rows * v.obs_dim();
    floats.insert(floats.end(), v.observations(), v.observations() + o);
    floats.insert(floats.end(), v.final_observations(), v.final_observations() + o);
    floats.insert(floats.end(), v.rewards(), v.rewards() + rows);
    floats.insert(floats.end(), v.infos(), v.infos() + rows * v.info_dim());
    floats.insert(floats.end(), v.episode_returns(), v.episode_returns() + rows);
    flags.insert(flags.end(), v.terminated(), v.terminated() + rows);
    flags.insert(flags.end(), v.truncated(), v.truncated() + rows);
    lengths.insert(lengths.end(), v.episode_lengths(), v.episode_lengths() + rows);
  }

  // Bit for bit (NaN payloads and signed zeros included).
  bool operator==(const VectorEnvTrace& o) const {
    return floats.size() == o.floats.size() &&
           std::memcmp(floats.data(), o.floats.data(), floats.size() * sizeof(float)) == 0 && flags == o.flags &&
           lengths == o.lengths;
  }
};

}  // namespace metarl
