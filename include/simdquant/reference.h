// Scalar reference implementation of every simdquant kernel: plain C++, one
// element at a time, written to be obviously correct rather than fast. It is
// the oracle of the test suite; users can check their own builds against it.
// Same contracts and same argument checks as simdquant.h; the library builds
// this file without auto-vectorization so that it stays scalar.
#ifndef SIMDQUANT_REFERENCE_H_
#define SIMDQUANT_REFERENCE_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/simdquant.h"

namespace simdquant {
namespace reference {

// One element: the definition every target reproduces bit for bit.
// Requires valid params (ValidateParams); does not check them.
int32_t QuantizeOne(float x, const QuantParams& p, QuantizeMode mode);
float DequantizeOne(int32_t q, const QuantParams& p);

MinMaxResult MinMax(const float* x, size_t n);
float AbsMax(const float* x, size_t n);

void Quantize(const float* x, size_t n, const QuantParams& p, uint8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, uint16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);

void Dequantize(const uint8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const uint16_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int16_t* q, size_t n, const QuantParams& p, float* x);

// Sorts a copy of x and interpolates as PercentileRange documents.
MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct);

// Sums accumulated in the order simdquant.h's MeasureError documents.
ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode = QuantizeMode::kDivide);

}  // namespace reference
}  // namespace simdquant

#endif  // SIMDQUANT_REFERENCE_H_
