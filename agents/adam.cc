#include "agents/adam.h"

#include "agents/checkpoint.h"

namespace metarl {

AdamOptimizer::AdamOptimizer(std::vector<AdamGroup> groups, double epsilon) {
  TORCH_CHECK(!groups.empty(), "AdamOptimizer: no parameter groups");
  std::vector<torch::optim::OptimizerParamGroup> torch_groups;
  for (auto& group : groups) {
    learning_rates_.push_back(group.learning_rate);
    torch_groups.emplace_back(std::move(group.params),
                              std::make_unique<torch::optim::AdamOptions>(
                                  torch::optim::AdamOptions(group.learning_rate).eps(epsilon)));
  }
  adam_ = std::make_unique<torch::optim::Adam>(std::move(torch_groups),
                                               torch::optim::AdamOptions(learning_rates_.front()).eps(epsilon));
}

void AdamOptimizer::minimize(const torch::Tensor& loss, const std::function<void()>& shape_gradients) {
  adam_->zero_grad();
  loss.backward();
  if (shape_gradients) shape_gradients();
  adam_->step();
}

void AdamOptimizer::step_accumulated(const std::function<void()>& shape_gradients) {
  if (shape_gradients) shape_gradients();
  adam_->step();
  adam_->zero_grad();
}

void AdamOptimizer::anneal(double fraction) {
  auto& groups = adam_->param_groups();
  for (size_t g = 0; g < groups.size(); ++g)
    static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(learning_rates_[g] * fraction);
}

void AdamOptimizer::save_state(torch::serialize::OutputArchive& archive, const std::string& key) const {
  write_adam_state(archive, key, *adam_);
}

void AdamOptimizer::load_state(torch::serialize::InputArchive& archive, const std::string& key,
                               const std::string& legacy_key) {
  read_adam_state(archive, key, legacy_key, *adam_);
}

}  // namespace metarl
