#include "agents/batch_tensors.h"

namespace metarl {
namespace {

// from_blob never takes ownership; the VectorEnv keeps the memory alive.
torch::Tensor view(const void* data, std::vector<int64_t> shape, torch::Dtype dtype) {
  return torch::from_blob(const_cast<void*>(data), shape, torch::TensorOptions().dtype(dtype));
}

}  // namespace

BatchTensors batch_tensors(const VectorEnv& env) {
  const int64_t n = env.num_envs();
  BatchTensors t;
  t.observations = view(env.observations(), {n, env.obs_dim()}, torch::kFloat32);
  t.rewards = view(env.rewards(), {n}, torch::kFloat32);
  // uint8 0/1 has the same memory layout as torch's bool.
  t.terminated = view(env.terminated(), {n}, torch::kBool);
  t.truncated = view(env.truncated(), {n}, torch::kBool);
  t.final_observations = view(env.final_observations(), {n, env.obs_dim()}, torch::kFloat32);
  t.infos = view(env.infos(), {n, env.info_dim()}, torch::kFloat32);
  return t;
}

}  // namespace metarl
