#!/usr/bin/env python3
"""Single-thread sgemm speed of the system OpenBLAS, and which kernels it chose.

The metric's shape in a MAML-TRPO iteration: [4000 x 100] . [100 x 100].
Compare the kernels OpenBLAS picks by itself with named ones
(docs/PERFORMANCE.md, "OpenBLAS's kernels on unknown CPUs"):
    /usr/bin/python3 scripts/bench_sgemm.py
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 scripts/bench_sgemm.py
"""
import ctypes
import time

import numpy as np

LIBRARY = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"
ROW_MAJOR, NO_TRANSPOSE = 101, 111

blas = ctypes.CDLL(LIBRARY)
blas.openblas_set_num_threads(1)
blas.openblas_get_corename.restype = ctypes.c_char_p
m, n, k = 4000, 100, 100
a = np.random.rand(m, k).astype(np.float32)
b = np.random.rand(k, n).astype(np.float32)
c = np.zeros((m, n), np.float32)


def pointer(x):
    return x.ctypes.data_as(ctypes.c_void_p)


start, repeats = time.time(), 0
while time.time() - start < 3.0:
    blas.cblas_sgemm(ROW_MAJOR, NO_TRANSPOSE, NO_TRANSPOSE, m, n, k, ctypes.c_float(1.0), pointer(a), k, pointer(b),
                     n, ctypes.c_float(0.0), pointer(c), n)
    repeats += 1
seconds = (time.time() - start) / repeats
print(f"kernels {blas.openblas_get_corename().decode()}  sgemm {2 * m * n * k / seconds / 1e9:.1f} GFLOPS")
