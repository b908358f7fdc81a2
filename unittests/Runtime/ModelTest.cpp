//===- ModelTest.cpp - Tests of the runtime C API on fake models ----------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Drives the C API end to end on the hand-written test fixtures of
// FakeCompiledModel.cpp (paths come from CMake as FAKE_*_LIB).
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona-c/runtime.h"
#include "neurona/Runtime/FileIO.h"
#include "neurona/Runtime/NPY.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

using namespace neurona;
using namespace neurona::test;

namespace {
/// An open model, closed at the end of the test.
class Model {
public:
  explicit Model(const char *path) {
    nr_status s = nr_model_open(path, &model);
    EXPECT_EQ(s, NR_OK) << nr_last_error();
  }
  ~Model() { nr_model_close(model); }
  operator nr_model *() { return model; }
  nr_model *get() { return model; }

private:
  nr_model *model = nullptr;
};

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Sets the linear fixture's parameters to W = [[1, 2], [3, 4], [5, 6]],
/// b = [0.5, -0.5].
void setKnownParams(nr_model *m) {
  float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -0.5f};
  nr_tensor tw = makeTensor(NR_F32, {3, 2}, w), tb = makeTensor(NR_F32, {2}, b);
  ASSERT_EQ(nr_model_set_param(m, "dense.weight", &tw), NR_OK)
      << nr_last_error();
  ASSERT_EQ(nr_model_set_param(m, "dense.bias", &tb), NR_OK) << nr_last_error();
}

std::vector<float> paramValues(nr_model *m, const char *name) {
  nr_tensor view;
  EXPECT_EQ(nr_model_get_param(m, name, &view), NR_OK) << nr_last_error();
  int64_t n = 1;
  for (int32_t i = 0; i < view.rank; ++i)
    n *= view.shape[i];
  const float *p = static_cast<const float *>(view.data);
  return std::vector<float>(p, p + n);
}

int64_t stepCounter(nr_model *m) {
  nr_tensor view;
  EXPECT_EQ(nr_model_get_state(m, "step", &view), NR_OK) << nr_last_error();
  // The runtime's global step counts the same updates.
  uint64_t global = 0;
  EXPECT_EQ(nr_model_get_step(m, &global), NR_OK) << nr_last_error();
  EXPECT_EQ(int64_t(global), *static_cast<int64_t *>(view.data));
  return *static_cast<int64_t *>(view.data);
}
} // namespace

