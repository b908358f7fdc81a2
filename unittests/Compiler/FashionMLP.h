//===- FashionMLP.h - The Fashion-MNIST MLP as DSL source -------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The model the parser and DSL import tests share. Tests check source
// locations in it (the model on line 2, its first dense layer at 4:3), so
// edit it together with them.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_UNITTESTS_COMPILER_FASHIONMLP_H
#define NEURONA_UNITTESTS_COMPILER_FASHIONMLP_H

namespace neurona {
namespace test {

inline constexpr const char *kFashion = R"(# Fashion-MNIST
model fashion_mlp {
  input x: [784]
  dense(128, activation=relu)
  dense(10)
  output logits
}

train {
  loss = cross_entropy
  optimizer = adam(lr=0.001)
  batch = 64
  epochs = 5
  metrics = [accuracy]
}
)";

} // namespace test
} // namespace neurona

#endif // NEURONA_UNITTESTS_COMPILER_FASHIONMLP_H
