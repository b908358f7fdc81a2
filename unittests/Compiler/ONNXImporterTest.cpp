//===- ONNXImporterTest.cpp - ONNX models to `nn` IR ----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Models are built with the protobuf API and written to a fresh folder, so
// each test states exactly the bytes the importer sees, including hostile
// ones (escaping external data, truncations, bit flips).
//
//===----------------------------------------------------------------------===//

#include "neurona/Frontend/ONNX/ONNXImporter.h"
#include "neurona/Frontend/DSL/DSLParser.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace neurona;

namespace {

std::string print(ImportedModel &model) {
  std::string text;
  llvm::raw_string_ostream os(text);
  model.module->print(os);
  return text;
}

onnx::ModelProto makeModel(const char *name = "test", int64_t opset = 17) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  onnx::OperatorSetIdProto *import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  model.mutable_graph()->set_name(name);
  return model;
}

/// A FLOAT value info; a dimension of -1 is the symbolic batch "N".
void addValue(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> *list,
              const std::string &name, std::vector<int64_t> dims) {
  onnx::ValueInfoProto *value = list->Add();
  value->set_name(name);
  auto *tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto *shape = tensor->mutable_shape();
  for (int64_t dim : dims) {
    if (dim < 0)
      shape->add_dim()->set_dim_param("N");
    else
      shape->add_dim()->set_dim_value(dim);
  }
}

onnx::TensorProto *addInitializer(onnx::GraphProto *graph,
                                  const std::string &name,
                                  std::vector<int64_t> dims,
                                  const std::vector<float> &values, bool raw) {
  onnx::TensorProto *tensor = graph->add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t dim : dims)
    tensor->add_dims(dim);
  if (raw)
    tensor->set_raw_data(std::string(
        reinterpret_cast<const char *>(values.data()), values.size() * 4));
  else
    for (float v : values)
      tensor->add_float_data(v);
  return tensor;
}

onnx::NodeProto *addNode(onnx::GraphProto *graph, const std::string &op,
                         std::vector<std::string> inputs,
                         std::vector<std::string> outputs,
                         const std::string &name = "") {
  onnx::NodeProto *node = graph->add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (auto &input : inputs)
    node->add_input(input);
  for (auto &output : outputs)
    node->add_output(output);
  return node;
}

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i)
    values[i] = scale * static_cast<float>(i);
  return values;
}

/// The DSL's Fashion-MNIST MLP as ONNX Gemm nodes.
onnx::ModelProto makeFashionMLP() {
  onnx::ModelProto model = makeModel("fashion_mlp");
  onnx::GraphProto *graph = model.mutable_graph();
  addValue(graph->mutable_input(), "x", {-1, 784});
  addValue(graph->mutable_output(), "logits", {-1, 10});
  addInitializer(graph, "dense0.weight", {784, 128}, ramp(784 * 128, 1e-6f),
                 /*raw=*/true);
  addInitializer(graph, "dense0.bias", {128}, ramp(128, 0.5f), /*raw=*/false);
  addInitializer(graph, "dense1.weight", {128, 10}, ramp(1280, 1e-3f), true);
  addInitializer(graph, "dense1.bias", {10}, ramp(10, -1.0f), false);
  addNode(graph, "Gemm", {"x", "dense0.weight", "dense0.bias"}, {"h"}, "fc0");
  addNode(graph, "Relu", {"h"}, {"r"});
  addNode(graph, "Gemm", {"r", "dense1.weight", "dense1.bias"}, {"logits"},
          "fc1");
  return model;
}

class ONNXImport : public testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("neurona-onnx", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  void writeFile(const std::string &file, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }
  std::string save(const onnx::ModelProto &model,
                   llvm::StringRef name = "model.onnx") {
    std::string file = path(name);
    writeFile(file, model.SerializeAsString());
    return file;
  }
  llvm::Expected<ImportedModel> import(const onnx::ModelProto &model) {
    return importONNXFile(context, save(model));
  }
  std::string importError(const onnx::ModelProto &model) {
    auto imported = import(model);
    if (imported)
      return "";
    return llvm::toString(imported.takeError());
  }

  llvm::SmallString<128> dir;
  mlir::MLIRContext context;
};

TEST_F(ONNXImport, FashionMLPMatchesTheDSL) {
  auto onnxModel = import(makeFashionMLP());
  ASSERT_TRUE(static_cast<bool>(onnxModel))
      << llvm::toString(onnxModel.takeError());
  auto dslModel = importDSLSource(context, R"(
model fashion_mlp {
  input x: [784]
  dense(128, activation=relu)
  dense(10)
  output logits
})",
                                  "fashion.nn");
  ASSERT_TRUE(static_cast<bool>(dslModel))
      << llvm::toString(dslModel.takeError());
  EXPECT_EQ(print(*onnxModel), print(*dslModel));
  EXPECT_EQ(onnxModel->name, "fashion_mlp");
  EXPECT_FALSE(onnxModel->train.present);
}

