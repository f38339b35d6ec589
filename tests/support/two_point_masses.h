// A tiny two-agent env for tests: two points on a line, agents of different
// sizes so that row padding shows.
//
// Agent 0 (obs 2: own x, other's x; action 1: its move) starts at -0.5,
// agent 1 (obs 3: own x, other's x, elapsed fraction; action 2: its move and
// an ignored value) at +0.5, each displaced by U(-0.05, 0.05). A move is the
// action clipped to [-0.1, 0.1]. Rewards, zero-sum plus a cost:
//   r0 = x0 + x1 - 0.01 a0²,   r1 = -(x0 + x1) - 0.01 a1²
// (each wants the pair pushed towards its opponent's side). The episode
// terminates when the points meet (|x0 - x1| < 0.05). Info per agent: own x.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "envs/core/bytes.h"
#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

class TwoPointMassesEnv : public Env {
 public:
  static constexpr double kMaxMove = 0.1;
  static constexpr double kMeetDistance = 0.05;

  // Its options (its registry entry's, multi_agent_test.cc).
  static OptionSpecs option_specs() {
    return {int_option("max_episode_steps", 20, "time limit (truncation)").positive()};
  }
  // With the default options.
  TwoPointMassesEnv() : TwoPointMassesEnv(resolve_options("env", "TwoPointMasses", option_specs(), {})) {}
  // `options` resolved against option_specs().
  explicit TwoPointMassesEnv(const Options& options)
      : Env("TwoPointMasses",
            {AgentSpaces{Box::unbounded(2), Box({1}, -1.0, 1.0)}, AgentSpaces{Box::unbounded(3), Box({2}, -1.0, 1.0)}},
            {"x"}, options.get_int("TwoPointMasses", "max_episode_steps")) {}

  double x(int agent) const { return x_[agent]; }

 protected:
  void reset_state(Rng& rng, float* obs) override {
    x_[0] = -0.5 + rng.uniform(-0.05, 0.05);
    x_[1] = 0.5 + rng.uniform(-0.05, 0.05);
    write_observations(obs, 0);
  }

  StepResult advance(const float* actions, float* obs, double* rewards, float* info) override {
    const float* a0 = actions;
    const float* a1 = actions + act_row_size();
    x_[0] += std::clamp<double>(a0[0], -kMaxMove, kMaxMove);
    x_[1] += std::clamp<double>(a1[0], -kMaxMove, kMaxMove);
    const double sum = x_[0] + x_[1];
    rewards[0] = sum - 0.01 * double(a0[0]) * a0[0];
    rewards[1] = -sum - 0.01 * double(a1[0]) * a1[0];
    write_observations(obs, elapsed_steps() + 1);  // the base counts this step after advance
    info[0] = float(x_[0]);
    info[1] = float(x_[1]);
    StepResult result;
    result.terminated = std::abs(x_[0] - x_[1]) < kMeetDistance;
    return result;
  }

  void save_dynamic_state(std::string& out) const override { append_bytes(out, x_, sizeof x_); }
  void load_dynamic_state(const std::string& in, size_t& offset) override { read_bytes(in, offset, x_, sizeof x_, name()); }

 private:
  void write_observations(float* obs, int steps) const {
    float* row0 = obs;
    float* row1 = obs + obs_row_size();
    row0[0] = float(x_[0]);
    row0[1] = float(x_[1]);
    row1[0] = float(x_[1]);
    row1[1] = float(x_[0]);
    row1[2] = float(steps) / float(max_episode_steps());
  }

  double x_[2] = {0.0, 0.0};
};

}  // namespace metarl
