#include "experiments/players.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <string_view>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/global_generator.h"
#include "agents/sampler.h"
#include "agents/scripted_policy.h"
#include "envs/box2d/sumo2d.h"
#include "envs/sumo/sumo_env.h"
#include "envs/vector_env.h"
#include "experiments/algorithm.h"
#include "experiments/config.h"
#include "experiments/run.h"
#include "meta/selfplay_trainer.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

// RoboSumo's option that only rescales entries of what an agent observes
// (its contact forces): load_player(spec, env, agent) undoes it per player,
// so players trained with other settings meet in one env.
constexpr const char* kForceScale = "force_scale";

// RUN -> RUN/checkpoints/latest.pt; RUN/checkpoints/NAME.pt as it is.
fs::path checkpoint_of(const std::string& spec) {
  const fs::path path(spec);
  return path.extension() == ".pt" ? path : path / "checkpoints" / "latest.pt";
}

Player load_run_player(const std::string& spec, int obs_dim, const Box& action) {
  const fs::path checkpoint = checkpoint_of(spec);
  const fs::path config = checkpoint.parent_path().parent_path() / "config.yaml";
  if (!fs::exists(checkpoint)) throw std::invalid_argument("player " + spec + ": " + checkpoint.string() + " does not exist");
  if (!fs::exists(config))
    throw std::invalid_argument("player " + spec + ": not in a metarl run (no " + config.string() + ")");
  ExperimentConfig cfg = ExperimentConfig::load(config.string());
  const PolicySettings settings = read_policy(cfg);
  // Whether the run's algorithm normalised what its policy saw.
  const std::unique_ptr<Algorithm> algorithm = make_algorithm(cfg.get_string_required("algorithm.name"), cfg);
  algorithm->read(cfg);
  const bool normalizes = algorithm->normalizes_observations();
  Player player;
  player.label = spec;
  player.trial_inputs = algorithm->policy_takes_trial_inputs(cfg.get_int("env.trial_episodes", 0));
  const int inputs = obs_dim + (player.trial_inputs ? kTrialInputs : 0);
  player.policy = make_policy(settings, inputs, action.size());
  if (normalizes) player.normalizer = std::make_unique<RunningNormalizer>(inputs);
  try {
    read_checkpoint_for_evaluation(checkpoint.string(), [&](torch::serialize::InputArchive& archive) {
      copy_into(player.policy->parameters(), read_tensors(archive, player_records()[0]), "its policy");
      if (normalizes) player.normalizer->load_state(read_tensors(archive, player_records()[1]));
    });
  } catch (const std::exception& e) {
    throw std::invalid_argument("player " + spec + ": " + e.what() + " (the agent it plays has observation " +
                                std::to_string(obs_dim) + " and action " + std::to_string(action.size()) + ")");
  }
  return player;
}

// Plays another policy's mean action: its distributions with a standard
// deviation of 10⁻³ (the Sampler still samples; a near-point mass, as the
// scripted player's). Shares the inner policy's parameters.
class MeanActionPolicy : public Policy {
 public:
  explicit MeanActionPolicy(std::unique_ptr<Policy> inner)
      : Policy(inner->obs_dim(), inner->act_dim()), inner_(std::move(inner)) {
    params_ = inner_->parameters();
  }
  bool recurrent() const override { return inner_->recurrent(); }
  std::string describe() const override { return "mean actions of " + inner_->describe(); }
  PolicyState initial_state(int64_t batch) const override { return inner_->initial_state(batch); }
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                    const Params& params) const override {
    return narrowed(inner_->step(obs, episode_start, state, params));
  }
  DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start, const PolicyState& initial,
                        const Params& params) const override {
    return narrowed(inner_->evaluate(obs, episode_start, initial, params));
  }

 private:
  static DiagGaussian narrowed(DiagGaussian d) {
    d.log_std = torch::full_like(d.log_std, std::log(1e-3));
    return d;
  }
  std::unique_ptr<Policy> inner_;
};

}  // namespace

std::vector<std::string> player_records() { return {"policy", "obs_normalizer"}; }

namespace {
constexpr std::string_view kMeanPrefix = "mean:";
bool has_mean_prefix(const std::string& spec) { return spec.rfind(kMeanPrefix, 0) == 0; }
}  // namespace

bool is_run_player(const std::string& spec) {
  if (has_mean_prefix(spec)) return is_run_player(spec.substr(kMeanPrefix.size()));
  return spec != "random" && spec != "scripted";
}

std::string run_of_player(const std::string& spec) {
  return has_mean_prefix(spec) ? spec.substr(kMeanPrefix.size()) : spec;
}

