// Players of a match that are not the learner being trained: a policy with
// its observation normaliser, read-only. `metarl match` pits two of them
// against each other; self-play (`algorithm.opponent`) trains against one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agents/normalizer.h"
#include "agents/policy.h"
#include "envs/core/options.h"
#include "envs/core/space.h"
#include "envs/vector_env.h"

namespace metarl {

struct Player {
  std::string label;  // as given: "random", "scripted", the run or checkpoint path
  std::unique_ptr<Policy> policy;
  std::unique_ptr<RunningNormalizer> normalizer;  // null: it sees raw observations
  // An RL² run's policy (selfplay_ppo with env.trial_episodes): it takes the
  // Sampler's kTrialInputs inputs after the observation (agents/sampler.h).
  bool trial_inputs = false;
};

// The player `spec` names, for an agent with `obs_dim` observations and
// `action` space in env `env_name`:
//   random          a fixed policy spread over the action box (random_policy)
//   scripted        the env's scripted baseline (Sumo2D: PushTowardOpponentPolicy)
//   RUN             a metarl run directory: its checkpoints/latest.pt
//   RUN/checkpoints/NAME.pt   one checkpoint of a run (a snapshot)
//   mean:RUN, mean:RUN/checkpoints/NAME.pt   that run's policy acting with
//                   its mean action (standard deviation 10⁻³) instead of
//                   sampling: how a trained player does without its noise
// The policy's architecture, whether it normalises and whether it is an RL²
// player come from the run's config.yaml. Throws std::invalid_argument naming what is wrong (no such
// run, no scripted player for the env, sizes that do not fit the agent).
Player load_player(const std::string& spec, int obs_dim, const Box& action, const std::string& env_name);

// The same for agent `agent` of `env`'s envs, met by a player trained with
// another setting of an option that only rescales observations (RoboSumo's
// force_scale): its inputs rescaled to what its own env gave it (through
// its normaliser's input scale; an identity normaliser if it had none).
Player load_player(const std::string& spec, const VectorEnv& env, int agent);

// The checkpoint records load_player reads from a run: what `metarl reduce`
// keeps of a self-play run's checkpoints.
std::vector<std::string> player_records();

// Whether `spec` names a run (or one of its checkpoints, mean: or not) rather than a built-in player.
bool is_run_player(const std::string& spec);
// The run or checkpoint path a run player names (without mean:).
std::string run_of_player(const std::string& spec);

// The env a run player's run trained in: its config.yaml's env.name, and its
// env.options set into `options`. Throws std::invalid_argument naming `spec`
// when it is not in a metarl run.
void env_of_run(const std::string& spec, std::string& name, Options& options);

struct PlayersEnv {
  std::string name;
  Options options;
};

// The env and options the runs among `players` trained in (empty when none
// is a run): the first run's. Throws std::invalid_argument, starting with
// `command` and naming two players, when their runs trained in different
// envs or with different settings of an option that `overrides` does not
// set and load_player(spec, env, agent) does not undo (force_scale).
PlayersEnv env_of_runs(const std::string& command, const std::vector<std::string>& players, const Options& overrides);

// The env players meet in: `env` when given (with no options of a run's),
// else env_of_runs's; then `overrides` ("key=value,...") on top. Throws
// std::invalid_argument, starting with `command`, when no env is given and
// no player is a run, or as env_of_runs.
PlayersEnv players_env(const std::string& command, const std::string& env, const std::vector<std::string>& players,
                       const std::string& overrides);

}  // namespace metarl