TEST(ModelTest, OpensAndDescribesTheModel) {
  Model m(FAKE_LINEAR_LIB);
  ASSERT_NE(m.get(), nullptr);
  const char *name;
  ASSERT_EQ(nr_model_name(m, &name), NR_OK);
  EXPECT_STREQ(name, "fake_linear");
  size_t n = 0;
  ASSERT_EQ(nr_model_num_entries(m, &n), NR_OK);
  EXPECT_EQ(n, 3u);
  const char *entry;
  ASSERT_EQ(nr_model_entry_name(m, 1, &entry), NR_OK);
  EXPECT_STREQ(entry, "train_step");
  EXPECT_EQ(nr_model_entry_name(m, 3, &entry), NR_ERROR_INVALID_ARGUMENT);
  int has = 0;
  ASSERT_EQ(nr_model_has_entry(m, "forward", &has), NR_OK);
  EXPECT_EQ(has, 1);
  ASSERT_EQ(nr_model_has_entry(m, "backward", &has), NR_OK);
  EXPECT_EQ(has, 0);

  ASSERT_EQ(nr_model_num_args(m, "train_step", &n), NR_OK);
  EXPECT_EQ(n, 11u);
  nr_arg_info info;
  ASSERT_EQ(nr_model_arg_info(m, "train_step", 0, &info), NR_OK);
  EXPECT_EQ(info.role, NR_ROLE_INPUT);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, NR_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], -1);
  EXPECT_EQ(info.shape[1], 3);
  ASSERT_EQ(nr_model_arg_info(m, "train_step", 2, &info), NR_OK);
  EXPECT_EQ(info.role, NR_ROLE_HYPER);
  EXPECT_EQ(info.rank, 0);
  ASSERT_EQ(nr_model_arg_info(m, "train_step", 10, &info), NR_OK);
  EXPECT_EQ(info.role, NR_ROLE_STATE_OUT);
  EXPECT_EQ(info.dtype, NR_I64);
  EXPECT_EQ(nr_model_arg_info(m, "nope", 0, &info), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(contains(nr_last_error(), "forward, train_step, gradients"));

  ASSERT_EQ(nr_model_num_params(m, &n), NR_OK);
  EXPECT_EQ(n, 2u);
  nr_param_info p;
  ASSERT_EQ(nr_model_param_info(m, 0, &p), NR_OK);
  EXPECT_STREQ(p.name, "dense.weight");
  EXPECT_EQ(p.init, NR_INIT_GLOROT_UNIFORM);
  EXPECT_EQ(p.rank, 2);
  ASSERT_EQ(nr_model_num_states(m, &n), NR_OK);
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(nr_model_state_info(m, 0, &p), NR_OK);
  EXPECT_STREQ(p.name, "step");

  const char *value;
  ASSERT_EQ(nr_model_train_config(m, "loss", &value), NR_OK);
  EXPECT_STREQ(value, "mse");
  ASSERT_EQ(nr_model_train_config(m, "lr", &value), NR_OK);
  EXPECT_STREQ(value, "0.05");
  EXPECT_EQ(nr_model_train_config(m, "momentum", &value), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(contains(nr_last_error(), "momentum"));
  ASSERT_EQ(nr_model_num_train_config(m, &n), NR_OK);
  EXPECT_EQ(n, 5u);
  const char *key;
  ASSERT_EQ(nr_model_train_config_at(m, 1, &key, &value), NR_OK);
  EXPECT_STREQ(key, "optimizer");
  EXPECT_STREQ(value, "sgd");
}

TEST(ModelTest, InitialisesFromTheSeed) {
  Model m(FAKE_LINEAR_LIB);
  std::vector<float> w0 = paramValues(m, "dense.weight");
  const double bound = std::sqrt(6.0 / (3 + 2));
  bool nonZero = false;
  for (float v : w0) {
    EXPECT_LT(std::fabs(v), bound);
    nonZero |= v != 0;
  }
  EXPECT_TRUE(nonZero);
  EXPECT_EQ(paramValues(m, "dense.bias"), (std::vector<float>{0, 0}));
  // Seed 0 is the default; another seed differs; re-seeding reproduces.
  ASSERT_EQ(nr_model_init_params(m, 0), NR_OK);
  EXPECT_EQ(paramValues(m, "dense.weight"), w0);
  ASSERT_EQ(nr_model_init_params(m, 42), NR_OK);
  std::vector<float> w42 = paramValues(m, "dense.weight");
  EXPECT_NE(w42, w0);
  Model other(FAKE_LINEAR_LIB);
  ASSERT_EQ(nr_model_init_params(other, 42), NR_OK);
  EXPECT_EQ(paramValues(other, "dense.weight"), w42);
}

TEST(ModelTest, RunsForward) {
  Model m(FAKE_LINEAR_LIB);
  setKnownParams(m);
  float x[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
  float y[4][2] = {};
  nr_tensor in = makeTensor(NR_F32, {4, 3}, x);
  nr_tensor out = makeTensor(NR_F32, {4, 2}, y);
  ASSERT_EQ(nr_model_forward(m, &in, 1, &out, 1), NR_OK) << nr_last_error();
  float expected[4][2] = {
      {1.5f, 1.5f}, {3.5f, 3.5f}, {5.5f, 5.5f}, {9.5f, 11.5f}};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_EQ(y[i][j], expected[i][j]) << i << "," << j;
  // The batch dimension is dynamic: one row works too.
  in.shape[0] = out.shape[0] = 1;
  ASSERT_EQ(nr_model_run(m, "forward", &in, 1, &out, 1), NR_OK)
      << nr_last_error();
}

TEST(ModelTest, ReportsShapeAndArgumentErrors) {
  Model m(FAKE_LINEAR_LIB);
  float x[4 * 3] = {}, y[5 * 2] = {}, t[5 * 2] = {};
  nr_tensor in = makeTensor(NR_F32, {4, 3}, x);
  nr_tensor out = makeTensor(NR_F32, {4, 2}, y);

  nr_tensor badOut = makeTensor(NR_F32, {5, 2}, y);
  EXPECT_EQ(nr_model_forward(m, &in, 1, &badOut, 1), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(),
                       "entry 'forward': result 'y' has shape [5, 2], "
                       "expected [?, 2] with batch size 4 (from input 'x')"))
      << nr_last_error();

  nr_tensor badIn = makeTensor(NR_F32, {4, 4}, x);
  EXPECT_EQ(nr_model_forward(m, &badIn, 1, &out, 1), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(),
                       "entry 'forward': input 'x' has shape [4, 4], "
                       "expected [?, 3]"))
      << nr_last_error();

  nr_tensor f64In = makeTensor(NR_F64, {4, 3}, x);
  EXPECT_EQ(nr_model_forward(m, &f64In, 1, &out, 1), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "must be f32 [?, 3], got f64 [4, 3]"))
      << nr_last_error();

  nr_tensor rank1 = makeTensor(NR_F32, {12}, x);
  EXPECT_EQ(nr_model_forward(m, &rank1, 1, &out, 1), NR_ERROR_INVALID_ARGUMENT);

  nr_tensor zeroBatch = makeTensor(NR_F32, {0, 3}, x);
  EXPECT_EQ(nr_model_forward(m, &zeroBatch, 1, &out, 1),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "at least 1")) << nr_last_error();

  EXPECT_EQ(nr_model_forward(m, &in, 1, &out, 0), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "expects 1 output(s) (y: f32 [?, 2])"))
      << nr_last_error();
  EXPECT_EQ(nr_model_forward(m, nullptr, 0, &out, 1),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "expects 1 input(s) (x: f32 [?, 3])"))
      << nr_last_error();

  nr_tensor noData = makeTensor(NR_F32, {4, 3}, nullptr);
  EXPECT_EQ(nr_model_forward(m, &noData, 1, &out, 1),
            NR_ERROR_INVALID_ARGUMENT);
  nr_tensor misaligned =
      makeTensor(NR_F32, {4, 3}, reinterpret_cast<char *>(x) + 1);
  EXPECT_EQ(nr_model_forward(m, &misaligned, 1, &out, 1),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "not aligned")) << nr_last_error();
  nr_tensor aliasOut = makeTensor(NR_F32, {4, 2}, x);
  EXPECT_EQ(nr_model_forward(m, &in, 1, &aliasOut, 1),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "overlaps input 'x'"));

  // Inputs must agree on the batch size.
  nr_tensor target = makeTensor(NR_F32, {5, 2}, t);
  double loss;
  EXPECT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.1, &loss, nullptr, 0),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(),
                       "input 't' has batch size 5 but input 'x' has 4"))
      << nr_last_error();

  EXPECT_EQ(nr_model_run(m, "backward", &in, 1, &out, 1), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(contains(nr_last_error(), "no entry 'backward'"));
  EXPECT_EQ(nr_model_run(nullptr, "forward", &in, 1, &out, 1),
            NR_ERROR_INVALID_ARGUMENT);
}

