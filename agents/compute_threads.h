// How many threads the learners' linear algebra may use.
#pragma once

namespace metarl {

// Sets LibTorch's intra-op threads and, when the BLAS behind LibTorch is
// OpenBLAS, OpenBLAS's own thread pool too: at::set_num_threads does not
// reach it, and with two runs of --threads 1 on two cores each one's
// OpenBLAS still ran two threads that yield-spun against the other run
// (a tenth of the CPU in sched_yield, docs/PERFORMANCE.md).
void set_compute_threads(int threads);

}  // namespace metarl