TEST_F(ONNXImport, ParameterValuesFromRawAndTypedData) {
  auto model = import(makeFashionMLP());
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  ASSERT_EQ(model->params.size(), 4u);
  const ParamSpec &w0 = model->params[0];
  EXPECT_EQ(w0.name, "dense0.weight");
  EXPECT_EQ(w0.shape, (std::vector<int64_t>{784, 128}));
  EXPECT_EQ(w0.init, "data");
  EXPECT_EQ(w0.values, ramp(784 * 128, 1e-6f));
  EXPECT_EQ(model->params[1].values, ramp(128, 0.5f));
  EXPECT_EQ(model->params[3].name, "dense1.bias");
  EXPECT_EQ(model->params[3].values, ramp(10, -1.0f));
}

TEST_F(ONNXImport, IdentityOfAnInitializerIsOneParameter) {
  onnx::ModelProto model = makeModel();
  onnx::GraphProto *graph = model.mutable_graph();
  addValue(graph->mutable_input(), "x", {-1, 3});
  addValue(graph->mutable_output(), "y", {-1, 3});
  addInitializer(graph, "w", {3, 3}, ramp(9, 1.0f), true);
  addNode(graph, "Identity", {"w"}, {"w2"});
  addNode(graph, "MatMul", {"x", "w2"}, {"a"});
  addNode(graph, "MatMul", {"a", "w"}, {"y"});
  auto imported = import(model);
  ASSERT_TRUE(static_cast<bool>(imported))
      << llvm::toString(imported.takeError());
  ASSERT_EQ(imported->params.size(), 1u);
  EXPECT_EQ(imported->params[0].name, "w");
  EXPECT_NE(print(*imported).find("nn.matmul %0, %arg1"), std::string::npos)
      << print(*imported);
}

TEST_F(ONNXImport, ScalarInitializersAreConstants) {
  onnx::ModelProto model = makeModel();
  onnx::GraphProto *graph = model.mutable_graph();
  addValue(graph->mutable_input(), "x", {-1, 3});
  addValue(graph->mutable_output(), "y", {-1, 3});
  addInitializer(graph, "scale", {}, {0.25f}, false);
  addNode(graph, "Mul", {"x", "scale"}, {"y"});
  auto imported = import(model);
  ASSERT_TRUE(static_cast<bool>(imported))
      << llvm::toString(imported.takeError());
  EXPECT_TRUE(imported->params.empty());
  EXPECT_NE(print(*imported).find("nn.constant dense<2.500000e-01> : "
                                  "tensor<f32>"),
            std::string::npos);
}

