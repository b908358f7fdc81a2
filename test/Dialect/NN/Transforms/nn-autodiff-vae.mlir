// RUN: %neurona-opt %s -nn-autodiff="loss=binary_cross_entropy reduction=sum kl=0.5:z optimizer=adam" | FileCheck %s
// RUN: not %neurona-opt %s -nn-autodiff="loss=binary_cross_entropy kl=0.5:nowhere" 2>&1 | FileCheck %s --check-prefix=BADLAYER
// RUN: not %neurona-opt %s -nn-autodiff="loss=binary_cross_entropy kl=z" 2>&1 | FileCheck %s --check-prefix=BADKL
// RUN: not %neurona-opt %s -nn-autodiff="loss=binary_cross_entropy reduction=max" 2>&1 | FileCheck %s --check-prefix=BADREDUCTION
// RUN: not %neurona-opt %s -nn-autodiff="loss=cross_entropy reduction=sum" 2>&1 | FileCheck %s --check-prefix=BADCE

// A VAE's objective: the reconstruction loss summed over each sample's 4
// values (the mean times 4) plus 0.5 KL(N(mu, exp(logvar)) || N(0, I)),
// -0.5 * mean over the batch of sum over the units of
// (1 + logvar - mu^2 - exp(logvar)). The copied random_normal takes rng, so
// z is sampled; the KL term reads mu and logvar directly.
// CHECK-LABEL: func.func @gradients
// CHECK-SAME:  %[[RNG:arg[0-9]+]]: tensor<2xi64> {nn.name = "rng", nn.role = "hyper"}
// CHECK:      %[[MU:.+]] = nn.add %{{.+}}, %{{.+}} : tensor<?x2xf32>, tensor<2xf32>
// CHECK:      %[[LV:.+]] = nn.add %{{.+}}, %{{.+}} : tensor<?x2xf32>, tensor<2xf32>
// CHECK:      nn.random_normal %[[MU]], %[[RNG]] stream = 0
// CHECK:      %[[Y:.+]] = nn.sigmoid
// CHECK:      %[[BCE:.+]] = nn.binary_cross_entropy %[[Y]], %{{.+}} : tensor<?x4xf32>
// CHECK:      %[[FOUR:.+]] = nn.constant dense<4.000000e+00> : tensor<f32>
// CHECK:      %[[SUM:.+]] = nn.mul %[[FOUR]], %[[BCE]]
// CHECK:      %[[ONE:.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK:      %[[T0:.+]] = nn.add %[[ONE]], %[[LV]]
// CHECK:      %[[MU2:.+]] = nn.mul %[[MU]], %[[MU]]
// CHECK:      %[[T1:.+]] = nn.sub %[[T0]], %[[MU2]]
// CHECK:      %[[E:.+]] = nn.exp %[[LV]]
// CHECK:      %[[T2:.+]] = nn.sub %[[T1]], %[[E]]
// CHECK:      %[[R:.+]] = nn.reduce_sum %[[T2]] axes = [1] : tensor<?x2xf32>
// CHECK:      %[[M:.+]] = nn.reduce_mean %[[R]] axes = [0] : tensor<?xf32>
// CHECK:      %[[C:.+]] = nn.constant dense<-2.500000e-01> : tensor<f32>
// CHECK:      %[[KL:.+]] = nn.mul %[[C]], %[[M]]
// CHECK:      %[[TOTAL:.+]] = nn.add %[[SUM]], %[[KL]]
// CHECK:      return %[[TOTAL]],
// CHECK-LABEL: func.func @train_step
// CHECK:      nn.random_normal %{{.+}}, %{{.+}} stream = 0
// CHECK:      nn.exp
// CHECK:      nn.adam_update

// BADLAYER: error: nn-autodiff: kl term of 'nowhere': forward has no ops located at 'nowhere.mu' and 'nowhere.logvar'
// BADKL: error: nn-autodiff: bad kl term 'z' (expected COEFF:LAYER with COEFF >= 0)
// BADREDUCTION: error: nn-autodiff: unknown reduction 'max' (expected mean or sum)
// BADCE: error: nn-autodiff: reduction=sum is for binary_cross_entropy, mse and mae; cross_entropy is one value per sample
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %wm: tensor<4x2xf32> {nn.role = "param", nn.name = "z.mu.weight"},
                   %bm: tensor<2xf32> {nn.role = "param", nn.name = "z.mu.bias"},
                   %wv: tensor<4x2xf32> {nn.role = "param", nn.name = "z.logvar.weight"},
                   %bv: tensor<2xf32> {nn.role = "param", nn.name = "z.logvar.bias"},
                   %wd: tensor<2x4xf32> {nn.role = "param", nn.name = "dense0.weight"})
    -> (tensor<?x4xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %wm : tensor<?x4xf32>, tensor<4x2xf32>
  %mu = nn.add %0, %bm : tensor<?x2xf32>, tensor<2xf32> loc("z.mu"("vae.nn":3:3))
  %1 = nn.matmul %x, %wv : tensor<?x4xf32>, tensor<4x2xf32>
  %lv = nn.add %1, %bv : tensor<?x2xf32>, tensor<2xf32> loc("z.logvar"("vae.nn":3:3))
  %eps = nn.random_normal %mu stream = 0 : tensor<?x2xf32>
  %half = nn.constant dense<5.000000e-01> : tensor<f32>
  %2 = nn.mul %half, %lv : tensor<f32>, tensor<?x2xf32>
  %3 = nn.exp %2 : tensor<?x2xf32>
  %4 = nn.mul %3, %eps : tensor<?x2xf32>, tensor<?x2xf32>
  %z = nn.add %mu, %4 : tensor<?x2xf32>, tensor<?x2xf32> loc("z"("vae.nn":3:3))
  %5 = nn.matmul %z, %wd : tensor<?x2xf32>, tensor<2x4xf32>
  %6 = nn.sigmoid %5 : tensor<?x4xf32>
  return %6 : tensor<?x4xf32>
}
