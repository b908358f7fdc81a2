//===- NNBase.td - nn dialect definition -------------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_IR_NNBASE_TD
#define NEURONA_DIALECT_NN_IR_NNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::mlir::nn";
  let summary = "Neural-network layers, losses and optimizers on tensors";
  let description = [{
    The `nn` dialect is what every Neurona frontend produces and what the
    gradient pass works on. Ops have value semantics on ranked tensors whose
    shapes are static except, optionally, a dynamic leading batch dimension.
    Result types are inferred from operands, so verifiers double as shape
    inference. Each differentiable op implements `GradientOpInterface`.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

// Arithmetic is on f32. f16 and bf16 only move and convert (NN_DataTensor):
// the ONNX importer computes an op on them in f32 and rounds its results.
def NN_FloatTensor : RankedTensorOf<[F32]>;
def NN_FloatScalar : 0DTensorOf<[F32]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;
def NN_IndexTensor : RankedTensorOf<[I32, I64]>;
// ONNX's integer types. Signed ones are signless (i8 to i64, as arith has
// them); unsigned ones keep MLIR's unsigned types (ui8 to ui64) so that the
// ops whose meaning depends on signedness (div, mod, maximum, minimum, the
// comparisons, cast, argmax, abs, sign, the reductions, max pooling) know
// it. convert-nn-to-linalg makes them signless and picks unsigned arith ops.
defvar NN_IntegerTypes = [I8, I16, I32, I64, UI8, UI16, UI32, UI64];
// Element types that ONNX's integer arithmetic (Add, Mul, Abs, ...) takes.
def NN_NumericTensor : RankedTensorOf<!listconcat([F32], NN_IntegerTypes)>;
// Booleans (i1; one byte per element at the ABI) for comparisons and masks.
def NN_BoolTensor : RankedTensorOf<[I1]>;
// Every element type that crosses the ABI: what data-movement ops, `where`
// and `cast` take.
def NN_DataTensor : RankedTensorOf<!listconcat([F32, F64, F16, BF16, I1],
                                                NN_IntegerTypes)>;

#endif // NEURONA_DIALECT_NN_IR_NNBASE_TD