TEST(ModelTest, TrainStepUpdatesParametersThroughDoubleBuffers) {
  Model m(FAKE_LINEAR_LIB);
  setKnownParams(m);
  float x[2][3] = {{1, 2, 3}, {-1, 0, 2}};
  float t[2][2] = {{10, 11}, {2, 3}};
  nr_tensor in = makeTensor(NR_F32, {2, 3}, x);
  nr_tensor target = makeTensor(NR_F32, {2, 2}, t);

  // Reference gradients from the gradients entry, with the same parameters.
  float gw[6], gb[2];
  nr_tensor grads[2] = {makeTensor(NR_F32, {3, 2}, gw),
                        makeTensor(NR_F32, {2}, gb)};
  double gradLoss = 0;
  ASSERT_EQ(nr_model_gradients(m, &in, 1, &target, 1, &gradLoss, grads, 2),
            NR_OK)
      << nr_last_error();
  // y = [[22.5, 27.5], [9.5, 9.5]]; loss = mean of squared errors.
  double expectedLoss = (12.5 * 12.5 + 16.5 * 16.5 + 7.5 * 7.5 + 6.5 * 6.5) / 4;
  EXPECT_NEAR(gradLoss, expectedLoss, 1e-4);

  nr_tensor before;
  ASSERT_EQ(nr_model_get_param(m, "dense.weight", &before), NR_OK);
  std::vector<float> w0 = paramValues(m, "dense.weight");
  std::vector<float> b0 = paramValues(m, "dense.bias");
  EXPECT_EQ(stepCounter(m), 0);

  float y[2][2];
  nr_tensor pred = makeTensor(NR_F32, {2, 2}, y);
  double loss = 0;
  const double lr = 0.01;
  ASSERT_EQ(nr_model_train_step(m, &in, 1, &target, 1, lr, &loss, &pred, 1),
            NR_OK)
      << nr_last_error();
  EXPECT_NEAR(loss, expectedLoss, 1e-4);
  EXPECT_FLOAT_EQ(y[0][0], 22.5f); // computed with the old parameters
  EXPECT_EQ(stepCounter(m), 1);

  nr_tensor after;
  ASSERT_EQ(nr_model_get_param(m, "dense.weight", &after), NR_OK);
  EXPECT_NE(after.data, before.data) << "the buffer sets did not swap";
  std::vector<float> w1 = paramValues(m, "dense.weight");
  std::vector<float> b1 = paramValues(m, "dense.bias");
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(w1[i], w0[i] - lr * gw[i], 1e-5) << i;
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(b1[i], b0[i] - lr * gb[i], 1e-5) << i;

  // A second step writes into the first set again and swaps back.
  ASSERT_EQ(nr_model_train_step(m, &in, 1, &target, 1, lr, &loss, nullptr, 0),
            NR_OK)
      << nr_last_error();
  nr_tensor again;
  ASSERT_EQ(nr_model_get_param(m, "dense.weight", &again), NR_OK);
  EXPECT_EQ(again.data, before.data);
  EXPECT_LT(loss, expectedLoss);
  EXPECT_EQ(stepCounter(m), 2);

  // The generic entry point does the same; the runtime binds lr from inputs.
  float lrValue = float(lr), lossValue = 0;
  nr_tensor runIns[3] = {in, target, makeTensor(NR_F32, {}, &lrValue)};
  nr_tensor runOuts[2] = {makeTensor(NR_F32, {}, &lossValue), pred};
  ASSERT_EQ(nr_model_run(m, "train_step", runIns, 3, runOuts, 2), NR_OK)
      << nr_last_error();
  EXPECT_EQ(stepCounter(m), 3);
  EXPECT_GT(lossValue, 0);
}

