//===- Passes.td - target code generation passes -----------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CODEGEN_PASSES_TD
#define NEURONA_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseElementwise : Pass<"neurona-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg producers into consumers that read "
                "each element once";
  let description = [{
    Upstream producer/consumer fusion of elementwise `linalg.generic`s (bias
    adds, activations and their gradients become one loop), restricted to
    consumers whose indexing map for the fused operand is a permutation of
    their loops: an activation is never fused into the matmul that reads
    it, which would recompute it once per output column and hide the
    contraction from `neurona-cpu-tile-contractions`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def CPUTileContractions
    : Pass<"neurona-cpu-tile-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile, peel and vectorize linalg contractions into register "
                "blocked outer-product kernels";
  let description = [{
    Every 2-D contraction on tensors (a `linalg.matmul`, or a
    `linalg.generic` whose body is a multiply-accumulate and whose maps are a
    matmul's, transposed operands included) is rewritten into

    1. cache tiles (`cache-tile-m/n/k`) when its operands do not fit the
       core's L2 cache; with enough static rows, B is first packed into
       `N / register-tile-n` contiguous strips of `K x register-tile-n`
       (`pack-bytes`), so a register tile streams its B strip from
       consecutive cache lines instead of rows N floats apart;
    2. a register tile of `register-tile-m` rows by `register-tile-n`
       columns stepping one `k` at a time, innermost. The `m` and `n` loops
       are peeled, so full tiles are static and only the last partial tile
       of each dimension is masked;
    3. the rows left over below `register-tile-m` (every row of a batch-1
       call) are computed one at a time, `remainder-tile-n` columns wide;
    4. each tile is vectorized to one `vector.contract`, and the accumulator
       tile is hoisted out of the `k` loop into registers.

    With `parallel-rows`, an outermost `scf.forall` over chunks of that many
    rows comes first; each chunk is computed by one thread with the same
    tiles whatever the thread count.

    The result stays on tensors, so one-shot bufferization places every
    buffer; `neurona-cpu-lower-vectors` later turns each contraction into
    broadcast FMAs. Contractions this pass cannot vectorize are left as
    they are and lower to loops.

    ```mlir
    // register-tile-m=8 register-tile-n=32: 8 broadcasts of A, 2 loads of B
    // and 16 FMAs on zmm registers per k step.
    %r = linalg.matmul ins(%a, %b : tensor<?x784xf32>, tensor<784x128xf32>)
                       outs(%c : tensor<?x128xf32>) -> tensor<?x128xf32>
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of one vector register (16: AVX-512, 8: AVX2)">,
    Option<"registerTileM", "register-tile-m", "int64_t", /*default=*/"8",
           "Rows of the accumulator tile held in registers">,
    Option<"registerTileN", "register-tile-n", "int64_t", /*default=*/"32",
           "Columns of the accumulator tile (a multiple of the vector width)">,
    Option<"remainderTileN", "remainder-tile-n", "int64_t", /*default=*/"128",
           "Columns of the one-row tile that computes leftover rows">,
    Option<"cacheTileM", "cache-tile-m", "int64_t", /*default=*/"64",
           "Rows of a cache tile">,
    Option<"cacheTileN", "cache-tile-n", "int64_t", /*default=*/"128",
           "Columns of a cache tile">,
    Option<"cacheTileK", "cache-tile-k", "int64_t", /*default=*/"256",
           "Reduction depth of a cache tile">,
    Option<"cacheBytes", "cache-bytes", "int64_t", /*default=*/"524288",
           "Operand bytes (B panel) above which contractions are cache tiled">,
    Option<"packBytes", "pack-bytes", "int64_t", /*default=*/"524288",
           "B panel bytes above which B is copied once per call into "
           "contiguous strips one register tile wide (0: never)">,
    Option<"packMinRows", "pack-min-rows", "int64_t", /*default=*/"24",
           "Fewest (static) rows that amortize packing B">,
    Option<"parallelRows", "parallel-rows", "int64_t", /*default=*/"0",
           "Rows of the chunks an scf.forall hands to threads (0: no "
           "thread level); fixed, so results do not depend on the thread "
           "count">,
    Option<"dotProductRows", "dot-product-rows", "int64_t", /*default=*/"0",
           "From this many rows on, a deep product with B stored N x K "
           "transposes B for the outer-product kernels instead of taking "
           "dot products (a dynamic row count chooses at run time; 0: dot "
           "products at every row count)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def CPUVectorizeElementwise
    : Pass<"neurona-cpu-vectorize-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Vectorize (and share among threads) the linalg loops that "
                "are parallel along their output's innermost dimension, "
                "and row reductions in a fixed order";
  let description = [{
    Every `linalg.generic` on tensors whose indexing maps are projected
    permutations and whose first result's innermost dimension is a parallel
    loop that each operand either reads contiguously or does not read
    (elementwise ops with broadcasts, fused activation gradients, the
    optimizer update, dropout masks; column sums such as bias gradients,
    which reduce an outer dimension) is rewritten into

    1. one loop over the dimensions that every operand stores contiguously
       (`linalg::collapseOpIterationDims`), unless the body reads
       `linalg.index` or the innermost dimension is whole vectors already;
       each op gets an init of its own (no copy at bufferization);
    2. with `parallel-elements`, an outermost `scf.forall` over fixed chunks
       of the outermost parallel dimension of about that many elements,
       only where there are at least two chunks at batch 64;
    3. tiles of one `vector-width` vector along that innermost dimension
       (every other loop in steps of one, reductions in their order), the
       last partial tile peeled off and masked;
    4. vector code through `linalg::vectorize`.

    Each element is computed by the same operations in the same order as by
    the scalar loop, so results do not depend on the vector width or the
    thread count.

    Reductions along the inputs' innermost dimension whose results are f32
    accumulators combined with one term each (`arith.addf`,
    `arith.maximumf`, `arith.minimumf`: softmax, the losses, sums and means
    over the last axis) are collapsed, split among threads by whole rows,
    tiled one row at a time and rewritten into a loop over 16-lane vectors
    (lane j combines elements j, j + 16, ...; the last partial vector
    padded with the identity), a fixed halving tree over the lanes, and
    the init. The order depends on neither the vector width nor the thread
    count. Ops with non-permutation maps (im2col, pooling) and ops that
    gather (`tensor.extract`) are left to the loop lowering.

    ```mlir
    // vector-width=8: vector<8xf32> arith.maximumf tiles over the flat image.
    %r = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<?x784xf32>) outs(%init : tensor<?x784xf32>) {...}
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes of one vector register (16: AVX-512, 8: AVX2)">,
    Option<"parallelElements", "parallel-elements", "int64_t",
           /*default=*/"0",
           "Elements per chunk of the scf.forall that shares a loop among "
           "threads (0: no thread level)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def CPUApproximateMath
    : Pass<"neurona-cpu-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replace exp, log and tanh with vectorizable polynomials";
  let description = [{
    MLIR's polynomial approximations of `math.exp`, `expm1`, `log`,
    `log1p`, `log2` and `tanh` (a few ULP from libm in f32) instead of libm
    calls, so that the loops of sigmoid, softmax and the losses vectorize.
    Other math functions (erf, pow) stay libm calls.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect",
  ];
}

def ExpandMemRefCopies
    : Pass<"neurona-expand-memref-copies", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    The LLVM conversion lowers a `memref.copy` of a strided view to a call
    of `memrefCopy` from MLIR's C runner library, which compiled models do
    not link. As `linalg.copy` every copy becomes loops of its own, for any
    layout.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def CPULowerVectors
    : Pass<"neurona-cpu-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "Lower vector contractions and transfers to FMAs, loads and "
                "stores of one vector register";
  let description = [{
    Runs after bufferization. Contractions become outer products (a
    broadcast of one A element times a row of B, accumulated with
    `vector.fma`), masks become masked loads and stores, and the remaining
    shape casts, broadcasts and transposes are lowered to what the LLVM
    conversion takes. `convert-vector-to-scf` then unrolls n-D transfers
    into rank-1 ones, which may run out of bounds (masked loads and stores).
  }];
  let options = [
    Option<"avx2Transpose", "avx2-transpose", "bool", /*default=*/"false",
           "Lower 8x8 f32 transposes with AVX2 shuffles and blends">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
  ];
}

#endif // NEURONA_CODEGEN_PASSES_TD