TEST_F(ONNXImport, GraphErrorsNameTheNode) {
  struct Case {
    std::function<void(onnx::GraphProto *)> edit;
    const char *message;
  };
  const Case cases[] = {
      {[](onnx::GraphProto *g) {
         onnx::TensorProto *shape = g->add_initializer();
         shape->set_name("shape");
         shape->set_data_type(onnx::TensorProto::INT64);
         shape->add_dims(1);
         shape->add_int64_data(3);
         addNode(g, "Add", {"x", "shape"}, {"y"}, "add");
       },
       "node 0 'add' (Add): operands have different element types (FLOAT and "
       "INT64)"},
      {[](onnx::GraphProto *g) {
         onnx::NodeProto *node = addNode(g, "Add", {"x", "x"}, {"y"});
         onnx::AttributeProto *attr = node->add_attribute();
         attr->set_name("broadcast");
         attr->set_type(onnx::AttributeProto::INT);
         attr->set_i(1);
       },
       "node 0 (Add): unsupported attribute 'broadcast'"},
      {[](onnx::GraphProto *g) {
         addInitializer(g, "w", {3, 3}, ramp(9, 1.0f), true);
         onnx::NodeProto *node = addNode(g, "Gemm", {"x", "w"}, {"y"}, "fc");
         onnx::AttributeProto *attr = node->add_attribute();
         attr->set_name("alpha");
         attr->set_type(onnx::AttributeProto::INT);
         attr->set_i(2);
       },
       "node 0 'fc' (Gemm): attribute 'alpha' must be a FLOAT"},
      {[](onnx::GraphProto *g) {
         addNode(g, "Relu", {"x"}, {"y"});
         addNode(g, "Relu", {"x"}, {"y"}, "again");
       },
       "node 1 'again' (Relu): output 'y' is defined more than once"},
      {[](onnx::GraphProto *g) {
         addNode(g, "Relu", {"x"}, {"y"})->set_domain("com.microsoft");
       },
       "1 node uses an op that Neurona does not support:\n"
       "  node 0 (Relu): op Relu, domain 'com.microsoft' (not imported)"},
      {[](onnx::GraphProto *g) { addNode(g, "Relu", {}, {"y"}, "r"); },
       "node 0 'r' (Relu): expects 1 inputs, got 0"},
      {[](onnx::GraphProto *g) {
         addNode(g, "NonMaxSuppression", {"x"}, {"y"}, "nms");
       },
       "node 0 'nms' (NonMaxSuppression): op NonMaxSuppression, domain "
       "'ai.onnx' version"},
      {[](onnx::GraphProto *g) {
         addNode(g, "Dropout", {"x", "x", "x"}, {"y"}, "drop");
       },
       "node 0 'drop' (Dropout): input #2: 'x' must be a constant"},
      {[](onnx::GraphProto *g) {
         addInitializer(g, "w", {4, 3}, ramp(12, 1.0f), false);
         addNode(g, "MatMul", {"x", "w"}, {"y"}, "mm");
       },
       "node 0 'mm' (MatMul): shape mismatch: A is [?, 3] and B is [4, 3], "
       "so the inner dimensions are 3 and 4"},
      {[](onnx::GraphProto *g) {
         addInitializer(g, "w", {3, 3}, ramp(8, 1.0f), false);
         addNode(g, "MatMul", {"x", "w"}, {"y"}, "mm");
       },
       "initializer 'w' holds 8 elements, but its shape [3, 3] has 9"},
      {[](onnx::GraphProto *g) {
         onnx::TensorProto *w = addInitializer(g, "w", {3, 3}, {}, false);
         w->set_data_type(onnx::TensorProto::COMPLEX64);
         addNode(g, "MatMul", {"x", "w"}, {"y"}, "mm");
       },
       "initializer 'w' has element type COMPLEX64; only FLOAT, DOUBLE, "
       "FLOAT16, BFLOAT16, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, "
       "UINT64 and BOOL tensors are supported"},
      {[](onnx::GraphProto *g) {
         onnx::TensorProto *w =
             addInitializer(g, "w", {1 << 30, 1 << 30, 1 << 30}, {}, true);
         (void)w;
         addNode(g, "MatMul", {"x", "w"}, {"y"}, "mm");
       },
       "initializer 'w' has an impossibly large shape"},
      {[](onnx::GraphProto *g) {
         addNode(g, "Flatten", {"x"}, {"y"}, "f")
             ->add_attribute()
             ->CopyFrom([] {
               onnx::AttributeProto axis;
               axis.set_name("axis");
               axis.set_type(onnx::AttributeProto::INT);
               axis.set_i(2);
               return axis;
             }());
       },
       "node 0 'f' (Flatten): axis 2 would merge the dynamic batch dimension "
       "of [?, 3] with other dimensions"},
  };
  for (const Case &c : cases) {
    onnx::ModelProto model = makeModel();
    onnx::GraphProto *graph = model.mutable_graph();
    addValue(graph->mutable_input(), "x", {-1, 3});
    addValue(graph->mutable_output(), "y", {});
    graph->mutable_output(0)
        ->mutable_type()
        ->mutable_tensor_type()
        ->clear_shape();
    c.edit(graph);
    std::string error = importError(model);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "expected: " << c.message << "\n  gave: " << error;
  }
}

TEST_F(ONNXImport, ModelLevelErrors) {
  onnx::ModelProto noGraph = makeModel();
  noGraph.clear_graph();
  EXPECT_NE(importError(noGraph).find("is not an ONNX model: it has no graph"),
            std::string::npos);

  onnx::ModelProto noVersion = makeFashionMLP();
  noVersion.clear_ir_version();
  EXPECT_NE(importError(noVersion).find("it has no ir_version"),
            std::string::npos);

  onnx::ModelProto future = makeFashionMLP();
  future.set_ir_version(99);
  EXPECT_NE(importError(future).find("has ONNX IR version 99; supported "
                                     "versions are 3 to 14"),
            std::string::npos);

  onnx::ModelProto newOpset = makeFashionMLP();
  newOpset.mutable_opset_import(0)->set_version(40);
  EXPECT_NE(importError(newOpset).find("uses ONNX opset 40; supported opsets "
                                       "are 1 to 28"),
            std::string::npos);

  onnx::ModelProto twice = makeFashionMLP();
  twice.add_opset_import()->set_version(13);
  EXPECT_NE(importError(twice).find("imports the default operator set more "
                                    "than once"),
            std::string::npos);

  onnx::ModelProto noOutputs = makeModel();
  addValue(noOutputs.mutable_graph()->mutable_input(), "x", {-1, 3});
  EXPECT_NE(importError(noOutputs).find("the graph has no outputs"),
            std::string::npos);
  // A graph without inputs is fine (it computes constants); without
  // outputs it computes nothing.
  EXPECT_NE(importError(makeModel()).find("the graph has no outputs"),
            std::string::npos);

  llvm::Expected<ImportedModel> folder = importONNXFile(context, dir);
  ASSERT_FALSE(static_cast<bool>(folder));
  EXPECT_NE(llvm::toString(folder.takeError()).find("is not a regular file"),
            std::string::npos);
}

