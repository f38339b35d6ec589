#include "agents/compute_threads.h"

#include <dlfcn.h>

#include <torch/torch.h>

namespace metarl {

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up rather than linked: Debian's LibTorch reaches OpenBLAS through
  // libblas.so.3, which may be another BLAS (then there is nothing to set).
  using SetThreads = void (*)(int);
  if (auto* set_openblas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_openblas_threads(threads);
}

}  // namespace metarl
