#include "experiments/round_adaptation.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <stdexcept>

#include "agents/global_generator.h"
#include "experiments/config.h"
#include "experiments/run.h"
#include "meta/test_time_adaptation.h"

namespace fs = std::filesystem;

namespace metarl {

bool is_round_adaptation_method(const std::string& method) {
  return method == "none" || method == "tracking" || method == "meta" || method == "rl2";
}

namespace {

class TrackingAdaptation : public RoundAdaptation {
 public:
  TrackingAdaptation(Player& player, const TrackingConfig& config, uint64_t seed)
      : tracker_(*player.policy, config, seed) {}
  void after_round(const EpisodeBatch& own_side) override { tracker_.update(own_side); }

 private:
  Tracker tracker_;
};

// The run's trainer, rebuilt from its config.yaml, adapts; the player acts
// with what it returns.
class MetaAdaptation : public RoundAdaptation {
 public:
  MetaAdaptation(const std::string& spec, Player& player, int64_t history, uint64_t seed)
      : player_(player), history_(history) {
    const fs::path path(run_of_player(spec));
    const bool one_checkpoint = path.extension() == ".pt";
    const fs::path run = one_checkpoint ? path.parent_path().parent_path() : path;
    ExperimentConfig cfg = ExperimentConfig::load((run / "config.yaml").string());
    {
      const GlobalGeneratorScope seeded(seed);  // the rebuilt policy's initialisation, overwritten below
      run_ = build_experiment(cfg, run.filename().string());
    }
    adapter_ = dynamic_cast<EpisodeAdapter*>(run_.trainer.get());
    if (!adapter_)
      throw std::invalid_argument("player " + spec + " cannot adapt by meta: its run is a " + run_.algorithm +
                                  " run, which learned no update from episodes (a maml run does)");
    adapter_->load_for_adaptation(one_checkpoint ? path.string() : (path / "checkpoints" / "latest.pt").string());
  }

  void after_round(const EpisodeBatch& own_side) override {
    recent_.push_back(own_side);
    const auto episodes = [](const EpisodeBatch& b) { return int64_t(b.episode_returns.size()); };
    int64_t held = 0;
    for (const EpisodeBatch& b : recent_) held += episodes(b);
    while (recent_.size() > 1 && held - episodes(recent_.front()) >= history_) {
      held -= episodes(recent_.front());
      recent_.pop_front();
    }
    int64_t horizon = 0;
    for (const EpisodeBatch& b : recent_) horizon = std::max(horizon, b.horizon());
    std::vector<EpisodeBatch> padded;
    for (const EpisodeBatch& b : recent_) padded.push_back(pad_in_time(b, horizon));
    // Every round after the first was played by an adapted policy.
    const Params adapted = adapter_->adapted_parameters(interleave_envs(padded), /*acted_by_adapted=*/adapted_);
    torch::NoGradGuard no_grad;
    Params& params = player_.policy->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(adapted.at(i));
    adapted_ = true;
  }

 private:
  Player& player_;
  int64_t history_;
  Experiment run_;
  EpisodeAdapter* adapter_ = nullptr;
  std::deque<EpisodeBatch> recent_;
  bool adapted_ = false;
};

}  // namespace

std::unique_ptr<RoundAdaptation> make_round_adaptation(const RoundAdaptationSettings& settings,
                                                       const std::string& spec, Player& player, uint64_t seed) {
  if (settings.method == "none") return nullptr;
  if (settings.method == "tracking") return std::make_unique<TrackingAdaptation>(player, settings.tracking, seed);
  if (settings.method == "meta") {
    if (!is_run_player(spec))
      throw std::invalid_argument("player " + spec + " cannot adapt by meta: it is not a run");
    if (settings.meta_history < 1) throw std::invalid_argument("the meta-learned update needs a history of >= 1 match");
    return std::make_unique<MetaAdaptation>(spec, player, settings.meta_history, seed);
  }
  if (settings.method == "rl2") {
    if (!player.trial_inputs)
      throw std::invalid_argument("player " + spec +
                                  " cannot adapt by rl2: it is not an RL² run (selfplay_ppo with env.trial_episodes)");
    return nullptr;  // its memory is carried by whoever plays its rounds (play_round's a_memory)
  }
  throw std::invalid_argument("unknown adaptation '" + settings.method + "' (known: " + kRoundAdaptationMethods + ")");
}

}  // namespace metarl