/// A model whose only weight is stored externally at `location`.
onnx::ModelProto externalModel(const std::string &location,
                               const std::string &offset = "",
                               const std::string &length = "") {
  onnx::ModelProto model = makeModel();
  onnx::GraphProto *graph = model.mutable_graph();
  addValue(graph->mutable_input(), "x", {-1, 2});
  addValue(graph->mutable_output(), "y", {-1, 2});
  onnx::TensorProto *w = graph->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(2);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char *key, const std::string &value) {
    onnx::StringStringEntryProto *entry = w->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  add("location", location);
  if (!offset.empty())
    add("offset", offset);
  if (!length.empty())
    add("length", length);
  addNode(graph, "MatMul", {"x", "w"}, {"y"}, "mm");
  return model;
}

TEST_F(ONNXImport, ExternalDataInsideTheFolder) {
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 4.0f};
  std::string bytes =
      "PAD!" + std::string(reinterpret_cast<const char *>(values.data()), 16);
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("weights")));
  writeFile(path("weights/w.bin"), bytes);
  auto model = import(externalModel("./weights/w.bin", "4", "16"));
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  ASSERT_EQ(model->params.size(), 1u);
  EXPECT_EQ(model->params[0].values, values);
}

TEST_F(ONNXImport, ExternalDataMustNotEscape) {
  // A folder outside the model's, and ways of pointing into it.
  llvm::SmallString<128> outside;
  ASSERT_FALSE(
      llvm::sys::fs::createUniqueDirectory("neurona-outside", outside));
  llvm::SmallString<128> secret(outside);
  llvm::sys::path::append(secret, "secret.bin");
  writeFile(std::string(secret), std::string(16, 'x'));
  ASSERT_FALSE(llvm::sys::fs::create_link(outside, path("linked-dir")));
  ASSERT_FALSE(llvm::sys::fs::create_link(secret, path("linked-file")));
  writeFile(path("w.bin"), std::string(16, '\0'));

  struct Case {
    onnx::ModelProto model;
    const char *message;
  };
  const Case cases[] = {
      {externalModel(std::string(secret)), "has an absolute external-data "
                                           "location"},
      {externalModel("../x/secret.bin"), "with a '..' component"},
      {externalModel("a/../../secret.bin"), "with a '..' component"},
      {externalModel("linked-dir/secret.bin"), "outside the model's folder"},
      {externalModel("linked-file"), "outside the model's folder"},
      {externalModel("missing.bin"), "that cannot be opened"},
      {externalModel("w.bin", "17"), "offset 17 past the end of 'w.bin'"},
      {externalModel("w.bin", "8", "16"), "beyond the end of 'w.bin'"},
      {externalModel("w.bin", "0", "12"), "an external-data length of 12 "
                                          "bytes, but its shape needs 16"},
      {externalModel("w.bin", "-1"), "invalid external-data offset '-1'"},
      {externalModel("w.bin", "0x10"), "invalid external-data offset '0x10'"},
      {externalModel(std::string("w.bin\0../x", 10)), "with a NUL byte"},
      {externalModel(""), "has an empty external-data location"},
  };
  for (const Case &c : cases) {
    std::string error = importError(c.model);
    EXPECT_NE(error.find("node 0 'mm' (MatMul): input #1: initializer 'w' "),
              std::string::npos)
        << error;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "expected: " << c.message << "\n  gave: " << error;
  }
  llvm::sys::fs::remove_directories(outside);
}

TEST_F(ONNXImport, DamagedFilesNeverCrash) {
  std::string bytes = makeFashionMLP().SerializeAsString();
  // Every cut in the header and graph structure, then coarser cuts through
  // the weights.
  std::string file = path("damaged.onnx");
  for (size_t n = 0; n < bytes.size(); n += n < 512 ? 1 : 4099) {
    writeFile(file, llvm::StringRef(bytes).take_front(n));
    auto model = importONNXFile(context, file);
    if (model)
      continue;
    EXPECT_FALSE(llvm::toString(model.takeError()).empty());
  }
  // Random byte changes in the structural part of the file.
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string damaged = bytes;
    for (int flips = 0; flips < 3; ++flips)
      damaged[rng() % 512] = static_cast<char>(rng());
    writeFile(file, damaged);
    auto model = importONNXFile(context, file);
    if (!model)
      llvm::consumeError(model.takeError());
  }
}

} // namespace
