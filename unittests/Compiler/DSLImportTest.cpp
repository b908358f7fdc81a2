//===- DSLImportTest.cpp - DSL models to `nn` IR --------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "FashionMLP.h"

#include "neurona/Frontend/DSL/DSLParser.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace neurona;

namespace {

/// The IR every frontend must produce for the Fashion-MNIST MLP.
constexpr const char *kFashionIR =
    R"(module @fashion_mlp {
  func.func @forward(%arg0: tensor<?x784xf32> {nn.name = "x", nn.role = "input"}, %arg1: tensor<784x128xf32> {nn.name = "dense0.weight", nn.role = "param"}, %arg2: tensor<128xf32> {nn.name = "dense0.bias", nn.role = "param"}, %arg3: tensor<128x10xf32> {nn.name = "dense1.weight", nn.role = "param"}, %arg4: tensor<10xf32> {nn.name = "dense1.bias", nn.role = "param"}) -> (tensor<?x10xf32> {nn.name = "logits", nn.role = "output"}) {
    %0 = nn.matmul %arg0, %arg1 : tensor<?x784xf32>, tensor<784x128xf32>
    %1 = nn.add %0, %arg2 : tensor<?x128xf32>, tensor<128xf32>
    %2 = nn.relu %1 : tensor<?x128xf32>
    %3 = nn.matmul %2, %arg3 : tensor<?x128xf32>, tensor<128x10xf32>
    %4 = nn.add %3, %arg4 : tensor<?x10xf32>, tensor<10xf32>
    return %4 : tensor<?x10xf32>
  }
}
)";

std::string print(ImportedModel &model) {
  std::string text;
  llvm::raw_string_ostream os(text);
  model.module->print(os);
  return text;
}

class DSLImport : public testing::Test {
protected:
  llvm::Expected<ImportedModel> import(llvm::StringRef source) {
    return importDSLSource(context, source, "t.nn");
  }
  std::string importError(llvm::StringRef source) {
    auto model = import(source);
    if (model)
      return "";
    return llvm::toString(model.takeError());
  }
  mlir::MLIRContext context;
};

TEST_F(DSLImport, FashionMLP) {
  auto model = import(test::kFashion);
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  EXPECT_EQ(print(*model), kFashionIR);
  EXPECT_EQ(model->name, "fashion_mlp");

  ASSERT_EQ(model->params.size(), 4u);
  const char *names[] = {"dense0.weight", "dense0.bias", "dense1.weight",
                         "dense1.bias"};
  const std::vector<int64_t> shapes[] = {{784, 128}, {128}, {128, 10}, {10}};
  const char *inits[] = {"glorot_uniform", "zeros", "glorot_uniform", "zeros"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(model->params[i].name, names[i]);
    EXPECT_EQ(model->params[i].shape, shapes[i]);
    EXPECT_EQ(model->params[i].init, inits[i]);
    EXPECT_TRUE(model->params[i].values.empty());
  }

  const TrainSpec &train = model->train;
  EXPECT_TRUE(train.present);
  EXPECT_EQ(train.loss, "cross_entropy");
  EXPECT_EQ(train.optimizer, "adam");
  EXPECT_DOUBLE_EQ(train.learningRate, 0.001);
  EXPECT_EQ(train.batchSize, 64);
  EXPECT_EQ(train.epochs, 5);
  EXPECT_EQ(train.metrics, std::vector<std::string>{"accuracy"});
}

