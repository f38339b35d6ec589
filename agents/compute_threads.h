// How many threads the learners' linear algebra may use.
#pragma once

#include <string>

namespace metarl {

// Sets LibTorch's intra-op threads and, when the BLAS behind LibTorch is
// OpenBLAS, OpenBLAS's own thread pool too: at::set_num_threads does not
// reach it, and with two runs of --threads 1 on two cores each one's
// OpenBLAS still ran two threads that yield-spun against the other run
// (a tenth of the CPU in sched_yield, docs/PERFORMANCE.md).
void set_compute_threads(int threads);

// What the learners' floating-point results depend on besides the seed and
// the configuration, as lines "key: value": the LibTorch and MuJoCo versions,
// the BLAS behind LibTorch and the kernels it chose for this CPU, and the
// compute threads (float sums are split by thread). The environments' worker
// threads are not in it: their results are the same for any count.
std::string numeric_environment();

}  // namespace metarl