TEST(ModelTest, StateAndGlobalStepCanBeRestored) {
  Model m(FAKE_LINEAR_LIB);
  setKnownParams(m);
  int64_t seven = 7;
  nr_tensor value = makeTensor(NR_I64, {}, &seven);
  ASSERT_EQ(nr_model_set_state(m, "step", &value), NR_OK) << nr_last_error();
  nr_tensor view;
  ASSERT_EQ(nr_model_get_state(m, "step", &view), NR_OK);
  EXPECT_EQ(*static_cast<int64_t *>(view.data), 7);
  ASSERT_EQ(nr_model_set_step(m, 7), NR_OK);
  EXPECT_EQ(stepCounter(m), 7);

  float x[1][3] = {{1, 2, 3}};
  float t[1][2] = {{0, 0}};
  nr_tensor in = makeTensor(NR_F32, {1, 3}, x);
  nr_tensor target = makeTensor(NR_F32, {1, 2}, t);
  double loss = 0;
  ASSERT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.01, &loss, nullptr, 0),
            NR_OK)
      << nr_last_error();
  EXPECT_EQ(stepCounter(m), 8);

  // Wrong shapes and names are refused with the buffer's name.
  float wide[2] = {0, 0};
  nr_tensor bad = makeTensor(NR_F32, {2}, wide);
  EXPECT_EQ(nr_model_set_state(m, "step", &bad), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "state 'step' is i64 scalar, got f32"))
      << nr_last_error();
  EXPECT_EQ(nr_model_set_state(m, "nope", &value), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(contains(nr_last_error(), "has no state 'nope'"))
      << nr_last_error();

  // Re-initialising starts the count again.
  ASSERT_EQ(nr_model_init_params(m, 1), NR_OK);
  uint64_t global = 99;
  ASSERT_EQ(nr_model_get_step(m, &global), NR_OK);
  EXPECT_EQ(global, 0u);
}

