#include "agents/compute_threads.h"

#include <dlfcn.h>

#include <mujoco/mujoco.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace metarl {

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up rather than linked: Debian's LibTorch reaches OpenBLAS through
  // libblas.so.3, which may be another BLAS (then there is nothing to set).
  using SetThreads = void (*)(int);
  if (auto* set_openblas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_openblas_threads(threads);
}

std::string numeric_environment() {
  using Text = char* (*)();
  using Count = int (*)();
  const auto blas_config = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  const auto blas_kernels = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const auto blas_threads = reinterpret_cast<Count>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  std::string out;
  out += std::string("libtorch: ") + TORCH_VERSION + "\n";
  out += std::string("mujoco: ") + mj_versionString() + "\n";
  out += std::string("blas: ") + (blas_config ? blas_config() : "not OpenBLAS") + "\n";
  if (blas_kernels) out += std::string("blas kernels: ") + blas_kernels() + "\n";
  out += "compute threads: " + std::to_string(torch::get_num_threads()) + "\n";
  if (blas_threads) out += "blas threads: " + std::to_string(blas_threads()) + "\n";
  return out;
}

}  // namespace metarl
