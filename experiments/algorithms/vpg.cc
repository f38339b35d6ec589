// Vanilla policy gradient (REINFORCE with a baseline, Adam): algorithm.name vpg.
#include "agents/vpg.h"
#include "experiments/algorithms/policy_gradient.h"

namespace metarl {
namespace {

class VpgAlgorithm : public PolicyGradientAlgorithm {
 public:
  using PolicyGradientAlgorithm::PolicyGradientAlgorithm;

 private:
  void read_learner(ExperimentConfig& cfg) override {
    vpg_.learning_rate = cfg.get_double("algorithm.learning_rate", vpg_.learning_rate, Bounds::positive());
  }

  LearnerFactory learner(const Communicator&) const override {
    const VpgConfig config = vpg_;
    return [config](Policy& policy, MlpValueFunction*, uint64_t) -> std::unique_ptr<Learner> {
      return std::make_unique<VpgLearner>(policy, config);
    };
  }

  VpgConfig vpg_;
};

const AlgorithmRegistration kRegisterVpg("vpg", "vanilla policy gradient",
                                         [](const std::string& name) { return std::make_unique<VpgAlgorithm>(name); });

}  // namespace
}  // namespace metarl
