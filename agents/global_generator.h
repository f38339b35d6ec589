// Torch's global generator kept as it was over a scope. Building a network
// draws its initial weights from that generator, so code that builds one
// as a side matter (loading a player whose weights are then overwritten, a
// value function for an evaluation) would otherwise change every later draw
// of the process, e.g. how the learner built after it is initialised.
#pragma once

#include <cstdint>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace metarl {

class GlobalGeneratorScope {
 public:
  // Keeps the state; draws inside the scope continue from it.
  GlobalGeneratorScope() : generator_(at::detail::getDefaultCPUGenerator()), state_(generator_.get_state()) {}
  // Keeps the state; draws inside the scope come from `seed`.
  explicit GlobalGeneratorScope(uint64_t seed) : GlobalGeneratorScope() { generator_.set_current_seed(seed); }
  ~GlobalGeneratorScope() { generator_.set_state(state_); }
  GlobalGeneratorScope(const GlobalGeneratorScope&) = delete;
  GlobalGeneratorScope& operator=(const GlobalGeneratorScope&) = delete;

 private:
  at::Generator generator_;
  torch::Tensor state_;
};

}  // namespace metarl
