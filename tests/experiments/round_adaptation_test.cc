// Adaptation between the rounds of a game: the meta-learned update takes its
// run's own inner steps from θ, afresh each round, on the player's latest
// matches only (whole rounds), from nothing but its own side of them.
#include "experiments/round_adaptation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "envs/core/match.h"
#include "experiments/config.h"
#include "experiments/match.h"
#include "experiments/run.h"
#include "meta/test_time_adaptation.h"
#include "tests/experiments/tiny_sumo2d_run.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

bool same_values(const Params& a, const Params& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

Params copy_of(const Params& p) {
  Params out;
  for (const auto& t : p) out.push_back(t.detach().clone());
  return out;
}

TEST(RoundAdaptation, MetaAdaptsFromThetaOnItsLatestRoundsOnly) {
  const fs::path run = tiny_sumo2d_meta_run("round_adaptation", 0.1);
  VectorEnv env("Sumo2D", 2, 1, Options::parse("max_episode_steps=20"));
  for (int i = 0; i < env.num_envs(); ++i) dynamic_cast<MatchEnv&>(env.env(i)).set_dense_weight(0);
  env.seed(4);
  const Box& action = env.action_space(0);
  Player agent = load_player(run.string(), 21, action, "Sumo2D");
  const Player opponent = load_player("scripted", 21, action, "Sumo2D");
  const Params theta = copy_of(agent.policy->parameters());
  RoundAdaptationSettings settings;
  settings.method = "meta";
  settings.meta_history = 4;  // two rounds of two matches
  const auto adapts = make_round_adaptation(settings, run.string(), agent, 0);
  ASSERT_NE(adapts, nullptr);

  // The same update, computed from the run's checkpoint on the rounds it should use.
  ExperimentConfig cfg = ExperimentConfig::load((run / "config.yaml").string());
  Experiment reference = build_experiment(cfg, "reference");
  auto* adapter = dynamic_cast<EpisodeAdapter*>(reference.trainer.get());
  ASSERT_NE(adapter, nullptr);
  adapter->load_for_adaptation((run / "checkpoints" / "latest.pt").string());
  const auto side_by_side = [](std::vector<EpisodeBatch> rounds) {
    int64_t horizon = 0;
    for (const auto& b : rounds) horizon = std::max(horizon, b.horizon());
    for (auto& b : rounds) b = pad_in_time(b, horizon);
    return interleave_envs(rounds);
  };

  std::vector<EpisodeBatch> rounds;
  std::vector<Params> played_with;
  for (int64_t k = 0; k < 3; ++k) {
    played_with.push_back(copy_of(agent.policy->parameters()));
    rounds.push_back(play_round(env, agent, opponent, k % 2, 10 + uint64_t(k)));
    EXPECT_TRUE(same_values(agent.policy->parameters(), played_with.back())) << "it changed during round " << k;
    adapts->after_round(rounds.back());
  }
  // Round 0 was θ's; the update after it saw that round alone.
  EXPECT_TRUE(same_values(played_with[0], theta));
  EXPECT_TRUE(same_values(played_with[1], adapter->adapted_parameters(rounds[0], false)));
  EXPECT_FALSE(same_values(played_with[1], theta));
  // After round 1: rounds 0 and 1 (four matches), the later one acted by an adapted policy.
  EXPECT_TRUE(same_values(played_with[2], adapter->adapted_parameters(side_by_side({rounds[0], rounds[1]}), true)));
  // After round 2: round 0 has left the history; again from θ, not from the last adapted parameters.
  EXPECT_TRUE(same_values(agent.policy->parameters(),
                          adapter->adapted_parameters(side_by_side({rounds[1], rounds[2]}), true)));
  fs::remove_all(run.parent_path());
}

TEST(RoundAdaptation, NoneIsNoAdapterAndPlayersThatLearnedNoUpdateAreRefused) {
  Player random = load_player("random", 21, Box({4}, -1.0, 1.0), "Sumo2D");
  EXPECT_EQ(make_round_adaptation({}, "random", random, 0), nullptr);
  RoundAdaptationSettings meta;
  meta.method = "meta";
  try {
    make_round_adaptation(meta, "random", random, 0);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("player random cannot adapt by meta: it is not a run"), std::string::npos)
        << e.what();
  }
  RoundAdaptationSettings unknown;
  unknown.method = "rl3";
  EXPECT_THROW(make_round_adaptation(unknown, "random", random, 0), std::invalid_argument);
  EXPECT_TRUE(is_round_adaptation_method("tracking"));
  EXPECT_FALSE(is_round_adaptation_method("rl3"));
}

}  // namespace
}  // namespace metarl
