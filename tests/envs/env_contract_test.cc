// The contract every registered env keeps, checked once for all of them: a
// new env registered anywhere in this test binary's libraries gets these
// tests without writing them.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/registry.h"
#include "envs/vector_env.h"
#include "tests/support/vector_env_trace.h"

namespace metarl {
namespace {

constexpr int kEnvs = 3;
constexpr int kSteps = 300;

std::vector<std::string> registered_envs() {
  std::vector<std::string> names;
  for (const auto* entry : env_registry().entries()) names.push_back(entry->name);
  return names;
}

// Uniform actions within each agent's action space ([-1, 1] where unbounded),
// drawn from one Rng in the calling thread, so they do not depend on threads.
class RandomActions {
 public:
  RandomActions(const VectorEnv& v, uint64_t seed) : v_(v), rng_(seed), actions_(size_t(v.num_rows()) * v.act_dim()) {}
  const std::vector<float>& next() {
    for (int row = 0; row < v_.num_rows(); ++row) {
      const Box& space = v_.action_space(int(v_.row_agents()[size_t(row)]));
      for (int k = 0; k < space.size(); ++k) {
        const double low = std::isfinite(space.low()[k]) ? space.low()[k] : -1.0;
        const double high = std::isfinite(space.high()[k]) ? space.high()[k] : 1.0;
        actions_[size_t(row) * v_.act_dim() + k] = float(rng_.uniform(low, high));
      }
    }
    return actions_;
  }

 private:
  const VectorEnv& v_;
  Rng rng_;
  std::vector<float> actions_;
};

class EnvContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<VectorEnv> make(int threads, const Options& options = {}) const {
    auto v = std::make_unique<VectorEnv>(GetParam(), kEnvs, threads, options);
    v->seed(2024);
    return v;
  }
  // Episodes short enough to end within a run, where the env takes a time limit.
  Options short_episodes() const {
    if (!env_registry().entry(GetParam()).takes("max_episode_steps")) return {};
    return {{"max_episode_steps", "15"}};
  }
  // `steps` random steps from `v`'s current state (reset first when `reset`).
  static VectorEnvTrace run(VectorEnv& v, RandomActions& actions, int steps, bool reset) {
    VectorEnvTrace trace;
    if (reset) v.reset();
    trace.record(v);
    for (int s = 0; s < steps; ++s) {
      v.step(actions.next());
      trace.record(v);
    }
    return trace;
  }
};

TEST_P(EnvContract, DeclaredSizesPerAgentAreTheBuiltEnvs) {
  const auto& entry = env_registry().entry(GetParam());
  const auto env = make_env(GetParam());
  ASSERT_EQ(env->num_agents(), int(entry.sizes.size()));
  for (int a = 0; a < env->num_agents(); ++a) {
    EXPECT_EQ(env->obs_dim(a), entry.sizes[size_t(a)].obs) << "agent " << a;
    EXPECT_EQ(env->act_dim(a), entry.sizes[size_t(a)].act) << "agent " << a;
  }
}

TEST_P(EnvContract, EveryDeclaredDefaultResolvesAndBuilds) {
  const auto& entry = env_registry().entry(GetParam());
  // Each default given explicitly is accepted as a given value is; the env built from
  // all of them is the default env.
  Options defaults;
  for (const auto& spec : entry.options) {
    SCOPED_TRACE(spec.key);
    ASSERT_TRUE(spec.default_value.has_value()) << "an env option without a default";
    EXPECT_EQ(env_registry().resolve(GetParam(), {{spec.key, *spec.default_value}}).values(),
              env_registry().resolve(GetParam()).values());
    defaults.set(spec.key, *spec.default_value);
  }
  EXPECT_EQ(env_registry().resolve(GetParam()).values(), defaults.values());
  EXPECT_NO_THROW(make_env(GetParam(), defaults));
}

TEST_P(EnvContract, SpacesMatchWhatItWritesAndNothingIsNaN) {
  auto v = make(2);
  const Env& env = v->env(0);
  ASSERT_GE(env.num_agents(), 1);
  EXPECT_EQ(v->num_rows(), kEnvs * env.num_agents());
  for (int a = 0; a < env.num_agents(); ++a) {
    EXPECT_GT(env.obs_dim(a), 0);
    EXPECT_GT(env.act_dim(a), 0);
    EXPECT_LE(env.obs_dim(a), env.obs_row_size());
    EXPECT_LE(env.act_dim(a), env.act_row_size());
  }
  RandomActions actions(*v, 1);
  v->reset();
  for (int s = 0; s <= kSteps; ++s) {
    if (s > 0) v->step(actions.next());
    for (int row = 0; row < v->num_rows(); ++row) {
      const int agent = int(v->row_agents()[size_t(row)]);
      const float* obs = v->observations() + size_t(row) * v->obs_dim();
      for (int k = 0; k < v->obs_dim(); ++k) {
        ASSERT_TRUE(std::isfinite(obs[k])) << "step " << s << " row " << row << " obs[" << k << "]";
        if (k >= env.obs_dim(agent)) {
          ASSERT_EQ(obs[k], 0.f) << "padding of row " << row;
        }
      }
      ASSERT_TRUE(env.observation_space(agent).contains(obs)) << "step " << s << " row " << row;
      ASSERT_TRUE(std::isfinite(v->rewards()[row])) << "step " << s << " row " << row;
      for (int k = 0; k < v->info_dim(); ++k)
        ASSERT_TRUE(std::isfinite(v->infos()[size_t(row) * v->info_dim() + k])) << env.info_names()[size_t(k)];
    }
  }
}

TEST_P(EnvContract, SameResultsForOneTwoAndFourThreads) {
  VectorEnvTrace traces[3];
  const int threads[3] = {1, 2, 4};
  for (int k = 0; k < 3; ++k) {
    auto v = make(threads[k]);
    RandomActions actions(*v, 7);
    traces[k] = run(*v, actions, kSteps, true);
  }
  EXPECT_TRUE(traces[0] == traces[1]);
  EXPECT_TRUE(traces[0] == traces[2]);
}

TEST_P(EnvContract, SavedAtAnyStepContinuesBitExactlyInAFreshVectorEnv) {
  constexpr int kSaved = 40, kContinue = 6;
  const Options options = short_episodes();  // to save across auto-resets too
  auto a = make(2, options);
  RandomActions random(*a, 4);
  a->reset();
  std::vector<std::vector<float>> actions;
  std::vector<std::string> saved;
  std::vector<VectorEnvTrace> after;  // after[k]: what step k + 1 exposes
  for (int k = 0; k < kSaved + kContinue; ++k) {
    actions.push_back(random.next());
    saved.push_back(a->save_state());
    a->step(actions.back());
    after.emplace_back();
    after.back().record(*a);
  }
  auto b = make(1, options);  // another thread count
  for (int k = 0; k < kSaved; ++k) {
    SCOPED_TRACE("saved before step " + std::to_string(k));
    b->load_state(saved[size_t(k)]);
    // Loading and saving again gives the same bytes: nothing the state holds
    // is recomputed on the way in.
    ASSERT_TRUE(b->save_state() == saved[size_t(k)]);
    for (int j = k; j < k + kContinue; ++j) {
      b->step(actions[size_t(j)]);
      VectorEnvTrace resumed;
      resumed.record(*b);
      ASSERT_TRUE(resumed == after[size_t(j)]) << "step " << j;
    }
  }
}

TEST_P(EnvContract, BadActionsAreRejectedBeforeAnyStateChanges) {
  auto v = make(2);
  RandomActions actions(*v, 5);
  run(*v, actions, 5, true);
  const std::string before = v->save_state();
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> a = actions.next();
    a[size_t(v->num_rows() - 1) * v->act_dim()] = bad;  // the last row's first value
    EXPECT_THROW(v->step(a), EnvError);
    EXPECT_EQ(v->save_state(), before);
  }
  EXPECT_THROW(v->step(std::vector<float>(size_t(v->num_rows()) * v->act_dim() + 1, 0.f)), EnvError);
  EXPECT_EQ(v->save_state(), before);
}

