//===- neurona/Runtime/Half.h - f16 and bf16 conversions --------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// IEEE binary16 (numpy's float16, ONNX's FLOAT16) and bfloat16 (the upper
// half of a binary32; ml_dtypes' bfloat16, ONNX's BFLOAT16) held as their
// 16-bit patterns, converted to and from float where the runtime reads or
// prints them. Widening is exact; narrowing rounds to nearest, ties to even,
// with overflow to infinity and NaN kept NaN (IEEE 754, numpy's astype,
// ml_dtypes). No LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_HALF_H
#define NEURONA_RUNTIME_HALF_H

#include <cstdint>
#include <cstring>

namespace neurona {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float floatFromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// The float value of binary16 pattern `h` (exact).
inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0x1f) // infinity or NaN (the payload is kept)
    return floatFromBits(sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0) { // zero or subnormal: mantissa * 2^-24, exact in float
    float magnitude = float(mantissa) * floatFromBits(0x33800000);
    return sign ? -magnitude : magnitude;
  }
  return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// `f` rounded to binary16, to nearest with ties to even.
inline uint16_t floatToHalf(float f) {
  uint32_t u = floatBits(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  uint32_t magnitude = u & 0x7fffffff;
  if (magnitude > 0x7f800000) // NaN: quiet, payload's top bits kept
    return uint16_t(sign | 0x7e00 | ((magnitude >> 13) & 0x3ff));
  if (magnitude >= 0x477ff000) // rounds to 65520 or above: infinity
    return uint16_t(sign | 0x7c00);
  if (magnitude < 0x38800000) {
    // Below the smallest normal (2^-14): a multiple of 2^-24. Adding 0.5
    // makes the float adder round the scaled value at the integer position,
    // ties to even, which is the subnormal's rounding.
    float scaled = floatFromBits(magnitude) + 0.5f;
    return uint16_t(sign | (floatBits(scaled) - floatBits(0.5f)));
  }
  // Normal: drop 13 mantissa bits, rounding to nearest even; a carry into
  // the exponent is the correct next binade.
  uint32_t lsb = (magnitude >> 13) & 1;
  uint32_t rounded = magnitude + 0xfff + lsb - (uint32_t(112) << 23);
  return uint16_t(sign | (rounded >> 13));
}

/// The float value of bfloat16 pattern `b` (exact).
inline float bfloat16ToFloat(uint16_t b) {
  return floatFromBits(uint32_t(b) << 16);
}

/// `f` rounded to bfloat16, to nearest with ties to even.
inline uint16_t floatToBfloat16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7fffffff) > 0x7f800000) // NaN: quiet, sign kept
    return uint16_t((u >> 16) | 0x40);
  uint32_t lsb = (u >> 16) & 1;
  return uint16_t((u + 0x7fff + lsb) >> 16);
}

} // namespace neurona

#endif // NEURONA_RUNTIME_HALF_H
