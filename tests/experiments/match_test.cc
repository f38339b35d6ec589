// `metarl match`: players, seats and the reported rates.
#include "experiments/match.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/adapt.h"
#include "experiments/players.h"
#include "experiments/run.h"
#include "envs/vector_env.h"
#include "tests/experiments/tiny_sumo2d_run.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

nlohmann::json play(const std::string& a, const std::string& b, const std::string& env, int64_t episodes,
                    const std::string& env_options = "") {
  MatchOptions options;
  options.player_a = a;
  options.player_b = b;
  options.env = env;
  options.env_options = env_options;
  options.episodes = episodes;
  options.num_envs = 8;
  options.threads = 1;
  std::ostringstream out;
  run_match(options, out);
  return nlohmann::json::parse(out.str());
}

// A copy of `run` beside it, named `name`, whose config.yaml has `from`
// replaced by `to`: the same policy, trained (it says) in another setting.
fs::path copy_with_config(const fs::path& run, const std::string& name, const std::string& from,
                          const std::string& to) {
  const fs::path copy = run.parent_path() / name;
  fs::remove_all(copy);
  fs::copy(run, copy, fs::copy_options::recursive);
  const fs::path config = copy / "config.yaml";
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  EXPECT_NE(text.find(from), std::string::npos) << text;
  if (text.find(from) != std::string::npos) text.replace(text.find(from), from.size(), to);
  std::ofstream(config) << text;
  return copy;
}

TEST(Match, TheScriptedSumo2DPlayerBeatsRandomFromBothSeatsAndTheRatesAddUp) {
  const auto row = play("scripted", "random", "Sumo2D", 16);
  EXPECT_EQ(row["episodes"], 16);
  EXPECT_EQ(row["seats"], "alternating");
  const double won = row["a_won"]["rate"], lost = row["a_lost"]["rate"], drew = row["drew"]["rate"];
  EXPECT_DOUBLE_EQ(won + lost + drew, 1.0);
  EXPECT_GE(won, 14.0 / 16);
  EXPECT_LE(row["a_won"]["ci95"][0].get<double>(), won);
  EXPECT_GE(row["a_won"]["ci95"][1].get<double>(), won);
  // The other way round: B's wins are A's losses, pushed out.
  const auto reverse = play("random", "scripted", "Sumo2D", 16);
  EXPECT_GE(reverse["a_lost"]["rate"].get<double>(), 14.0 / 16);
  EXPECT_EQ(reverse["a_lost_pushed_out"].get<int64_t>() + reverse["a_lost_fell"].get<int64_t>(),
            int64_t(std::llround(reverse["a_lost"]["rate"].get<double>() * 16)));
}

TEST(Match, RobotsOfTwoKindsKeepTheirSeats) {
  // The calibration's matches: each player plays the robot its policy fits.
  const auto row = play("random", "random", "SumoAnt", 2, "robot0=ant,robot1=bug,max_episode_steps=5");
  EXPECT_EQ(row["seats"], "a is agent 0");
  EXPECT_EQ(row["env_options"], "max_episode_steps=5,robot0=ant,robot1=bug");
  EXPECT_EQ(row["episodes"], 8);  // one round of the 8 envs
}

