// TRPO (conjugate gradient, KL line search): algorithm.name trpo.
#include "agents/trpo_learner.h"
#include "experiments/algorithms/policy_gradient.h"

namespace metarl {
namespace {

class TrpoAlgorithm : public PolicyGradientAlgorithm {
 public:
  using PolicyGradientAlgorithm::PolicyGradientAlgorithm;

 private:
  void read_learner(ExperimentConfig& cfg) override { read_trpo(cfg, trpo_); }

  LearnerFactory learner(const Communicator&) const override {
    const TrpoConfig config = trpo_;
    return [config](Policy& policy, MlpValueFunction*, uint64_t) -> std::unique_ptr<Learner> {
      return std::make_unique<TrpoLearner>(policy, config);
    };
  }

  TrpoConfig trpo_;
};

const AlgorithmRegistration kRegisterTrpo("trpo", "TRPO (conjugate gradient, KL line search)",
                                          [](const std::string& name) { return std::make_unique<TrpoAlgorithm>(name); });

}  // namespace
}  // namespace metarl
