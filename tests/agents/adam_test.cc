#include "agents/adam.h"

#include <gtest/gtest.h>

namespace metarl {
namespace {

// Two parameters in two groups of their own rates, as MAML's outer step has
// them (θ; the step sizes at their own rate).
struct Pair {
  torch::Tensor w = torch::tensor({1.0f, -2.0f, 0.5f}).requires_grad_();
  torch::Tensor b = torch::tensor({0.3f}).requires_grad_();
  torch::Tensor loss(double x) const { return (w * x).pow(2).sum() + (b - x).pow(2).sum(); }
};

std::unique_ptr<torch::optim::Adam> libtorch_adam(Pair& p, double w_rate, double b_rate, double epsilon) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{p.w},
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(w_rate).eps(epsilon)));
  groups.emplace_back(std::vector<torch::Tensor>{p.b},
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(b_rate).eps(epsilon)));
  return std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(w_rate).eps(epsilon));
}

void expect_same(const Pair& a, const Pair& b) {
  EXPECT_TRUE(torch::equal(a.w, b.w));
  EXPECT_TRUE(torch::equal(a.b, b.b));
}

// Its steps are LibTorch's Adam's with the same groups and ε, bit for bit.
TEST(AdamOptimizer, StepsAsLibTorchsAdam) {
  Pair mine, reference;
  AdamOptimizer adam({{{mine.w}, 0.1}, {{mine.b}, 0.01}}, 1e-5);
  auto torch_adam = libtorch_adam(reference, 0.1, 0.01, 1e-5);
  for (double x : {0.5, -1.0, 2.0}) {
    adam.minimize(mine.loss(x), [&] { mine.w.grad().clamp_(-0.5, 0.5); });
    torch_adam->zero_grad();
    reference.loss(x).backward();
    reference.w.grad().clamp_(-0.5, 0.5);
    torch_adam->step();
  }
  expect_same(mine, reference);
}

// step_accumulated steps on the sum of the gradients of several backward
// passes, then clears them.
TEST(AdamOptimizer, StepsOnAccumulatedGradients) {
  Pair mine, reference;
  AdamOptimizer adam({{{mine.w}, 0.1}, {{mine.b}, 0.01}}, 1e-8);
  auto torch_adam = libtorch_adam(reference, 0.1, 0.01, 1e-8);
  for (int round = 0; round < 2; ++round) {
    for (double x : {0.5, -1.0}) {
      mine.loss(x).backward();
      reference.loss(x).backward();
    }
    adam.step_accumulated([&] { mine.w.grad().div_(2.0); });
    reference.w.grad().div_(2.0);
    torch_adam->step();
    torch_adam->zero_grad();
    EXPECT_FALSE(mine.w.grad().defined() && mine.w.grad().ne(0).any().item<bool>());
  }
  expect_same(mine, reference);
}

// anneal scales every group's configured rate, not the rate it was last set to.
TEST(AdamOptimizer, AnnealsEveryGroupFromItsConfiguredRate) {
  Pair mine, reference;
  AdamOptimizer adam({{{mine.w}, 0.1}, {{mine.b}, 0.01}}, 1e-8);
  auto torch_adam = libtorch_adam(reference, 0.025, 0.0025, 1e-8);
  adam.anneal(0.5);
  adam.anneal(0.25);
  adam.minimize(mine.loss(1.5));
  torch_adam->zero_grad();
  reference.loss(1.5).backward();
  torch_adam->step();
  expect_same(mine, reference);
}

}  // namespace
}  // namespace metarl
