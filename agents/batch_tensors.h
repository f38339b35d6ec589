// Tensor views of a VectorEnv's batch buffers, without copying.
//
// The views alias the VectorEnv's memory: they change when the env steps and
// must not outlive it. Clone them to keep a step's values.
#pragma once

#include <torch/torch.h>

#include "envs/vector_env.h"

namespace metarl {

struct BatchTensors {
  torch::Tensor observations;        // [N, obs_dim] float32
  torch::Tensor rewards;             // [N] float32
  torch::Tensor terminated;          // [N] bool
  torch::Tensor truncated;           // [N] bool
  torch::Tensor final_observations;  // [N, obs_dim] float32, valid where an episode ended
  torch::Tensor infos;               // [N, info_dim] float32
};

BatchTensors batch_tensors(const VectorEnv& env);

}  // namespace metarl