TEST_F(DSLImport, InitializersAndOptimizerSettings) {
  auto model = import(R"(
model m {
  input x: [3]
  hidden = dense(4, init=he_uniform, bias_init=ones, activation=tanh)
  dense(1, bias=false, init=zeros, activation=sigmoid)
  output p
}
train { loss = binary_cross_entropy optimizer = sgd(lr=0.5, momentum=0.9) }
)");
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  ASSERT_EQ(model->params.size(), 3u);
  EXPECT_EQ(model->params[0].name, "hidden.weight");
  EXPECT_EQ(model->params[0].init, "he_uniform");
  EXPECT_EQ(model->params[1].name, "hidden.bias");
  EXPECT_EQ(model->params[1].init, "ones");
  EXPECT_EQ(model->params[2].name, "dense1.weight");
  EXPECT_EQ(model->params[2].init, "zeros");
  EXPECT_EQ(model->train.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(model->train.learningRate, 0.5);
  EXPECT_DOUBLE_EQ(model->train.momentum, 0.9);
  EXPECT_EQ(model->train.batchSize, 32); // TrainSpec's default
}

TEST_F(DSLImport, OptimizerDefaultsFollowPyTorch) {
  auto adam = import("model m { input x: [2] dense(2) output y }\n"
                     "train { loss = cross_entropy optimizer = adam }");
  ASSERT_TRUE(static_cast<bool>(adam)) << llvm::toString(adam.takeError());
  EXPECT_DOUBLE_EQ(adam->train.learningRate, 0.001);
  EXPECT_DOUBLE_EQ(adam->train.beta1, 0.9);
  EXPECT_DOUBLE_EQ(adam->train.beta2, 0.999);
  EXPECT_DOUBLE_EQ(adam->train.epsilon, 1e-8);
  auto sgd = import("model m { input x: [2] dense(2) output y }\n"
                    "train { loss = mse optimizer = sgd }");
  ASSERT_TRUE(static_cast<bool>(sgd)) << llvm::toString(sgd.takeError());
  EXPECT_DOUBLE_EQ(sgd->train.learningRate, 0.01);
  EXPECT_DOUBLE_EQ(sgd->train.momentum, 0.0);
}

TEST_F(DSLImport, NoTrainSection) {
  auto model = import("model m { input x: [2] relu() output y }");
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  EXPECT_FALSE(model->train.present);
  EXPECT_TRUE(model->params.empty());
}

TEST_F(DSLImport, TrainSectionSelectsTheModel) {
  auto model = import(R"(
model a { input x: [2] dense(3) output y }
model b { input x: [2] dense(5) output z }
train b { loss = mse optimizer = sgd }
)");
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  EXPECT_EQ(model->name, "b");
  EXPECT_EQ(model->params[0].shape, (std::vector<int64_t>{2, 5}));
}

TEST_F(DSLImport, EveryModelIsChecked) {
  // `a` is not imported, but its error is still reported.
  std::string error = importError(R"(
model a { input x: [2] dense(0) output y }
model b { input x: [2] dense(5) output z }
train b { loss = mse optimizer = sgd }
)");
  EXPECT_NE(error.find("t.nn:2:30: error: the number of units must be "
                       "positive, got 0"),
            std::string::npos)
      << error;
}

TEST_F(DSLImport, SemanticErrors) {
  struct Case {
    const char *source;
    const char *message;
  };
  const Case cases[] = {
      {"", "error: the file defines no model"},
      {"model m { input x: [2] dense(2) output y } model m { input x: [1] "
       "relu() output y }",
       "error: there is already a model named 'm'"},
      {"model m { dense(2) output y }",
       "error: layer 'dense' comes before the model's input"},
      {"model m { input x: [2] output y = h }",
       "error: no input or layer is named 'h'"},
      {"model m { input x: [2] output y output y }",
       "error: there is already an output named 'y'"},
      {"model m { input x: [2] dense(2, bias=false, bias_init=ones) output y }",
       "error: 'bias_init' is meaningless with bias=false"},
      {"model m { input x: [2] dense(2, activation=3) output y }",
       "error: argument 'activation' of 'dense' must be a name, not integer "
       "3"},
      {"model m { input x: [2] dense(2, units=3, units=4) output y }",
       "error: argument 'units' of 'dense' is given twice"},
      {"model m { input x: [2] dense() output y }",
       "error: 'dense' needs its number of units, as in dense(128)"},
      {"model m { input x: [2] relu(1) output y }",
       "error: 'relu' takes no positional arguments"},
      {"model m { input x: [2] flatten(axis=1) output y }",
       "error: 'flatten' has no argument 'axis'; it takes no arguments"},
      {"model m { input x: [2] softmax(axis=2) output y }",
       "error: axis 2 is out of range for an input of rank 2"},
      {"model m { input x: [] flatten() output y }",
       "error: 'flatten' needs per-example dimensions to flatten, but its "
       "input is [?]"},
      {"model m { input x: [2] dense1 = dense(2) dense(2) output y }",
       "error: this layer's automatic name 'dense1' is already taken; name "
       "the layer explicitly"},
      {"model m { input x: [2] h = dense(2) h = relu() output y }",
       "error: the name 'h' is already used"},
      {"model m { dense1 = dense(2) }",
       "error: layer 'dense' comes before the model's input"},
      {"model m { input x: [1048576, 1048576, 2] relu() output y }",
       "error: the input is too large (more than 2^40 elements per example)"},
      {"model m { input x: [1048576] dense(2097152) output y }",
       "error: a weight of 1048576x2097152 is too large"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse }",
       "error: the train section needs an optimizer"},
      {"model m { input x: [2] dense(2) output y } train { optimizer = sgd }",
       "error: the train section needs a loss"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "loss = mse optimizer = sgd }",
       "error: 'loss' is set twice"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = sgd batch = 0 }",
       "error: batch must be a positive integer, not integer 0"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = adam(lr=0) }",
       "error: lr must be > 0, got 0"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = sgd metrics = accuracy }",
       "error: metrics must be a list, as in [accuracy], not identifier "
       "'accuracy'"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = sgd metrics = [f1] }",
       "error: unknown metric 'f1'; expected one of accuracy"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = sgd metrics = [accuracy] }",
       "error: metric 'accuracy' needs a classification loss"},
      {"model m { input x: [2] dense(2) output y output z } train { loss = "
       "mse optimizer = sgd }",
       "error: training a model with several outputs is not supported yet"},
      {"model m { input x: [2] dense(2) output y } train { loss = mse "
       "optimizer = sgd } train { loss = mse optimizer = sgd }",
       "error: several train sections are not supported yet"},
      {"model m { input x: [2] dense(2) output y } train { loss = "
       "mse(weight=2) optimizer = sgd }",
       "1:63: error: 'mse' has no argument 'weight'; it takes "
       "reduction"},
      {"model m { input x: [2] dense(2) output y } train { loss = "
       "[mse] optimizer = sgd }",
       "error: loss must be a name or a call such as "
       "binary_cross_entropy(from_logits=true), not a list"},
  };
  for (const Case &c : cases) {
    std::string error = importError(c.source);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << c.source << "\n  gave: " << error;
  }
}

TEST_F(DSLImport, EveryPrefixOfAModelIsHandled) {
  // Cutting a valid file anywhere must give an error or a model, never a
  // crash: the parser is the first thing a typo meets.
  llvm::StringRef source(test::kFashion);
  for (size_t n = 0; n <= source.size(); ++n) {
    mlir::MLIRContext local;
    auto model = importDSLSource(local, source.take_front(n), "t.nn");
    if (!model)
      llvm::consumeError(model.takeError());
  }
}

} // namespace