TEST(ModelTest, NaNLossIsANumericErrorAndKeepsParameters) {
  Model m(FAKE_LINEAR_LIB);
  setKnownParams(m);
  float x[1][3] = {{1, NAN, 0}};
  float t[1][2] = {{0, 0}};
  nr_tensor in = makeTensor(NR_F32, {1, 3}, x);
  nr_tensor target = makeTensor(NR_F32, {1, 2}, t);
  std::vector<float> w0 = paramValues(m, "dense.weight");
  double loss = 0;
  EXPECT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.1, &loss, nullptr, 0),
            NR_ERROR_NUMERIC);
  EXPECT_TRUE(std::isnan(loss));
  EXPECT_TRUE(contains(nr_last_error(), "loss 'loss' is NaN"))
      << nr_last_error();
  EXPECT_TRUE(contains(nr_last_error(), "were not updated")) << nr_last_error();
  EXPECT_EQ(paramValues(m, "dense.weight"), w0);
  EXPECT_EQ(stepCounter(m), 0);

  float big[1][3] = {{1e30f, 1e30f, 1e30f}};
  nr_tensor huge = makeTensor(NR_F32, {1, 3}, big);
  EXPECT_EQ(
      nr_model_train_step(m, &huge, 1, &target, 1, 0.1, &loss, nullptr, 0),
      NR_ERROR_NUMERIC);
  EXPECT_TRUE(contains(nr_last_error(), "is infinite")) << nr_last_error();

  float gw[6], gb[2];
  nr_tensor grads[2] = {makeTensor(NR_F32, {3, 2}, gw),
                        makeTensor(NR_F32, {2}, gb)};
  EXPECT_EQ(nr_model_gradients(m, &in, 1, &target, 1, &loss, grads, 2),
            NR_ERROR_NUMERIC);
}

TEST(ModelTest, CountsTrainStepsForTheRandomOps) {
  Model m(FAKE_LINEAR_LIB);
  uint64_t seed = 1, step = 1;
  ASSERT_EQ(nr_model_get_rng(m, &seed, &step), NR_OK);
  EXPECT_EQ(seed, 0u);
  EXPECT_EQ(step, 0u);
  ASSERT_EQ(nr_model_init_params(m, 77), NR_OK);
  setKnownParams(m);
  float x[1][3] = {{1, 2, 3}};
  float t[1][2] = {{0, 1}};
  nr_tensor in = makeTensor(NR_F32, {1, 3}, x);
  nr_tensor target = makeTensor(NR_F32, {1, 2}, t);
  double loss = 0;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
        nr_model_train_step(m, &in, 1, &target, 1, 0.01, &loss, nullptr, 0),
        NR_OK)
        << nr_last_error();
  // gradients reads the counter without advancing it.
  float gw[6], gb[2];
  nr_tensor grads[2] = {makeTensor(NR_F32, {3, 2}, gw),
                        makeTensor(NR_F32, {2}, gb)};
  ASSERT_EQ(nr_model_gradients(m, &in, 1, &target, 1, &loss, grads, 2), NR_OK);
  ASSERT_EQ(nr_model_get_rng(m, &seed, &step), NR_OK);
  EXPECT_EQ(seed, 77u);
  EXPECT_EQ(step, 3u);
  // A failed step does not count.
  float nan[1][3] = {{NAN, 0, 0}};
  nr_tensor bad = makeTensor(NR_F32, {1, 3}, nan);
  EXPECT_EQ(nr_model_train_step(m, &bad, 1, &target, 1, 0.01, &loss, nullptr, 0),
            NR_ERROR_NUMERIC);
  ASSERT_EQ(nr_model_get_rng(m, &seed, &step), NR_OK);
  EXPECT_EQ(step, 3u);
  ASSERT_EQ(nr_model_set_seed(m, 5), NR_OK);
  ASSERT_EQ(nr_model_get_rng(m, &seed, &step), NR_OK);
  EXPECT_EQ(seed, 5u);
  EXPECT_EQ(step, 0u);
  EXPECT_EQ(nr_model_set_seed(nullptr, 5), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(nr_model_get_rng(m, nullptr, &step), NR_ERROR_INVALID_ARGUMENT);
}

