#include "agents/gae.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace metarl {
namespace {

// A [T, N] float tensor from rows written out as in the comments: rows[t][env].
torch::Tensor grid(const std::vector<std::vector<float>>& rows) {
  const int64_t steps = static_cast<int64_t>(rows.size());
  const int64_t n = static_cast<int64_t>(rows.front().size());
  auto out = torch::empty({steps, n}, torch::kFloat);
  auto a = out.accessor<float, 2>();
  for (int64_t t = 0; t < steps; ++t) {
    for (int64_t i = 0; i < n; ++i) a[t][i] = rows[t][i];
  }
  return out;
}

void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double tol = 1e-5) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual.to(torch::kDouble), expected.to(torch::kDouble), 0.0, tol))
      << "actual\n" << actual << "\nexpected\n" << expected;
}

// The batch of GaeTest.MatchesAHandComputation, T = 4 steps, N = 2 envs.
//   env 0: episode A (t = 0, 1) terminates at t = 1; episode B starts at t = 2
//          and is still running when the batch ends at t = 3 (bootstrap from next_values[3]).
//   env 1: episode C (t = 0, 1) is truncated at t = 1 (bootstrap from the value of its final
//          observation, next_values[1]); episode D is the single step t = 2 and terminates;
//          t = 3 is padding, holding garbage.
struct HandBatch {
  torch::Tensor rewards = grid({{1.0f, 0.5f}, {2.0f, -1.0f}, {0.5f, 2.0f}, {1.0f, 9.0f}});
  torch::Tensor values = grid({{0.5f, 1.0f}, {1.0f, 2.0f}, {2.0f, 0.5f}, {1.5f, 7.0f}});
  // next_values[t] = V(s_{t+1}); after a termination the entry is garbage (8.0, 4.0) that must be ignored.
  torch::Tensor next_values = grid({{1.0f, 2.0f}, {8.0f, 3.0f}, {1.5f, 4.0f}, {2.5f, 6.0f}});
  torch::Tensor terminated = grid({{0, 0}, {1, 0}, {0, 1}, {0, 0}});
  torch::Tensor episode_end = grid({{0, 0}, {1, 1}, {0, 1}, {0, 0}});
  torch::Tensor masks = grid({{1, 1}, {1, 1}, {1, 1}, {1, 0}});
};

TEST(GaeTest, MatchesAHandComputation) {
  const HandBatch b;
  const double g = 0.9, lam = 0.5;
  const double gl = g * lam;  // 0.45

  // env 0, backwards from t = 3.
  const double d3_0 = 1.0 + g * 2.5 - 1.5;  // 1.75: bootstraps from next_values at the batch end
  const double a3_0 = d3_0;                 // nothing after the batch
  const double d2_0 = 0.5 + g * 1.5 - 2.0;  // -0.15
  const double a2_0 = d2_0 + gl * a3_0;     // 0.6375
  const double d1_0 = 2.0 + 0.0 - 1.0;      // 1.0: terminal, the garbage 8.0 is not used
  const double a1_0 = d1_0;                 // episode end: does not see episode B
  const double d0_0 = 1.0 + g * 1.0 - 0.5;  // 1.4
  const double a0_0 = d0_0 + gl * a1_0;     // 1.85

  // env 1.
  const double a3_1 = 0.0;                   // padding
  const double d2_1 = 2.0 + 0.0 - 0.5;       // 1.5: terminal, the garbage 4.0 is not used
  const double a2_1 = d2_1;                  // episode end
  const double d1_1 = -1.0 + g * 3.0 - 2.0;  // -0.3: truncated, bootstraps from V(final obs) = 3.0
  const double a1_1 = d1_1;                  // episode end: does not see episode D
  const double d0_1 = 0.5 + g * 2.0 - 1.0;   // 1.3
  const double a0_1 = d0_1 + gl * a1_1;      // 1.165

  const auto expected = torch::tensor({a0_0, a0_1, a1_0, a1_1, a2_0, a2_1, a3_0, a3_1}, torch::kDouble).reshape({4, 2});
  const auto a = gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, b.masks, g, lam);
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  expect_close(a, expected);
  // The numbers above, spelled out once more.
  EXPECT_NEAR(a[0][0].item<double>(), 1.85, 1e-6);
  EXPECT_NEAR(a[2][0].item<double>(), 0.6375, 1e-6);
  EXPECT_NEAR(a[0][1].item<double>(), 1.165, 1e-6);
}

