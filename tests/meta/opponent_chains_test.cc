// Competitive meta-training's tasks: opponents drawn uniformly from the
// learner's versions, advancing one version per round, seated by task.
#include "meta/opponent_chains.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "envs/core/match.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

// Parameters shaped like `policy`'s, every element `value` (so a version is
// recognisable by its numbers).
Params marked(const Policy& policy, double value) {
  Params p;
  for (const auto& t : policy.parameters()) p.push_back(torch::full_like(t, value));
  return p;
}

struct SumoAndPolicy {
  VectorEnv env{"Sumo2D", 8, 1};
  GaussianMlpPolicy policy{env.observation_space(0).size(), env.action_space(0).size(), MlpPolicyConfig{}};
};

TEST(OpponentChains, EachTaskMeetsItsDrawnVersionThenTheNextAndTheNewestStays) {
  SumoAndPolicy s;
  OpponentChainsConfig config;
  OpponentChains chains(s.env, /*per_task=*/2, config, 7);
  for (int v = 0; v < 5; ++v) chains.add_version(marked(s.policy, v));
  chains.begin_iteration(4, 0);
  ASSERT_EQ(chains.first_versions().size(), 4u);
  for (int64_t t = 0; t < 4; ++t) {
    const int64_t first = chains.first_versions()[size_t(t)];
    EXPECT_GE(first, 0);
    EXPECT_LE(first, 4);
    EXPECT_EQ(chains.version(t, 0), first);
    EXPECT_EQ(chains.version(t, 1), std::min<int64_t>(first + 1, 4));
    EXPECT_EQ(chains.version(t, 3), std::min<int64_t>(first + 3, 4));
  }
  // Round 1's actors: one per distinct version, acting with that version's
  // parameters for exactly the opponent seats of its tasks' envs.
  for (const int64_t round : {0, 1}) {
    std::map<int64_t, int64_t> seats_covered;
    for (const Actor& a : chains.actors(round, s.policy)) {
      const double v = a.params[0].flatten()[0].item<double>();
      EXPECT_EQ(a.policy, &s.policy);
      for (const int64_t row : a.rows) {
        const int64_t env = row / 2;
        EXPECT_EQ(row, chains.seats().opponent_rows[size_t(env)]);
        EXPECT_EQ(double(chains.version(env / 2, round)), v) << "row " << row;
        ++seats_covered[row];
      }
    }
    EXPECT_EQ(seats_covered.size(), 8u);
  }
  // The learner takes seat 0 in even envs and seat 1 in odd ones: both seats in every task.
  EXPECT_EQ(chains.seats().learner_rows, (std::vector<int64_t>{0, 3, 4, 7, 8, 11, 12, 15}));
}

TEST(OpponentChains, FirstVersionsAreUniformOverEveryVersionSoFar) {
  SumoAndPolicy s;
  OpponentChains chains(s.env, 2, OpponentChainsConfig{}, 3);
  for (int v = 0; v < 4; ++v) chains.add_version(marked(s.policy, v));
  std::map<int64_t, int> counts;
  constexpr int kIterations = 2000;
  for (int i = 0; i < kIterations; ++i) {
    chains.begin_iteration(4, 0);
    for (const int64_t v : chains.first_versions()) ++counts[v];
  }
  ASSERT_EQ(counts.size(), 4u);  // versions 0..3, nothing else
  for (const auto& [version, count] : counts) {
    EXPECT_GE(version, 0);
    EXPECT_LE(version, 3);
    EXPECT_NEAR(count, kIterations, 5 * std::sqrt(kIterations * 0.75)) << "version " << version;  // 8000 draws / 4
  }
}

TEST(OpponentChains, VersionsAreAddedEverySnapshotEveryIterationsAndTheDenseWeightAnneals) {
  SumoAndPolicy s;
  OpponentChainsConfig config;
  config.snapshot_every = 2;
  config.total_env_steps = 1000;
  config.dense_anneal_fraction = 0.5;
  OpponentChains chains(s.env, 4, config, 1);
  chains.add_version(marked(s.policy, 0));
  for (int64_t iteration = 1; iteration <= 5; ++iteration) chains.end_iteration(iteration, marked(s.policy, iteration));
  EXPECT_EQ(chains.size(), 3);  // the initial one, after iterations 2 and 4
  EXPECT_EQ(chains.newest(), 2);
  chains.begin_iteration(2, 250);  // a quarter of training: half-way through the annealing
  EXPECT_DOUBLE_EQ(chains.dense_weight(), 0.5);
  // The envs got it: one step reports it in every agent's info row.
  s.env.reset();
  std::vector<float> actions(size_t(s.env.num_rows() * s.env.act_dim()), 0.f);
  s.env.step(actions.data());
  for (int64_t row = 0; row < s.env.num_rows(); ++row)
    EXPECT_FLOAT_EQ(s.env.infos()[row * s.env.info_dim() + kInfoDenseWeight], 0.5f) << row;
  chains.begin_iteration(2, 600);
  EXPECT_DOUBLE_EQ(chains.dense_weight(), 0.0);
}

TEST(OpponentChains, ASavedPoolDrawsTheSameVersionsWhenLoaded) {
  SumoAndPolicy s;
  OpponentChains chains(s.env, 2, OpponentChainsConfig{}, 11);
  for (int v = 0; v < 6; ++v) chains.add_version(marked(s.policy, v));
  chains.begin_iteration(4, 0);
  torch::serialize::OutputArchive out;
  chains.save(out, "chains");
  std::ostringstream bytes;
  out.save_to(bytes);
  chains.begin_iteration(4, 0);
  const std::vector<int64_t> next = chains.first_versions();

  OpponentChains loaded(s.env, 2, OpponentChainsConfig{}, 99);
  torch::serialize::InputArchive in;
  std::istringstream stream(bytes.str());
  in.load_from(stream);
  loaded.load(in, "chains");
  EXPECT_EQ(loaded.size(), 6);
  loaded.begin_iteration(4, 0);
  EXPECT_EQ(loaded.first_versions(), next);
}

TEST(OpponentChains, EnvsThatCannotHoldWholeTasksOrLearnersVersionsAreRefused) {
  SumoAndPolicy s;
  EXPECT_THROW(OpponentChains(s.env, 3, OpponentChainsConfig{}, 0), std::invalid_argument);  // 8 envs, tasks of 3
  VectorEnv cheetah("HalfCheetah", 2, 1);
  EXPECT_THROW(OpponentChains(cheetah, 1, OpponentChainsConfig{}, 0), std::invalid_argument);  // not a match
  VectorEnv ant_bug("SumoAnt", 2, 1, Options::parse("robot1=bug"));
  EXPECT_THROW(OpponentChains(ant_bug, 1, OpponentChainsConfig{}, 0), std::invalid_argument);  // agents differ
  OpponentChains chains(s.env, 2, OpponentChainsConfig{}, 0);
  EXPECT_THROW(chains.begin_iteration(4, 0), std::logic_error);  // no version yet
  chains.add_version(marked(s.policy, 0));
  EXPECT_THROW(chains.begin_iteration(3, 0), std::invalid_argument);  // 3 tasks of 2 in 8 envs
}

}  // namespace
}  // namespace metarl
