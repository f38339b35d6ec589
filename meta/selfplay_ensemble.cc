#include "meta/selfplay_ensemble.h"

#include <stdexcept>

#include "agents/checkpoint.h"

namespace metarl {
namespace {

std::string member_key(size_t k) { return "member" + std::to_string(k); }

// Each member's share of a budget the ensemble splits K ways (rounded up:
// no member stops short of the run's total).
int64_t share(int64_t total, size_t members) { return (total + int64_t(members) - 1) / int64_t(members); }

}  // namespace

SelfplayEnsemble::SelfplayEnsemble(VectorEnv& env, std::vector<std::unique_ptr<Policy>> policies,
                                   const TrainerConfig& config, const LearnerFactory& learner, uint64_t seed,
                                   int64_t total_iterations, const SelfplayConfig& selfplay,
                                   std::vector<std::vector<MixedOpponent>> mixed)
    : pool_(selfplay.opponent_delta, derive_seed(seed, 0x5e1f)) {
  const size_t k_members = policies.size();
  if (k_members < 2) throw std::invalid_argument("a self-play ensemble needs at least 2 members");
  if (!mixed.empty() && mixed.size() != k_members)
    throw std::invalid_argument("a self-play ensemble needs one list of mixed players per member");
  SelfplayConfig member_config = selfplay;
  member_config.total_env_steps = share(selfplay.total_env_steps, k_members);
  const size_t param_count = policies[0]->parameters().size();
  for (size_t k = 0; k < k_members; ++k) {
    if (policies[k]->parameters().size() != param_count)
      throw std::invalid_argument("a self-play ensemble's members need one architecture: the pool's versions "
                                  "are played by whichever member draws them");
    members_.push_back(std::make_unique<SelfplayTrainer>(
        env, std::move(policies[k]), config, learner, derive_seed(seed, 0xe05e + k), share(total_iterations, k_members),
        member_config, FixedOpponent{}, mixed.empty() ? std::vector<MixedOpponent>{} : std::move(mixed[k]), &pool_));
  }
}

int64_t SelfplayEnsemble::iteration() const {
  int64_t sum = 0;
  for (const auto& m : members_) sum += m->iteration();
  return sum;
}

int64_t SelfplayEnsemble::env_steps() const {
  int64_t sum = 0;
  for (const auto& m : members_) sum += m->env_steps();
  return sum;
}

Metrics SelfplayEnsemble::run_iteration() {
  const size_t k = size_t(iteration() % size());
  Metrics m = members_[k]->run_iteration();
  for (auto& [name, value] : m) {
    if (name == "iteration") value = double(iteration());
    if (name == "env_steps") value = double(env_steps());
  }
  m.emplace_back("member", double(k));
  return m;
}

void SelfplayEnsemble::save_checkpoint(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  archive.write("iteration", torch::tensor(iteration()));
  archive.write("env_steps", torch::tensor(env_steps()));
  members_.front()->save_policy_and_normalizer(archive);
  for (size_t k = 0; k < members_.size(); ++k) {
    torch::serialize::OutputArchive nested;
    members_[k]->save_state(nested);
    archive.write(member_key(k), nested);
  }
  pool_.save(archive, "selfplay_pool");
  write_checkpoint(archive, path);
}

void SelfplayEnsemble::load_checkpoint(const std::string& path) {
  read_checkpoint(path, [&](torch::serialize::InputArchive& archive) {
    for (size_t k = 0; k < members_.size(); ++k) {
      torch::serialize::InputArchive nested;
      if (!archive.try_read(member_key(k), nested))
        throw std::runtime_error("no record " + member_key(k) + " (a self-play ensemble of " +
                                 std::to_string(members_.size()) + " members saves one per member)");
      members_[k]->load_state(nested);
    }
    pool_.load(archive, "selfplay_pool");
  });
}

}  // namespace metarl
