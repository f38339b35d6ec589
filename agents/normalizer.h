// Running mean and variance of observations (or returns), in float64, with
// Chan et al.'s parallel update so that batch order does not matter.
// Normalised values are clipped to ±clip. Saved with the checkpoint.
#pragma once

#include <torch/torch.h>

#include "agents/communicator.h"

namespace metarl {

class RunningNormalizer {
 public:
  RunningNormalizer() = default;
  explicit RunningNormalizer(int64_t size, double clip = 10.0, double epsilon = 1e-8);

  // No centring, scaling or clipping: normalize(x) is x (until updated), a
  // base for set_input_scale.
  static RunningNormalizer identity(int64_t size);
  // Entries multiplied by `scale` [size] before update and normalize (not
  // saved with the state): a player trained on rescaled observations
  // (RoboSumo's force_scale) meeting others in an env that scales them
  // otherwise. Undefined: none.
  void set_input_scale(const torch::Tensor& scale);

  // rows: [M, size] (any float dtype). Rows with weight 0 in `mask` [M] are ignored.
  void update(const torch::Tensor& rows, const torch::Tensor& mask = {});
  // The same with the rows of every process of `processes` (each passing its
  // own): every process's statistics become those of all the rows.
  void update(const torch::Tensor& rows, const torch::Tensor& mask, const Communicator& processes);
  // (x - mean) / sqrt(var + eps), clipped; float32 out, same shape as x.
  torch::Tensor normalize(const torch::Tensor& x) const;
  // x / sqrt(var + eps), no centring (reward scaling).
  torch::Tensor scale(const torch::Tensor& x) const;

  const torch::Tensor& mean() const { return mean_; }
  const torch::Tensor& var() const { return var_; }
  double count() const { return count_; }

  // For checkpoints: [mean, var, count] tensors.
  std::vector<torch::Tensor> state() const;
  void load_state(const std::vector<torch::Tensor>& state);

 private:
  // x in float64, times the input scale when there is one.
  torch::Tensor scaled_input(const torch::Tensor& x) const;
  // The valid rows of an update, float64 [M, size].
  torch::Tensor update_rows(const torch::Tensor& rows, const torch::Tensor& mask) const;
  // Chan's merge of a batch of n rows with these statistics.
  void merge(const torch::Tensor& batch_mean, const torch::Tensor& batch_var, double n);

  torch::Tensor mean_, var_;  // float64 [size]
  double count_ = 0.0;
  double clip_ = 10.0;
  double epsilon_ = 1e-8;
  torch::Tensor input_scale_;  // float64 [size], or undefined
};

}  // namespace metarl
