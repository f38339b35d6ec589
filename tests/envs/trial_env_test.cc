// RL²'s trials: one trial is the consecutive episodes of one chain, with the
// previous reward and an episode-start flag observed.
#include <set>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/core/trial_env.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {
namespace {

std::shared_ptr<const TaskFamily> crippled_bug() {
  return std::shared_ptr<const TaskFamily>(make_task_family("BugCrippledLegs", Options::parse("split=all")));
}

std::unique_ptr<TrialEnv> bug_trial(int horizon, int episodes) {
  return std::make_unique<TrialEnv>(make_env("Bug", Options::parse("max_episode_steps=" + std::to_string(horizon))),
                                    episodes, crippled_bug());
}

TEST(TrialEnv, ATrialIsTheChainsConsecutiveEpisodesWithRewardAndFlagObserved) {
  auto trial = bug_trial(4, 3);
  const int inner_obs = trial->inner().obs_dim();
  EXPECT_EQ(trial->obs_dim(), inner_obs + 2);
  EXPECT_EQ(trial->max_episode_steps(), 12);
  EXPECT_EQ(trial->info_names().back(), "trial_episode");
  auto obs = trial->reset(3);
  EXPECT_EQ(obs[inner_obs], 0.f);      // no previous reward
  EXPECT_EQ(obs[inner_obs + 1], 1.f);  // an episode starts
  EXPECT_EQ(trial->inner().episode_index(), 0);
  const mjModel* m = dynamic_cast<LocomotionEnv&>(trial->inner()).model();
  const int weak = mj_name2id(m, mjOBJ_ACTUATOR, ("hip_" + std::to_string(int(trial->trial_task().get("leg_a")))).c_str());
  const std::vector<float> still(trial->act_dim(), 0.f);
  for (int t = 0; t < 12; ++t) {
    const Transition step = trial->step(still);
    const int episode = t / 4;
    EXPECT_EQ(step.info.back(), float(episode)) << "step " << t;
    EXPECT_EQ(step.observation[inner_obs], float(step.reward)) << "step " << t;
    const bool boundary = t % 4 == 3;
    // A new inner episode of the chain starts after every 4th step, within the trial.
    EXPECT_EQ(step.observation[inner_obs + 1], boundary && t < 11 ? 1.f : 0.f) << "step " << t;
    EXPECT_EQ(step.terminated || step.truncated, t == 11) << "step " << t;
    if (boundary && t < 11) {
      EXPECT_EQ(trial->inner().episode_index(), episode + 1);
      // The chain moved on: the task's leg weakened (7-episode schedule).
      EXPECT_NEAR(m->actuator_gear[6 * weak], 150.0 * (1.0 - (episode + 1) / 6.0), 1e-9);
    }
  }
}

TEST(TrialEnv, EveryTrialStartsANewChainDrawnFromTheFamilyUnlessATaskIsFixed) {
  auto trial = bug_trial(2, 2);
  std::set<std::string> tasks;
  trial->seed(11);
  for (int i = 0; i < 12; ++i) {
    trial->reset();
    EXPECT_EQ(trial->inner().episode_index(), 0);
    EXPECT_EQ(trial->trial_task(), *trial->inner().task());
    tasks.insert(trial->trial_task().to_string());
  }
  EXPECT_GT(tasks.size(), 3u);  // 15 pairs: twelve draws hit several
  const Task fixed("BugCrippledLegs", {{"leg_a", 2}, {"leg_b", 5}});
  trial->fix_task(fixed);
  for (int i = 0; i < 3; ++i) {
    trial->reset();
    EXPECT_EQ(trial->trial_task(), fixed);
    EXPECT_EQ(trial->inner().episode_index(), 0);
  }
}

TEST(TrialEnv, SavedStateContinuesBitExactlyMidTrial) {
  auto a = bug_trial(3, 3), b = bug_trial(3, 3);
  a->reset(7);
  Rng rng(1);
  auto action = [&] {
    std::vector<float> u(a->act_dim());
    for (auto& x : u) x = float(rng.uniform(-1, 1));
    return u;
  };
  for (int t = 0; t < 4; ++t) a->step(action());  // into the second inner episode
  std::string state;
  a->save_state(state);
  size_t offset = 0;
  b->load_state(state, offset);
  EXPECT_EQ(offset, state.size());
  EXPECT_EQ(b->trial_task(), a->trial_task());
  EXPECT_EQ(b->inner().episode_index(), 1);
  for (int t = 0; t < 5; ++t) {  // across the next inner reset
    const auto u = action();
    const Transition x = a->step(u), y = b->step(u);
    EXPECT_EQ(x.observation, y.observation) << "step " << t;
    EXPECT_EQ(x.reward, y.reward);
  }
}

TEST(TrialEnv, BadSettingsAreErrors) {
  EXPECT_THROW(TrialEnv(make_env("Bug"), 0, crippled_bug()), EnvError);
  EXPECT_THROW(TrialEnv(make_env("Bug"), 3, nullptr), EnvError);
}

}  // namespace
}  // namespace metarl