// A batch with no bootstrapping anywhere: every episode ends in a termination
// or is followed by padding, and next_values[t] = values[t + 1] inside episodes.
struct NoBootstrapBatch {
  torch::Tensor rewards, values, next_values, terminated, episode_end, masks;
};

NoBootstrapBatch no_bootstrap_batch() {
  torch::manual_seed(7);
  const int64_t steps = 7;
  NoBootstrapBatch b;
  b.rewards = torch::randn({steps, 3});
  b.values = torch::randn({steps, 3});
  // env 0 terminates at t = 2 and t = 6; env 1 at t = 4, then padding;
  // env 2 at t = 0, 3 and 6.
  b.terminated = grid({{0, 0, 1}, {0, 0, 0}, {1, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 0, 0}, {1, 0, 1}});
  b.episode_end = b.terminated.clone();
  b.masks = grid({{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 0, 1}, {1, 0, 1}});
  // V(s_{t+1}) is the next row's value inside an episode; after a termination it is garbage.
  b.next_values = torch::cat({b.values.slice(0, 1), torch::full({1, 3}, 123.0f)}, 0);
  b.next_values = torch::where(b.terminated > 0, torch::full_like(b.values, -77.0f), b.next_values);
  return b;
}

TEST(GaeTest, LambdaOneEqualsDiscountedReturnsMinusValuesWithoutBootstrap) {
  const auto b = no_bootstrap_batch();
  const double g = 0.95;
  const auto a = gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, b.masks, g, 1.0);
  const auto r = discounted_returns(b.rewards, b.episode_end, b.masks, g);
  expect_close(a, (r - b.values) * b.masks);
}

TEST(GaeTest, LambdaZeroEqualsTheOneStepTdError) {
  auto b = no_bootstrap_batch();
  // Add truncations so that bootstrapping takes part: env 0's first episode is
  // truncated (not terminated) at t = 2 with V(final obs) = 0.25.
  b.terminated[2][0] = 0.0f;
  b.next_values[2][0] = 0.25f;
  const double g = 0.9;
  const auto a = gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, b.masks, g, 0.0);
  const auto td = (b.rewards + g * (1 - b.terminated) * b.next_values - b.values) * b.masks;
  expect_close(a, td);
  EXPECT_NEAR(a[2][0].item<double>(), b.rewards[2][0].item<double>() + g * 0.25 - b.values[2][0].item<double>(), 1e-6);
}

TEST(GaeTest, PaddingStepsAreZeroAndDoNotLeakIntoRealSteps) {
  const HandBatch b;
  auto other = HandBatch();
  // Different garbage in the padding step (env 1, t = 3), and a padding step that
  // claims to continue the episode before it: still nothing may leak.
  other.rewards[3][1] = -500.0f;
  other.values[3][1] = 1e4f;
  other.next_values[3][1] = 42.0f;
  other.episode_end[2][1] = 0.0f;
  other.terminated[2][1] = 0.0f;
  other.next_values[2][1] = 0.0f;  // V(s_3) for the "continuing" episode
  const auto a = gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, b.masks, 0.99, 0.95);
  const auto c = gae_advantages(other.rewards, other.values, other.next_values, other.terminated,
                                other.episode_end, other.masks, 0.99, 0.95);
  EXPECT_EQ(a[3][1].item<float>(), 0.0f);
  EXPECT_EQ(c[3][1].item<float>(), 0.0f);
  expect_close(a.slice(0, 0, 3), c.slice(0, 0, 3));
  // A whole column of padding is all zeros.
  const auto none = torch::zeros({4, 2});
  const auto z = gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, none, 0.99, 0.95);
  EXPECT_EQ(torch::count_nonzero(z).item<int64_t>(), 0);
}

