// The "what the compiler gives for free" baselines: each kernel's contract as
// a plain C++ loop, compiled with -O3 -march=native (bench/CMakeLists.txt),
// plus Eigen (one pass, fixed-size accumulators) for MinMax. bench.cc checks at start-up that
// each produces the reference's results, so the comparison is like for like.
#ifndef SIMDQUANT_BENCH_PLAIN_LOOPS_H_
#define SIMDQUANT_BENCH_PLAIN_LOOPS_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/simdquant.h"

namespace simdquant {
namespace plain {

MinMaxResult MinMax(const float* x, size_t n);
MinMaxResult EigenMinMax(const float* x, size_t n);
float AbsMax(const float* x, size_t n);

template <typename T>
void Quantize(const float* x, size_t n, const QuantParams& p, T* q,
              QuantizeMode mode);
template <typename T>
void Dequantize(const T* q, size_t n, const QuantParams& p, float* x);

ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode);

}  // namespace plain
}  // namespace simdquant

#endif  // SIMDQUANT_BENCH_PLAIN_LOOPS_H_