TEST(ModelTest, RejectsLabelsOutsideTheClasses) {
  // The softmax fixture's integer target indexes forward's 3 logits; its
  // gradients entry has no output to take the class count from.
  Model m(FAKE_SOFTMAX_LIB);
  float x[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  int64_t labels[4] = {0, 2, 3, 1};
  nr_tensor in = makeTensor(NR_F32, {4, 2}, x);
  nr_tensor target = makeTensor(NR_I64, {4}, labels);
  float gw[6], gb[3];
  nr_tensor grads[2] = {makeTensor(NR_F32, {2, 3}, gw),
                        makeTensor(NR_F32, {3}, gb)};
  double loss = 0;
  EXPECT_EQ(nr_model_gradients(m, &in, 1, &target, 1, &loss, grads, 2),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(),
                       "entry 'gradients': target 'label': label 3 of sample "
                       "2 is out of range (expected a class in [0, 3), the "
                       "width of output 'logits' of entry 'forward')"))
      << nr_last_error();

  labels[2] = -1;
  float lr = 0.5f, lossValue = 0, z[4][3];
  nr_tensor runIns[3] = {in, target, makeTensor(NR_F32, {}, &lr)};
  nr_tensor runOuts[2] = {makeTensor(NR_F32, {}, &lossValue),
                          makeTensor(NR_F32, {4, 3}, z)};
  std::vector<float> w0 = paramValues(m, "w");
  EXPECT_EQ(nr_model_run(m, "train_step", runIns, 3, runOuts, 2),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "entry 'train_step': target 'label': "
                                        "label -1 of sample 2"))
      << nr_last_error();
  EXPECT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.5, &loss, nullptr, 0),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(paramValues(m, "w"), w0);

  // Every class in [0, 3) is accepted.
  labels[2] = 2;
  EXPECT_EQ(nr_model_gradients(m, &in, 1, &target, 1, &loss, grads, 2), NR_OK)
      << nr_last_error();
  EXPECT_NEAR(loss, std::log(3.0), 1e-6); // zero parameters: uniform softmax
  EXPECT_EQ(nr_model_run(m, "train_step", runIns, 3, runOuts, 2), NR_OK)
      << nr_last_error();
  EXPECT_NE(paramValues(m, "w"), w0);
}

TEST(ModelTest, SavesAndLoadsParameters) {
  TempDir dir;
  Model m(FAKE_LINEAR_LIB);
  setKnownParams(m);
  std::string path = dir.path("params.npz");
  ASSERT_EQ(nr_model_save_params(m, path.c_str()), NR_OK) << nr_last_error();

  // The archive holds one .npy per parameter, readable by the C++ reader.
  std::vector<NpzEntry> entries;
  ASSERT_TRUE(readNpz(path, entries).ok());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "dense.weight");
  EXPECT_EQ(entries[0].array.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(entries[1].name, "dense.bias");

  Model fresh(FAKE_LINEAR_LIB);
  EXPECT_NE(paramValues(fresh, "dense.weight"), paramValues(m, "dense.weight"));
  ASSERT_EQ(nr_model_load_params(fresh, path.c_str()), NR_OK)
      << nr_last_error();
  EXPECT_EQ(paramValues(fresh, "dense.weight"),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(paramValues(fresh, "dense.bias"),
            (std::vector<float>{0.5f, -0.5f}));

  // Wrong archives are rejected with the offending name, and change nothing.
  std::vector<float> kept = paramValues(fresh, "dense.weight");
  float w6[6] = {}, w4[4] = {}, b2[2] = {}, extra = 1;
  double d6[6] = {};
  struct Case {
    std::vector<NpzMember> members;
    const char *expected;
  } cases[] = {
      {{{"dense.bias", NR_F32, {2}, b2}}, "missing param 'dense.weight'"},
      {{{"dense.weight", NR_F32, {2, 2}, w4}, {"dense.bias", NR_F32, {2}, b2}},
       "param 'dense.weight' is f32 [2, 2] in the file, the model needs f32 "
       "[3, 2]"},
      {{{"dense.weight", NR_F64, {3, 2}, d6}, {"dense.bias", NR_F32, {2}, b2}},
       "param 'dense.weight' is f64 [3, 2]"},
      {{{"dense.weight", NR_F32, {3, 2}, w6},
        {"dense.bias", NR_F32, {2}, b2},
        {"dense.extra", NR_F32, {}, &extra}},
       "unexpected array 'dense.extra'"},
  };
  for (const Case &c : cases) {
    std::string bad = dir.path("bad.npz");
    ASSERT_TRUE(writeNpz(bad, c.members).ok());
    EXPECT_EQ(nr_model_load_params(fresh, bad.c_str()),
              NR_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(nr_last_error(), c.expected))
        << "expected '" << c.expected << "' in: " << nr_last_error();
    EXPECT_TRUE(contains(nr_last_error(), bad));
    EXPECT_EQ(paramValues(fresh, "dense.weight"), kept);
  }
  EXPECT_EQ(nr_model_load_params(fresh, dir.path("none.npz").c_str()),
            NR_ERROR_IO);
  EXPECT_TRUE(contains(nr_last_error(), "none.npz"));
  std::string notZip = dir.path("text.npz");
  writeBytes(notZip, "definitely not a zip archive");
  EXPECT_EQ(nr_model_load_params(fresh, notZip.c_str()), NR_ERROR_FORMAT);

  // set_param checks dtype and shape.
  nr_tensor wrong = makeTensor(NR_F32, {2, 3}, w6);
  EXPECT_EQ(nr_model_set_param(fresh, "dense.weight", &wrong),
            NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "is f32 [3, 2], got f32 [2, 3]"))
      << nr_last_error();
  EXPECT_EQ(nr_model_set_param(fresh, "nope", &wrong), NR_ERROR_NOT_FOUND);
}