TEST(Match, LoadingAPlayerLeavesTorchsGlobalGeneratorAsItWas) {
  // Else a run that loads an opponent would initialise its learner differently.
  torch::manual_seed(5);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(5);
  const Player random = load_player("random", 21, Box({4}, -1, 1), "Sumo2D");
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(Match, BadPlayersAndEnvsAreOneLineErrorsNamingThem) {
  try {
    play("scripted", "random", "SumoAnt", 8);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only Sumo2D has a scripted player"), std::string::npos) << e.what();
  }
  try {
    play("no/such/run", "random", "Sumo2D", 8);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/run"), std::string::npos) << e.what();
  }
  EXPECT_THROW(play("random", "random", "HalfCheetah", 8), std::invalid_argument);
  EXPECT_THROW(play("random", "random", "", 8), std::invalid_argument);  // no run to take the env from
}

TEST(Match, ARunPlaysAsItsCheckpointSaysBeforeAndAfterReduce) {
  const fs::path run = tiny_sumo2d_run("match_test");
  const auto full = play(run.string(), "random", "", 8);  // the env comes from the run
  EXPECT_EQ(full["env"], "Sumo2D");
  EXPECT_EQ(full["env_options"], "max_episode_steps=12");
  const auto before = fs::file_size(run / "checkpoints" / "latest.pt");
  reduce_checkpoints({run.string()});  // also reads the run's own config.yaml back
  EXPECT_LT(fs::file_size(run / "checkpoints" / "latest.pt"), before);
  EXPECT_EQ(play(run.string(), "random", "", 8), full);
  // --env-options go on top of the run's.
  EXPECT_EQ(play(run.string(), "random", "", 8, "max_episode_steps=7")["env_options"], "max_episode_steps=7");

  // mean: plays the same policy's mean action, with no spread to speak of;
  // its env still comes from the run.
  const Box action({4}, -1, 1);
  const Player sampled = load_player(run.string(), 21, action, "Sumo2D");
  const Player mean = load_player("mean:" + run.string(), 21, action, "Sumo2D");
  EXPECT_EQ(mean.label, "mean:" + run.string());
  const torch::Tensor obs = torch::randn({3, 21});
  PolicyState none;
  const DiagGaussian s = sampled.policy->step(obs, torch::zeros({3}), none, sampled.policy->parameters());
  const DiagGaussian m = mean.policy->step(obs, torch::zeros({3}), none, mean.policy->parameters());
  EXPECT_TRUE(torch::equal(m.mean, s.mean));
  EXPECT_NEAR(m.log_std.exp().max().item<double>(), 1e-3, 1e-9);
  EXPECT_GT(s.log_std.exp().min().item<double>(), 0.1);
  EXPECT_EQ(play("mean:" + run.string(), "random", "", 8)["env"], "Sumo2D");
  try {
    load_player("mean:random", 21, action, "Sumo2D");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mean:random"), std::string::npos) << e.what();
  }
}

TEST(Match, RunsTrainedWithOtherEnvOptionsMeetOnlyWhereTheCommandSaysHow) {
  // A copy of a run whose config says it saw longer matches: the same env,
  // one option set otherwise.
  const fs::path run = tiny_sumo2d_run("match_options_test");
  const fs::path other = copy_with_config(run, "other", "max_episode_steps: 12", "max_episode_steps: 20");

  try {
    play(run.string(), other.string(), "", 4);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("max_episode_steps=12, max_episode_steps=20"), std::string::npos) << message;
    EXPECT_NE(message.find(other.string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Setting the option for both, or naming the env, is the user's choice.
  EXPECT_EQ(play(run.string(), other.string(), "", 4, "max_episode_steps=7")["env_options"], "max_episode_steps=7");
  EXPECT_EQ(play(run.string(), other.string(), "Sumo2D", 4, "max_episode_steps=7")["env_options"],
            "max_episode_steps=7");
  // A built-in player has no env of its own to disagree with.
  EXPECT_EQ(play(other.string(), "random", "", 4)["env_options"], "max_episode_steps=20");
}

TEST(Match, APlayerTrainedAtAnotherForceScaleSeesItsForcesAsItsOwnEnvScaledThem) {
  const fs::path run = tiny_run("match_force_scale_test", "sumo/ant.yaml",
                                {"env.num_envs=2", "env.options.max_episode_steps=12", "algorithm.steps_per_iteration=24",
                                 "algorithm.minibatches=2", "training.total_env_steps=24"});
  const fs::path scaled_run =
      copy_with_config(run, "scaled", "observe_time: true", "observe_time: true\n    force_scale: 0.01");
  const Options options = {{"observe_time", "true"}, {"max_episode_steps", "12"}};
  Options scaled_options = options;
  scaled_options.set("force_scale", "0.01");
  VectorEnv plain(std::string("SumoAnt"), 1, 1, options), scaled(std::string("SumoAnt"), 1, 1, scaled_options);
  // The same match in both envs, its robots' feet on the ground (forces).
  const std::vector<float> actions(size_t(plain.num_rows() * plain.act_dim()), 0.3f);
  std::vector<torch::Tensor> observations;
  for (VectorEnv* env : {&plain, &scaled}) {
    env->seed(3);
    env->reset();
    for (int t = 0; t < 3; ++t) env->step(actions);
    observations.push_back(torch::from_blob(const_cast<float*>(env->observations()),
                                            {env->num_rows(), env->obs_dim()}, torch::kFloat32)
                               .clone());
  }
  ASSERT_GT((observations[0] - observations[1]).abs().max().item<double>(), 0.1);  // forces seen differently

  // Each run's player, in the other's env and in its own, is given the same inputs.
  for (const fs::path& spec : {run, scaled_run}) {
    const bool own_is_scaled = spec == scaled_run;
    const Player at_home = load_player(spec.string(), own_is_scaled ? scaled : plain, 0);
    const Player away = load_player(spec.string(), own_is_scaled ? plain : scaled, 0);
    const torch::Tensor home_obs = observations[own_is_scaled ? 1 : 0], away_obs = observations[own_is_scaled ? 0 : 1];
    ASSERT_TRUE(at_home.normalizer && away.normalizer);
    EXPECT_TRUE(torch::allclose(away.normalizer->normalize(away_obs), at_home.normalizer->normalize(home_obs), 1e-5,
                                1e-5))
        << spec;
  }
  // So they meet in one match, in the first player's env.
  EXPECT_EQ(play(scaled_run.string(), run.string(), "", 2)["env_options"],
            "force_scale=0.01,max_episode_steps=12,observe_time=true");
}

}  // namespace
}  // namespace metarl
