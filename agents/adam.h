// The project's Adam, the one gradient-step machinery of every learner that
// steps by Adam: PPO and VPG (agents/ppo.h, agents/vpg.h), the value
// regression, MAML's PPO outer step and its step sizes, and PPO-tracking
// (meta/maml_trainer.h). It holds the parameter groups with their configured
// learning rates, anneals them, takes a step on a loss or on accumulated
// gradients, and writes its state in the checkpoint form of
// write_adam_state (agents/checkpoint.h). ε is each owner's hyperparameter
// (PPO's 1e-5, LibTorch's 1e-8 for the others, as their runs were trained);
// betas, weight decay and amsgrad are LibTorch's defaults for all.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace metarl {

struct AdamGroup {
  std::vector<torch::Tensor> params;
  double learning_rate;
};

class AdamOptimizer {
 public:
  AdamOptimizer(std::vector<AdamGroup> groups, double epsilon);

  // One step down the gradient of `loss`: the parameters' gradients cleared,
  // `loss` back-propagated, `shape_gradients` (clipping, recording) applied
  // to the fresh gradients, one Adam step.
  void minimize(const torch::Tensor& loss, const std::function<void()>& shape_gradients = {});
  // One step on the gradients the parameters accumulated since the last
  // (back-propagated by losses that other optimisers minimised), after
  // `shape_gradients`; the gradients are cleared after it.
  void step_accumulated(const std::function<void()>& shape_gradients = {});
  // Every group's learning rate to its configured rate × `fraction`.
  void anneal(double fraction);
  // The state under `key` (read_adam_state also reads the older form, a
  // sub-archive at `legacy_key`).
  void save_state(torch::serialize::OutputArchive& archive, const std::string& key) const;
  void load_state(torch::serialize::InputArchive& archive, const std::string& key, const std::string& legacy_key);

 private:
  std::vector<double> learning_rates_;  // as configured, per group
  std::unique_ptr<torch::optim::Adam> adam_;
};

}  // namespace metarl
