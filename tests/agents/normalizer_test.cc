#include "agents/normalizer.h"

#include <gtest/gtest.h>

namespace metarl {
namespace {

TEST(RunningNormalizer, MatchesTheStatisticsOfAllRowsWhateverTheSplit) {
  torch::manual_seed(0);
  const auto data = torch::randn({1000, 3}, torch::kFloat64) * torch::tensor({1.0, 5.0, 0.1}, torch::kFloat64) + 2.0;
  RunningNormalizer whole(3), pieces(3);
  whole.update(data);
  pieces.update(data.narrow(0, 0, 17));
  pieces.update(data.narrow(0, 17, 500));
  pieces.update(data.narrow(0, 517, 483));
  EXPECT_TRUE(torch::allclose(whole.mean(), data.mean(0)));
  EXPECT_TRUE(torch::allclose(whole.var(), data.var(0, /*unbiased=*/false)));
  EXPECT_TRUE(torch::allclose(pieces.mean(), whole.mean(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(pieces.var(), whole.var(), 1e-10, 1e-12));
  EXPECT_DOUBLE_EQ(pieces.count(), 1000.0);
  const auto z = whole.normalize(data);
  EXPECT_NEAR(z.mean(0)[1].item<float>(), 0.0, 1e-5);
  EXPECT_NEAR(z.std(0, false)[1].item<float>(), 1.0, 1e-4);
}

TEST(RunningNormalizer, MaskedRowsAreIgnoredAndValuesClipped) {
  RunningNormalizer n(1, /*clip=*/2.0);
  n.update(torch::tensor({{1.0}, {3.0}, {1000.0}}), torch::tensor({1.0, 1.0, 0.0}));
  EXPECT_DOUBLE_EQ(n.mean()[0].item<double>(), 2.0);
  EXPECT_DOUBLE_EQ(n.var()[0].item<double>(), 1.0);
  EXPECT_NEAR(n.normalize(torch::tensor({3.0}))[0].item<float>(), 1.0, 1e-6);
  EXPECT_FLOAT_EQ(n.normalize(torch::tensor({100.0}))[0].item<float>(), 2.0f);
}

TEST(RunningNormalizer, AnInputScaleActsAsIfTheDataHadBeenScaled) {
  torch::manual_seed(1);
  const auto data = torch::randn({200, 3}, torch::kFloat64) * 30.0;
  const auto scale = torch::tensor({1.0, 0.01, 100.0}, torch::kFloat64);
  RunningNormalizer scaled(3), plain(3);
  scaled.set_input_scale(scale);
  scaled.update(data);
  plain.update(data * scale);
  EXPECT_TRUE(torch::allclose(scaled.mean(), plain.mean(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(scaled.var(), plain.var(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::equal(scaled.normalize(data), plain.normalize(data * scale)));
  // The identity passes values through unclipped, and with a scale only scales them.
  RunningNormalizer identity = RunningNormalizer::identity(3);
  const auto x = torch::tensor({{-250.0f, 0.5f, 1e4f}});
  EXPECT_TRUE(torch::equal(identity.normalize(x), x));
  identity.set_input_scale(scale);
  EXPECT_TRUE(torch::equal(identity.normalize(x), (x.to(torch::kFloat64) * scale).to(torch::kFloat32)));
  EXPECT_THROW(identity.set_input_scale(torch::ones({2})), c10::Error);
}

TEST(RunningNormalizer, StateRoundTrips) {
  RunningNormalizer a(2);
  a.update(torch::randn({10, 2}));
  RunningNormalizer b(2);
  b.load_state(a.state());
  const auto x = torch::randn({4, 2});
  EXPECT_TRUE(torch::equal(a.normalize(x), b.normalize(x)));
  RunningNormalizer wrong(3);
  EXPECT_THROW(wrong.load_state(a.state()), c10::Error);
}

}  // namespace
}  // namespace metarl