TEST(ModelTest, UsesTheEmbeddedBlob) {
  Model m(FAKE_EMBEDDED_LIB);
  ASSERT_NE(m.get(), nullptr);
  EXPECT_EQ(paramValues(m, "dense.weight"),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(paramValues(m, "dense.bias"), (std::vector<float>{0.5f, -0.5f}));

  // The blob layout: weight at 0, bias at the next 64-byte boundary.
  uint64_t sizes[2] = {24, 8}, offsets[2], total;
  ASSERT_EQ(nr_params_blob_layout(sizes, 2, offsets, &total), NR_OK);
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(offsets[1], 64u);
  EXPECT_EQ(total, 72u);
  uint64_t size = 0;
  ASSERT_EQ(nr_model_params_blob(m, nullptr, 0, &size), NR_OK);
  EXPECT_EQ(size, 72u);
  std::vector<unsigned char> blob(72, 0xee);
  ASSERT_EQ(nr_model_params_blob(m, blob.data(), blob.size(), &size), NR_OK);
  float w[6];
  std::memcpy(w, blob.data(), sizeof(w));
  EXPECT_EQ(w[5], 6);
  EXPECT_EQ(blob[30], 0); // padding is zeroed
  float b[2];
  std::memcpy(b, blob.data() + 64, sizeof(b));
  EXPECT_EQ(b[1], -0.5f);
  EXPECT_EQ(nr_model_params_blob(m, blob.data(), 71, &size),
            NR_ERROR_INVALID_ARGUMENT);

  TempDir dir;
  std::string path = dir.path("blob.bin");
  ASSERT_EQ(nr_model_write_params_blob(m, path.c_str()), NR_OK)
      << nr_last_error();
  std::string file;
  ASSERT_TRUE(readFile(path, file).ok());
  EXPECT_EQ(file, std::string(blob.begin(), blob.end()));

  // Re-initialising draws initializer params anew (the weight is
  // glorot_uniform, the bias zeros).
  ASSERT_EQ(nr_model_init_params(m, 3), NR_OK);
  EXPECT_NE(paramValues(m, "dense.weight"),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(paramValues(m, "dense.bias"), (std::vector<float>{0, 0}));
}

TEST(ModelTest, RejectsABlobOfTheWrongSize) {
  nr_model *m = nullptr;
  EXPECT_EQ(nr_model_open(FAKE_BAD_BLOB_LIB, &m), NR_ERROR_FORMAT);
  EXPECT_EQ(m, nullptr);
  EXPECT_TRUE(contains(nr_last_error(), "embedded parameter blob has 50 bytes"))
      << nr_last_error();
  EXPECT_TRUE(contains(nr_last_error(), "need 72")) << nr_last_error();
}

TEST(ModelTest, DataParamsWithoutBlobMustBeSetBeforeUse) {
  Model m(FAKE_DATA_INIT_LIB);
  ASSERT_NE(m.get(), nullptr);
  float x[3] = {1, 1, 1}, y[2];
  nr_tensor in = makeTensor(NR_F32, {1, 3}, x);
  nr_tensor out = makeTensor(NR_F32, {1, 2}, y);
  EXPECT_EQ(nr_model_forward(m, &in, 1, &out, 1), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(nr_last_error(), "param 'dense.weight' has no value"))
      << nr_last_error();
  TempDir dir;
  EXPECT_EQ(nr_model_save_params(m, dir.path("p.npz").c_str()),
            NR_ERROR_INVALID_ARGUMENT);
  setKnownParams(m);
  ASSERT_EQ(nr_model_forward(m, &in, 1, &out, 1), NR_OK) << nr_last_error();
  EXPECT_EQ(y[0], 9.5f);
}

TEST(ModelTest, OpenReportsMissingPiecesClearly) {
  nr_model *m = nullptr;
  EXPECT_EQ(nr_model_open(FAKE_NO_GRADIENTS_LIB, &m), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(
      contains(nr_last_error(), "missing symbol 'fake_linear_gradients'"))
      << nr_last_error();
  EXPECT_EQ(nr_model_open("/nonexistent/model.so", &m), NR_ERROR_IO);
  EXPECT_TRUE(contains(nr_last_error(), "/nonexistent/model.so"));
  TempDir dir;
  std::string text = dir.path("model.so");
  writeBytes(text, "this is not an ELF file");
  EXPECT_EQ(nr_model_open(text.c_str(), &m), NR_ERROR_FORMAT);
  EXPECT_TRUE(contains(nr_last_error(), "cannot load model"));
  EXPECT_EQ(nr_model_open(nullptr, &m), NR_ERROR_INVALID_ARGUMENT);
  // The test binary is not linked with -rdynamic and has no model.
  EXPECT_EQ(nr_model_open_self(&m), NR_ERROR_NOT_FOUND);
  EXPECT_TRUE(contains(nr_last_error(), "-rdynamic")) << nr_last_error();
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(nr_model_close(nullptr), NR_OK);
}

TEST(ModelTest, ErrorsAreThreadLocal) {
  nr_model *m = nullptr;
  EXPECT_EQ(nr_model_open("/nonexistent/a.so", &m), NR_ERROR_IO);
  std::thread([] {
    nr_model *other = nullptr;
    EXPECT_EQ(nr_model_open("/nonexistent/b.so", &other), NR_ERROR_IO);
    EXPECT_TRUE(contains(nr_last_error(), "b.so"));
  }).join();
  EXPECT_TRUE(contains(nr_last_error(), "a.so"));
  EXPECT_STREQ(nr_status_string(NR_ERROR_NUMERIC), "NR_ERROR_NUMERIC");
  EXPECT_STREQ(nr_dtype_name(NR_I64), "i64");
  EXPECT_STREQ(nr_dtype_name(NR_I8), "i8");
  EXPECT_STREQ(nr_dtype_name(NR_U64), "u64");
  EXPECT_EQ(nr_dtype_size(NR_I16), 2u);
  EXPECT_EQ(nr_dtype_size(NR_U32), 4u);
  EXPECT_EQ(nr_dtype_size(NR_F64), 8u);
  EXPECT_STREQ(nr_dtype_name(NR_F16), "f16");
  EXPECT_STREQ(nr_dtype_name(NR_BF16), "bf16");
  EXPECT_EQ(nr_dtype_size(NR_F16), 2u);
  EXPECT_EQ(nr_dtype_size(NR_BF16), 2u);
  EXPECT_STREQ(nr_arg_role_name(NR_ROLE_PARAM_OUT), "param_out");
}

TEST(ModelTest, DistinctHandlesTrainConcurrently) {
  // Two handles of the same library share code but not buffers; training
  // them on two threads gives the same result as training one alone.
  auto trainOnce = [](nr_model *m, std::vector<float> &w) {
    float x[2][3] = {{1, 2, 3}, {-1, 0, 2}};
    float t[2][2] = {{1, 2}, {0, 1}};
    nr_tensor in = makeTensor(NR_F32, {2, 3}, x);
    nr_tensor target = makeTensor(NR_F32, {2, 2}, t);
    double loss;
    for (int i = 0; i < 200; ++i)
      ASSERT_EQ(
          nr_model_train_step(m, &in, 1, &target, 1, 0.01, &loss, nullptr, 0),
          NR_OK)
          << nr_last_error();
    w = paramValues(m, "dense.weight");
  };
  Model reference(FAKE_LINEAR_LIB), a(FAKE_LINEAR_LIB), b(FAKE_LINEAR_LIB);
  std::vector<float> expected, wa, wb;
  trainOnce(reference, expected);
  std::thread ta([&] { trainOnce(a, wa); }), tb([&] { trainOnce(b, wb); });
  ta.join();
  tb.join();
  EXPECT_EQ(wa, expected);
  EXPECT_EQ(wb, expected);
  EXPECT_EQ(stepCounter(a), 200);
}
