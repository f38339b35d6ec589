// PPO (clipped objective, learned value function trained with the policy):
// algorithm.name ppo. The algorithm itself is in ppo.h.
#include "experiments/algorithms/ppo.h"

namespace metarl {
namespace {

const AlgorithmRegistration kRegisterPpo("ppo", "clipped PPO with a learned value function",
                                         [](const std::string& name) { return std::make_unique<PpoAlgorithm>(name); });

}  // namespace
}  // namespace metarl
