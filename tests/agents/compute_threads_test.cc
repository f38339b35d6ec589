#include "agents/compute_threads.h"

#include <dlfcn.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace metarl {
namespace {

TEST(ComputeThreads, SetsLibTorchAndOpenBlasThreads) {
  using GetThreads = int (*)();
  const auto openblas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  const int before = torch::get_num_threads();
  for (int threads : {1, 2}) {
    set_compute_threads(threads);
    EXPECT_EQ(torch::get_num_threads(), threads);
    // OpenBLAS's pool, which at::set_num_threads leaves alone (absent with another BLAS).
    if (openblas_threads != nullptr) {
      EXPECT_EQ(openblas_threads(), threads);
    }
  }
  set_compute_threads(before);
}

}  // namespace
}  // namespace metarl
