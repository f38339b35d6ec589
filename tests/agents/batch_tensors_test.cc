#include "agents/batch_tensors.h"

#include <gtest/gtest.h>

namespace metarl {
namespace {

TEST(BatchTensors, ViewsAliasTheVectorEnvBuffersWithoutCopying) {
  VectorEnv venv("HalfCheetah", 4, 2, Options::parse("max_episode_steps=2"));
  venv.reset();
  const BatchTensors t = batch_tensors(venv);
  EXPECT_EQ(t.observations.data_ptr(), static_cast<const void*>(venv.observations()));
  EXPECT_EQ(t.observations.sizes(), (std::vector<int64_t>{4, 17}));
  EXPECT_EQ(t.infos.sizes(), (std::vector<int64_t>{4, venv.info_dim()}));

  const auto before = t.observations.clone();
  venv.step(std::vector<float>(4 * 6, 0.5f));
  EXPECT_FALSE(torch::equal(before, t.observations));  // the view sees the new step
  EXPECT_FLOAT_EQ(t.rewards[2].item<float>(), venv.rewards()[2]);
  EXPECT_FALSE(t.truncated.any().item<bool>());
  venv.step(std::vector<float>(4 * 6, 0.5f));
  EXPECT_TRUE(t.truncated.all().item<bool>());  // uint8 flags read as bool
  EXPECT_FALSE(t.terminated.any().item<bool>());
}

}  // namespace
}  // namespace metarl
