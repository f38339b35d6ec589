// RL² along chains (the recurrent baseline of Al-Shedivat et al. 2018): a
// policy trained by PPO on TrialEnv trials, evaluated on given chains.
#pragma once

#include <cstdint>
#include <vector>

#include "agents/normalizer.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "envs/core/task.h"
#include "envs/vector_env.h"

namespace metarl {

// Sums of the rewards of each inner episode of every env's trial in `batch`
// (one trial per env from its reset, as Sampler::collect_episodes returns
// it; the "trial_episode" info says which inner episode a step belongs to).
// Result: [env][inner episode], `episodes` per env.
std::vector<std::vector<double>> trial_episode_returns(const EpisodeBatch& batch, int64_t episodes);

// Runs one trial of every chain in `chains` (every env of `env` must be a
// TrialEnv; chains are run num_envs at a time, the last chunk filled with
// repeats that are not reported), acting with `policy` — its recurrent state
// carried across the episodes of a trial, reset between trials — on
// observations normalised by `normalizer` (may be null; it is not updated).
// `seed` fixes the envs' and the actions' randomness. Result: [chain][episode].
std::vector<std::vector<double>> rl2_chain_returns(VectorEnv& env, const Policy& policy,
                                                   const RunningNormalizer* normalizer, const std::vector<Task>& chains,
                                                   uint64_t seed);

}  // namespace metarl
