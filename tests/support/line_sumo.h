// A tiny deterministic match env for self-play tests: two points on a line,
// with match.h's rules. Each agent sees the line in its own frame (agent 0
// faces +x, agent 1 faces −x), so both have the same spaces and one policy
// can play either seat:
//   observation (3): own position, opponent's position (own frame), elapsed fraction
//   action (1) in [−1, 1]: move of up to kStep towards the opponent (negative: away)
// Agent 0 starts at −0.5, agent 1 at +0.5, each displaced by U(−0.05, 0.05).
// Points closer than kContact push each other: both are placed kContact
// apart around the midpoint of their moves, so the stronger push wins
// ground. A point beyond ±1 is pushed out and loses; both at once, or time
// up (max_episode_steps), is a draw.
// Shaping (weighted by the dense weight): reward_centre = 0.1 · (the
// opponent's |x| − own |x|) per step.
// Option mismatched_agents: agent 1 becomes another kind — one more
// observation entry (a constant 1) and a second, ignored action entry.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "envs/core/bytes.h"
#include "envs/core/env.h"
#include "envs/core/match.h"
#include "envs/core/options.h"

namespace metarl {

class LineSumoEnv : public Env, public MatchEnv {
 public:
  static constexpr double kStep = 0.1;
  static constexpr double kContact = 0.1;
  static constexpr double kEdge = 1.0;

  static OptionSpecs option_specs() {
    return {int_option("max_episode_steps", 30, "time limit (a draw)").positive(),
            bool_option("mismatched_agents", false, "agent 1 of another kind (obs 4, action 2)")};
  }
  static std::vector<std::string> info_names_of() {
    std::vector<std::string> names = match_info_names();
    names.push_back("reward_centre");
    return names;
  }
  LineSumoEnv() : LineSumoEnv(resolve_options("env", "LineSumo", option_specs(), {})) {}
  explicit LineSumoEnv(const Options& options)
      : Env("LineSumo", agents(options.get_bool("LineSumo", "mismatched_agents")), info_names_of(),
            options.get_int("LineSumo", "max_episode_steps")),
        mismatched_(options.get_bool("LineSumo", "mismatched_agents")) {}

  void set_dense_weight(double weight) override { dense_weight_ = weight; }
  double dense_weight() const override { return dense_weight_; }
  double x(int agent) const { return x_[agent]; }

 protected:
  void reset_state(Rng& rng, float* obs) override {
    x_[0] = -0.5 + rng.uniform(-0.05, 0.05);
    x_[1] = 0.5 + rng.uniform(-0.05, 0.05);
    write_observations(obs, 0);
  }

  StepResult advance(const float* actions, float* obs, double* rewards, float* info) override {
    const double a0 = std::clamp<double>(actions[0], -1, 1), a1 = std::clamp<double>(actions[act_row_size()], -1, 1);
    x_[0] += kStep * a0;  // towards +x
    x_[1] -= kStep * a1;  // towards −x
    if (x_[1] - x_[0] < kContact) {
      const double mid = (x_[0] + x_[1]) / 2;
      x_[0] = mid - kContact / 2;
      x_[1] = mid + kContact / 2;
    }
    const LossReason losses[2] = {std::abs(x_[0]) > kEdge ? LossReason::kPushedOut : LossReason::kNone,
                                  std::abs(x_[1]) > kEdge ? LossReason::kPushedOut : LossReason::kNone};
    const bool time_up = elapsed_steps() + 1 >= max_episode_steps();  // the base counts this step after advance
    const MatchStep match = decide_match(losses, time_up);
    const MatchRewards table;
    const int width = int(info_names().size());
    for (int a = 0; a < 2; ++a) {
      const double centre = dense_weight_ * 0.1 * (std::abs(x_[1 - a]) - std::abs(x_[a]));
      const double outcome = outcome_reward(match.result[a], table);
      rewards[a] = centre + outcome;
      write_match_info(info + a * width, match.result[a], losses[a], time_up, dense_weight_, outcome);
      info[a * width + kNumMatchInfo] = float(centre);
    }
    write_observations(obs, elapsed_steps() + 1);
    StepResult result;
    result.terminated = match.over();
    return result;
  }

  void save_dynamic_state(std::string& out) const override {
    append_bytes(out, x_, sizeof x_);
    append_bytes(out, &dense_weight_, sizeof dense_weight_);
  }
  void load_dynamic_state(const std::string& in, size_t& offset) override {
    read_bytes(in, offset, x_, sizeof x_, name());
    read_bytes(in, offset, &dense_weight_, sizeof dense_weight_, name());
  }

 private:
  static std::vector<AgentSpaces> agents(bool mismatched) {
    const int extra = mismatched ? 1 : 0;
    return {AgentSpaces{Box::unbounded(3), Box({1}, -1.0, 1.0)},
            AgentSpaces{Box::unbounded(3 + extra), Box({1 + extra}, -1.0, 1.0)}};
  }

  void write_observations(float* obs, int steps) const {
    const float elapsed = float(steps) / float(max_episode_steps());
    float* row0 = obs;
    float* row1 = obs + obs_row_size();
    row0[0] = float(x_[0]);
    row0[1] = float(x_[1]);
    row0[2] = elapsed;
    row1[0] = float(-x_[1]);
    row1[1] = float(-x_[0]);
    row1[2] = elapsed;
    if (mismatched_) row1[3] = 1.f;
  }

  double x_[2] = {0.0, 0.0};
  double dense_weight_ = 1.0;
  bool mismatched_ = false;
};

}  // namespace metarl