TEST(GaeTest, ResultIsDetachedAndFlagsMayBeBool) {
  const HandBatch b;
  const auto values = b.values.clone().requires_grad_(true);
  const auto next_values = b.next_values.clone().requires_grad_(true);
  const auto a = gae_advantages(b.rewards, values, next_values, b.terminated, b.episode_end, b.masks, 0.9, 0.5);
  EXPECT_FALSE(a.requires_grad());
  const auto from_bool = gae_advantages(b.rewards, b.values, b.next_values, b.terminated.to(torch::kBool),
                                        b.episode_end.to(torch::kBool), b.masks.to(torch::kBool), 0.9, 0.5);
  expect_close(from_bool, a, 0.0);
}

TEST(GaeTest, RejectsMismatchedShapesWithAMessageNamingThem) {
  const HandBatch b;
  const auto wrong = torch::zeros({4, 3});
  try {
    gae_advantages(b.rewards, wrong, b.next_values, b.terminated, b.episode_end, b.masks, 0.9, 0.5);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("gae_advantages"), std::string::npos) << message;
    EXPECT_NE(message.find("values has shape [4, 3]"), std::string::npos) << message;
    EXPECT_NE(message.find("rewards has shape [4, 2]"), std::string::npos) << message;
  }
  EXPECT_THROW(gae_advantages(b.rewards.reshape({8}), b.values.reshape({8}), b.next_values.reshape({8}),
                              b.terminated.reshape({8}), b.episode_end.reshape({8}), b.masks.reshape({8}), 0.9, 0.5),
               c10::Error);
  EXPECT_THROW(gae_advantages(b.rewards, b.values, b.next_values, b.terminated, b.episode_end, b.masks, 1.5, 0.5),
               c10::Error);
}

TEST(DiscountedReturnsTest, MatchesAHandComputationRestartingAtEpisodeEnds) {
  // T = 5, N = 2, gamma = 0.5.
  //   env 0: rewards 1 2 3 4 5; the first episode ends at t = 1, the second is cut by the batch end.
  //   env 1: rewards 4 0 8 2 (7 = padding garbage); one episode ending at t = 3.
  const auto rewards = grid({{1, 4}, {2, 0}, {3, 8}, {4, 2}, {5, 7}});
  const auto episode_end = grid({{0, 0}, {1, 0}, {0, 0}, {0, 1}, {0, 0}});
  const auto masks = grid({{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 0}});
  const double g = 0.5;

  const double r4_0 = 5.0;               // the batch ends
  const double r3_0 = 4.0 + g * r4_0;    // 6.5
  const double r2_0 = 3.0 + g * r3_0;    // 6.25
  const double r1_0 = 2.0;               // episode end: does not see t = 2
  const double r0_0 = 1.0 + g * r1_0;    // 2.0
  const double r4_1 = 0.0;               // padding
  const double r3_1 = 2.0;               // episode end
  const double r2_1 = 8.0 + g * r3_1;    // 9.0
  const double r1_1 = 0.0 + g * r2_1;    // 4.5
  const double r0_1 = 4.0 + g * r1_1;    // 6.25

  const auto expected =
      torch::tensor({r0_0, r0_1, r1_0, r1_1, r2_0, r2_1, r3_0, r3_1, r4_0, r4_1}, torch::kDouble).reshape({5, 2});
  const auto r = discounted_returns(rewards, episode_end, masks, g);
  EXPECT_EQ(r.sizes(), rewards.sizes());
  EXPECT_FALSE(r.requires_grad());
  expect_close(r, expected, 1e-6);
  EXPECT_FLOAT_EQ(r[0][1].item<float>(), 6.25f);
}

TEST(DiscountedReturnsTest, KeepsFloat64AndRejectsMismatchedShapes) {
  const auto rewards = torch::ones({3, 1}, torch::kDouble);
  const auto r = discounted_returns(rewards, torch::zeros({3, 1}), torch::ones({3, 1}), 0.5);
  EXPECT_EQ(r.scalar_type(), torch::kDouble);
  expect_close(r, torch::tensor({1.75, 1.5, 1.0}, torch::kDouble).reshape({3, 1}), 1e-12);
  try {
    discounted_returns(rewards, torch::zeros({3, 2}), torch::ones({3, 1}), 0.5);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("discounted_returns: episode_end has shape [3, 2]"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace metarl