void env_of_run(const std::string& spec, std::string& name, Options& options) {
  const fs::path path(run_of_player(spec));
  const fs::path run = path.extension() == ".pt" ? path.parent_path().parent_path() : path;
  const fs::path config = run / "config.yaml";
  if (!fs::exists(config))
    throw std::invalid_argument("player " + spec + " is not a metarl run (no " + config.string() + ")");
  ExperimentConfig cfg = ExperimentConfig::load(config.string());
  name = cfg.get_string_required("env.name");
  for (const auto& [key, value] : cfg.get_string_map("env.options")) options.set(key, value);
}

PlayersEnv env_of_runs(const std::string& command, const std::vector<std::string>& players, const Options& overrides) {
  PlayersEnv first;
  std::string first_spec;
  for (const std::string& spec : players) {
    if (spec.empty() || !is_run_player(spec)) continue;
    PlayersEnv run;
    env_of_run(spec, run.name, run.options);
    if (first_spec.empty()) {
      first = std::move(run);
      first_spec = spec;
      continue;
    }
    // A player acts on what its env observes: one that meets another
    // setting of an option (the clock, a drawn ring) plays from inputs it
    // never saw, unless load_player undoes the difference.
    if (run.name != first.name)
      throw std::invalid_argument(command + ": players " + first_spec + " and " + spec + " were trained in " +
                                  first.name + " and " + run.name + ": name the env they meet in with --env");
    std::set<std::string> keys;
    for (const auto& [key, value] : first.options.values()) keys.insert(key);
    for (const auto& [key, value] : run.options.values()) keys.insert(key);
    for (const std::string& key : keys) {
      if (overrides.has(key) || key == kForceScale) continue;
      const auto setting = [&key](const Options& options) {
        return options.has(key) ? key + "=" + options.values().at(key) : key + " unset";
      };
      if (setting(first.options) != setting(run.options))
        throw std::invalid_argument(command + ": players " + first_spec + " and " + spec +
                                    " were trained with different env options (" + setting(first.options) + ", " +
                                    setting(run.options) + "): set " + key +
                                    " for both with --env-options, or name the env with --env");
    }
  }
  return first;
}

PlayersEnv players_env(const std::string& command, const std::string& env, const std::vector<std::string>& players,
                       const std::string& overrides) {
  const Options parsed = Options::parse(overrides);  // named: a temporary's values() would dangle
  PlayersEnv out{env, Options{}};
  if (out.name.empty()) {
    out = env_of_runs(command, players, parsed);
    if (out.name.empty()) throw std::invalid_argument(command + ": no player is a run: name the env with --env");
  }
  for (const auto& [key, value] : parsed.values()) out.options.set(key, value);
  return out;
}

Player load_player(const std::string& spec, const VectorEnv& env, int agent) {
  const Env& first = env.env(0);
  Player player = load_player(spec, int(env.observation_space(agent).size()), env.action_space(agent), first.name());
  const auto* sumo = dynamic_cast<const SumoEnv*>(&first);
  if (!sumo || !is_run_player(spec)) return player;
  std::string trained_in;
  Options trained;
  env_of_run(spec, trained_in, trained);
  const double trained_scale = trained.get_double("player " + spec, kForceScale, 1.0);
  if (trained_scale == sumo->force_scale()) return player;
  // Its force entries as its own env would have scaled them; the trial
  // inputs after the observation (RL²) stay as they are.
  const std::vector<bool> forces = sumo->force_entries(agent);
  const int64_t inputs = int64_t(forces.size()) + (player.trial_inputs ? kTrialInputs : 0);
  torch::Tensor scale = torch::ones({inputs}, torch::kFloat64);
  for (size_t i = 0; i < forces.size(); ++i)
    if (forces[i]) scale[int64_t(i)] = trained_scale / sumo->force_scale();
  if (!player.normalizer) player.normalizer = std::make_unique<RunningNormalizer>(RunningNormalizer::identity(inputs));
  player.normalizer->set_input_scale(scale);
  return player;
}

Player load_player(const std::string& spec, int obs_dim, const Box& action, const std::string& env_name) {
  if (has_mean_prefix(spec)) {
    const std::string inner = spec.substr(kMeanPrefix.size());
    if (!is_run_player(inner) || has_mean_prefix(inner))
      throw std::invalid_argument("player " + spec + ": mean: takes a run or one of its checkpoints");
    Player player = load_player(inner, obs_dim, action, env_name);
    player.label = spec;
    player.policy = std::make_unique<MeanActionPolicy>(std::move(player.policy));
    return player;
  }
  const GlobalGeneratorScope kept;  // the player's initial weights are overwritten: leave no trace
  if (spec == "random") return {spec, random_policy(obs_dim, action), nullptr};
  if (spec == "scripted") {
    if (env_name != "Sumo2D")
      throw std::invalid_argument("player scripted: only Sumo2D has a scripted player (push toward the opponent), not " +
                                  env_name);
    return {spec, std::make_unique<PushTowardOpponentPolicy>(), nullptr};
  }
  return load_run_player(spec, obs_dim, action);
}

}  // namespace metarl