TEST_P(EnvContract, AutoResetKeepsEachEndedEpisodesReturnAndLengthAndRestartsTheEnv) {
  auto v = make(2, short_episodes());
  RandomActions actions(*v, 9);
  v->reset();
  std::vector<double> returns(size_t(v->num_rows()), 0.0);
  std::vector<int> lengths(size_t(kEnvs), 0);
  int ended = 0;
  for (int s = 0; s < kSteps; ++s) {
    v->step(actions.next());
    for (int i = 0; i < kEnvs; ++i) ++lengths[size_t(i)];
    for (int row = 0; row < v->num_rows(); ++row) {
      returns[size_t(row)] += v->rewards()[row];
      const int i = int(v->row_envs()[size_t(row)]);
      // An env's rows end together.
      ASSERT_EQ(v->done(row), v->done(int(i * v->num_agents()))) << "row " << row;
      if (!v->done(row)) continue;
      EXPECT_EQ(v->episode_lengths()[row], lengths[size_t(i)]);
      EXPECT_NEAR(v->episode_returns()[row], returns[size_t(row)], 1e-4 * (1.0 + std::abs(returns[size_t(row)])));
      EXPECT_EQ(bool(v->truncated()[row]), lengths[size_t(i)] >= v->env(i).max_episode_steps());
      returns[size_t(row)] = 0.0;
    }
    for (int i = 0; i < kEnvs; ++i) {
      if (!v->done(int(i * v->num_agents()))) continue;
      ++ended;
      EXPECT_EQ(v->env(i).elapsed_steps(), 0);  // already restarted
      lengths[size_t(i)] = 0;
    }
  }
  EXPECT_EQ(v->total_steps(), int64_t(kSteps) * kEnvs);
  if (ended == 0) GTEST_SKIP() << "no episode ended within " << kSteps << " steps";
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredEnv, EnvContract, ::testing::ValuesIn(registered_envs()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace metarl
