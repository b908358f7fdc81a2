//===- TrainerTest.cpp - Tests of the training loop on fake models --------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Losses.h"
#include "TestSupport.h"

#include "neurona/Data/Dataset.h"
#include "neurona/Runtime/FileIO.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Train/Interrupt.h"
#include "neurona/Train/Trainer.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace neurona;
using namespace neurona::data;
using namespace neurona::test;
using namespace neurona::train;

namespace {
class Model {
public:
  explicit Model(const char *path) {
    EXPECT_EQ(nr_model_open(path, &model), NR_OK) << nr_last_error();
  }
  ~Model() { nr_model_close(model); }
  operator nr_model *() { return model; }

private:
  nr_model *model = nullptr;
};

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// n samples of t = x W + b (the linear fixture's shapes), float targets.
Dataset regressionData(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  const float w[3][2] = {{0.5f, -1}, {2, 0.25f}, {-0.75f, 1}};
  Dataset ds;
  ds.numSamples = n;
  ds.featureShape = {3};
  ds.targetKind = TargetKind::Values;
  ds.targetShape = {2};
  for (int64_t i = 0; i < n; ++i) {
    float x[3] = {u(rng), u(rng), u(rng)};
    ds.features.insert(ds.features.end(), x, x + 3);
    for (int j = 0; j < 2; ++j)
      ds.targets.push_back(0.1f + x[0] * w[0][j] + x[1] * w[1][j] +
                           x[2] * w[2][j]);
  }
  return ds;
}

/// Three separable clusters in 2-D with i64 labels (the softmax fixture).
Dataset clusterData(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.3f);
  const float centers[3][2] = {{2, 0}, {-1, 2}, {-1, -2}};
  Dataset ds;
  ds.numSamples = n;
  ds.featureShape = {2};
  ds.targetKind = TargetKind::Labels;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % 3;
    ds.features.push_back(centers[c][0] + noise(rng));
    ds.features.push_back(centers[c][1] + noise(rng));
    ds.labels.push_back(c);
  }
  return ds;
}

std::string readText(const std::string &path) {
  std::string s;
  EXPECT_TRUE(readFile(path, s).ok());
  return s;
}

int64_t stepCounter(nr_model *m) {
  nr_tensor view;
  EXPECT_EQ(nr_model_get_state(m, "step", &view), NR_OK) << nr_last_error();
  return *static_cast<int64_t *>(view.data);
}

std::vector<float> weights(nr_model *m, const char *name) {
  nr_tensor v;
  EXPECT_EQ(nr_model_get_param(m, name, &v), NR_OK);
  int64_t n = 1;
  for (int i = 0; i < v.rank; ++i)
    n *= v.shape[i];
  return std::vector<float>(static_cast<float *>(v.data),
                            static_cast<float *>(v.data) + n);
}
} // namespace

TEST(TrainerTest, TrainsARegressionModelWithCurvesAndCheckpoints) {
  TempDir dir;
  Model m(FAKE_LINEAR_LIB);
  Dataset train = regressionData(30, 1), test = regressionData(10, 2);
  TrainOptions opts;
  opts.epochs = 25;
  opts.batchSize = 4; // 30 = 7 * 4 + 2: the last batch is partial
  opts.learningRate = 0.1;
  opts.testSet = &test;
  opts.curvesPath = dir.path("curves.csv");
  opts.checkpointPath = dir.path("ckpt.npz");
  std::string summaryPath = dir.path("summary.txt");
  opts.summary = std::fopen(summaryPath.c_str(), "w");
  std::vector<EpochStats> history;
  Status s = neurona::train::train(m, train, opts, &history);
  std::fclose(opts.summary);
  ASSERT_TRUE(s.ok()) << s.getMessage();

  // 8 steps per epoch proves the partial batch ran.
  EXPECT_EQ(stepCounter(m), 25 * 8);
  ASSERT_EQ(history.size(), 25u);
  EXPECT_LT(history.back().loss, history.front().loss * 0.05);
  EXPECT_TRUE(std::isnan(history.back().accuracy)); // mse: no accuracy
  EXPECT_LT(history.back().testLoss, 0.01);

  std::string summary = readText(summaryPath);
  EXPECT_TRUE(contains(summary, "epoch 1/25  loss ")) << summary;
  EXPECT_TRUE(contains(summary, "  test_loss ")) << summary;
  EXPECT_FALSE(contains(summary, "acc")) << summary;
  // Regression reports rmse and mae; without penalties the test set's rmse
  // is the square root of its mse loss.
  EXPECT_TRUE(contains(summary, "  rmse ")) << summary;
  EXPECT_TRUE(contains(summary, "  test_mae ")) << summary;
  EXPECT_NEAR(history.back().testRmse * history.back().testRmse,
              history.back().testLoss, 1e-9);
  EXPECT_LE(history.back().testMae, history.back().testRmse);

  std::string curves = readText(opts.curvesPath);
  EXPECT_EQ(curves.rfind("epoch,loss,acc,rmse,mae,test_loss,test_acc,"
                         "test_rmse,test_mae,lr,seconds\n1,",
                         0),
            0u)
      << curves;
  EXPECT_EQ(std::count(curves.begin(), curves.end(), '\n'), 26);
  EXPECT_TRUE(contains(curves, "\n25,")) << curves;

  // The checkpoint holds the final parameters.
  Model restored(FAKE_LINEAR_LIB);
  ASSERT_EQ(nr_model_load_params(restored, opts.checkpointPath.c_str()), NR_OK)
      << nr_last_error();
  EXPECT_EQ(weights(restored, "dense.weight"), weights(m, "dense.weight"));

  // evaluate() and train_step agree on the loss (lr 0 changes nothing).
  EvalResult eval;
  ASSERT_TRUE(evaluate(m, test, 3, eval).ok());
  EXPECT_EQ(eval.numSamples, 10);
  EXPECT_NEAR(eval.loss, history.back().testLoss, 1e-9);
  std::vector<float> x(test.features), t(test.targets);
  nr_tensor in = makeTensor(NR_F32, {10, 3}, x.data());
  nr_tensor target = makeTensor(NR_F32, {10, 2}, t.data());
  double loss;
  ASSERT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.0, &loss, nullptr, 0),
            NR_OK);
  EXPECT_NEAR(eval.loss, loss, 1e-5 * std::max(1.0, loss));
}

TEST(TrainerTest, TrainsAClassifierAndReportsAccuracy) {
  Model m(FAKE_SOFTMAX_LIB);
  Dataset train = clusterData(90, 3), test = clusterData(30, 4);
  TrainOptions opts; // epochs, batch and lr from the manifest's train line
  opts.testSet = &test;
  opts.quiet = true;
  std::vector<EpochStats> history;
  Status s = neurona::train::train(m, train, opts, &history);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  ASSERT_EQ(history.size(), 20u);
  EXPECT_GT(history.back().accuracy, 0.95);
  EXPECT_GT(history.back().testAccuracy, 0.95);
  EXPECT_LT(history.back().loss, history.front().loss);

  // The C++ cross-entropy matches the compiled train_step's.
  EvalResult eval;
  ASSERT_TRUE(evaluate(m, test, 0, eval).ok());
  std::vector<float> x(test.features);
  std::vector<int64_t> labels(test.labels);
  nr_tensor in = makeTensor(NR_F32, {30, 2}, x.data());
  nr_tensor target = makeTensor(NR_I64, {30}, labels.data());
  double loss;
  ASSERT_EQ(nr_model_train_step(m, &in, 1, &target, 1, 0.0, &loss, nullptr, 0),
            NR_OK);
  EXPECT_NEAR(eval.loss, loss, 1e-5);
  EXPECT_NEAR(eval.accuracy, history.back().testAccuracy, 1e-12);
}

TEST(TrainerTest, EvaluatesLabelsForMSEAsTrainingFeedsThem) {
  // Integer labels for the linear fixture's mse over two columns: training
  // feeds them one-hot, and evaluation must score the same targets.
  Model m(FAKE_LINEAR_LIB);
  Dataset data = regressionData(20, 7);
  data.targetKind = TargetKind::Labels;
  for (int64_t i = 0; i < data.numSamples; ++i)
    data.labels.push_back(data.targets[size_t(2 * i)] > 0 ? 1 : 0);
  data.targetShape.clear();
  data.targets.clear();
  TrainOptions opts;
  opts.epochs = 1;
  opts.batchSize = 20; // one step: its loss is taken before the update
  opts.learningRate = 1e-12;
  opts.shuffle = false;
  opts.quiet = true;
  opts.testSet = &data;
  std::vector<EpochStats> history;
  Status s = neurona::train::train(m, data, opts, &history);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_NEAR(history[0].testLoss, history[0].loss, 1e-5 * history[0].loss);
  EvalResult eval;
  ASSERT_TRUE(evaluate(m, data, 0, eval).ok());
  EXPECT_NEAR(eval.loss, history[0].loss, 1e-5 * history[0].loss);

  // As in training, a label must fit the one-hot row.
  data.labels[3] = 2;
  s = evaluate(m, data, 0, eval);
  EXPECT_EQ(s.getCode(), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.getMessage(), "label 2 of sample 3 does not fit "
                                       "one-hot output 'y'"))
      << s.getMessage();
}

TEST(TrainerTest, ShufflingIsReproducible) {
  Dataset train = regressionData(20, 5);
  TrainOptions opts;
  opts.epochs = 2;
  opts.batchSize = 3;
  opts.learningRate = 0.05;
  opts.quiet = true;
  auto run = [&](uint64_t seed) {
    Model m(FAKE_LINEAR_LIB);
    TrainOptions o = opts;
    o.seed = seed;
    o.initParams = true;
    EXPECT_TRUE(neurona::train::train(m, train, o).ok());
    return weights(m, "dense.weight");
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(TrainerTest, StopsOnNaNLoss) {
  Model m(FAKE_LINEAR_LIB);
  Dataset train = regressionData(12, 6);
  train.features[3 * 7 + 1] = NAN;
  TrainOptions opts;
  opts.epochs = 3;
  opts.batchSize = 4;
  opts.learningRate = 0.1;
  opts.shuffle = false;
  opts.quiet = true;
  std::vector<EpochStats> history;
  Status s = neurona::train::train(m, train, opts, &history);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.getCode(), NR_ERROR_NUMERIC);
  EXPECT_TRUE(contains(s.getMessage(), "epoch 1, batch 2/3")) << s.getMessage();
  EXPECT_TRUE(contains(s.getMessage(), "NaN")) << s.getMessage();
  EXPECT_TRUE(history.empty());
  EXPECT_EQ(stepCounter(m), 1);
}

namespace {
bool fileExists(const std::string &path) {
  return ::access(path.c_str(), F_OK) == 0;
}

/// A summary stream that raises `signal` while the line of epoch `epoch`
/// is printed, i.e. once that epoch has run all its steps: an interrupt at a
/// known point, through the real handler.
struct RaisingSummary {
  int signal;
  std::string trigger;

  static ssize_t write(void *cookie, const char *data, size_t size) {
    auto *self = static_cast<RaisingSummary *>(cookie);
    if (std::string(data, size).find(self->trigger) != std::string::npos)
      std::raise(self->signal);
    return ssize_t(size);
  }
  std::FILE *open() {
    cookie_io_functions_t io{};
    io.write = &RaisingSummary::write;
    // Buffered: the trainer flushes after each line, so every write is a
    // whole line.
    std::FILE *f = fopencookie(this, "w", io);
    EXPECT_TRUE(f);
    return f;
  }
};
} // namespace

TEST(TrainerTest, KeepsTheLastFinishedEpochWhenTheLossDiverges) {
  TempDir dir;
  Model m(FAKE_LINEAR_LIB);
  Dataset train = regressionData(12, 6);
  TrainOptions opts;
  opts.epochs = 5;
  opts.batchSize = 12; // one step per epoch
  // The first step's loss is finite (taken before the update), the second
  // overflows.
  opts.learningRate = 1e30;
  opts.quiet = true;
  opts.keepPath = dir.path("p.partial.npz");
  opts.curvesPath = dir.path("c.partial.csv");
  TrainResult result;
  Status s = neurona::train::train(m, train, opts, result);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.getCode(), NR_ERROR_NUMERIC);
  EXPECT_TRUE(contains(s.getMessage(), "epoch 2, batch 1/1")) << s.getMessage();
  ASSERT_EQ(result.history.size(), 1u);
  EXPECT_EQ(result.stoppedBy, 0);
  EXPECT_EQ(result.keptParams, opts.keepPath);
  EXPECT_EQ(result.keptCurves, opts.curvesPath);
  // The failed step changed nothing, so the model still holds epoch 1's
  // parameters: the kept file has them.
  Model kept(FAKE_LINEAR_LIB);
  ASSERT_EQ(nr_model_load_params(kept, opts.keepPath.c_str()), NR_OK)
      << nr_last_error();
  EXPECT_EQ(weights(kept, "dense.weight"), weights(m, "dense.weight"));
  std::string curves = readText(opts.curvesPath);
  EXPECT_EQ(std::count(curves.begin(), curves.end(), '\n'), 2) << curves;
}

TEST(TrainerTest, KeepsNothingWhenNoEpochFinished) {
  TempDir dir;
  Model m(FAKE_LINEAR_LIB);
  Dataset train = regressionData(12, 6);
  train.features[3 * 7 + 1] = NAN;
  TrainOptions opts;
  opts.epochs = 3;
  opts.batchSize = 4;
  opts.learningRate = 0.1;
  opts.shuffle = false;
  opts.quiet = true;
  opts.keepPath = dir.path("p.partial.npz");
  opts.curvesPath = dir.path("c.partial.csv");
  TrainResult result;
  Status s = neurona::train::train(m, train, opts, result);
  EXPECT_EQ(s.getCode(), NR_ERROR_NUMERIC);
  EXPECT_TRUE(result.history.empty());
  EXPECT_TRUE(result.keptParams.empty());
  EXPECT_TRUE(result.keptCurves.empty());
  EXPECT_FALSE(fileExists(opts.keepPath));
  // A CSV with a header and no epoch is not kept.
  EXPECT_FALSE(fileExists(opts.curvesPath));
}

TEST(TrainerTest, TheInterruptHandlerOnlyRaisesAFlag) {
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  {
    InterruptGuard guard;
    EXPECT_EQ(InterruptGuard::received(), 0);
    std::raise(SIGINT); // would end the test binary without the guard
    EXPECT_EQ(InterruptGuard::received(), SIGINT);
    EXPECT_EQ(*InterruptGuard::flag(), SIGINT);
    // Repeats right after the first (timeout(1) signals the process, then
    // its group) are the same request.
    std::raise(SIGINT);
    std::raise(SIGTERM);
    EXPECT_EQ(InterruptGuard::received(), SIGINT);
  }
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  InterruptGuard::reset();
  EXPECT_EQ(signalName(SIGINT), "SIGINT");
  EXPECT_EQ(signalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(signalName(SIGHUP), "signal " + std::to_string(SIGHUP));
}

TEST(TrainerTest, ALaterSecondInterruptEndsTheProcess) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InterruptGuard guard;
    std::raise(SIGINT);
    if (InterruptGuard::received() != SIGINT)
      _exit(2);
    usleep(useconds_t(InterruptGuard::kRepeatWindowSeconds * 1e6) + 200000);
    std::raise(SIGINT);
    _exit(0); // not reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}

TEST(TrainerTest, AnInterruptStopsTrainingAndKeepsTheLastFinishedEpoch) {
  for (bool withCheckpoint : {false, true}) {
    TempDir dir;
    Model m(FAKE_LINEAR_LIB);
    Dataset train = regressionData(12, 6);
    TrainOptions opts;
    opts.epochs = 10;
    opts.batchSize = 4;
    opts.learningRate = 0.05;
    opts.keepPath = dir.path("p.partial.npz");
    if (withCheckpoint)
      opts.checkpointPath = dir.path("ck.partial.npz");
    RaisingSummary raising{SIGTERM, "epoch 2/"};
    opts.summary = raising.open();
    TrainResult result;
    Status s;
    {
      InterruptGuard guard;
      opts.stop = InterruptGuard::flag();
      s = neurona::train::train(m, train, opts, result);
    }
    std::fclose(opts.summary);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.getMessage(),
              "training interrupted by SIGTERM in epoch 3, before batch 1/3");
    EXPECT_EQ(result.stoppedBy, SIGTERM);
    // Epoch 2 had run all its steps when the signal came: it finishes.
    ASSERT_EQ(result.history.size(), 2u);
    EXPECT_EQ(stepCounter(m), 2 * 3);
    std::string kept = withCheckpoint ? opts.checkpointPath : opts.keepPath;
    EXPECT_EQ(result.keptParams, kept);
    EXPECT_EQ(fileExists(opts.keepPath), !withCheckpoint);
    Model restored(FAKE_LINEAR_LIB);
    ASSERT_EQ(nr_model_load_params(restored, kept.c_str()), NR_OK)
        << nr_last_error();
    EXPECT_EQ(weights(restored, "dense.weight"), weights(m, "dense.weight"));
  }
  InterruptGuard::reset();
}

TEST(TrainerTest, RejectsMismatchedData) {
  Model linear(FAKE_LINEAR_LIB), softmax(FAKE_SOFTMAX_LIB);
  TrainOptions opts;
  opts.quiet = true;
  Dataset wide = regressionData(4, 1);
  wide.featureShape = {2, 2};
  wide.features.resize(16);
  Status s = neurona::train::train(linear, wide, opts);
  EXPECT_EQ(s.getCode(), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.getMessage(), "input 'x' takes samples of 3 values"))
      << s.getMessage();

  Dataset badLabels = clusterData(6, 1);
  badLabels.labels[4] = 3;
  s = neurona::train::train(softmax, badLabels, opts);
  EXPECT_EQ(s.getCode(), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.getMessage(), "label 3 of sample 4 is out of range"))
      << s.getMessage();

  Dataset labelsForRegression = clusterData(6, 1);
  labelsForRegression.featureShape = {3};
  labelsForRegression.features.resize(18);
  s = neurona::train::train(linear, labelsForRegression, opts);
  EXPECT_EQ(s.getCode(), NR_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(s.getMessage(), "target 't'")) << s.getMessage();

  Dataset empty;
  empty.featureShape = {3};
  s = neurona::train::train(linear, empty, opts);
  EXPECT_FALSE(s.ok());

  opts.curvesPath = "/nonexistent/dir/curves.csv";
  s = neurona::train::train(linear, regressionData(4, 1), opts);
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_TRUE(contains(s.getMessage(), "/nonexistent/dir/curves.csv"));
}

TEST(TrainerTest, FormatsEpochLines) {
  EpochStats s;
  s.epoch = 3;
  s.loss = 0.41234;
  s.accuracy = 0.85123;
  s.testLoss = 0.45;
  s.testAccuracy = 0.84211;
  s.seconds = 12.34;
  EXPECT_EQ(formatEpochLine(s, 5), "epoch 3/5  loss 0.4123  acc 0.8512  "
                                   "test_loss 0.4500  test_acc 0.8421  "
                                   "(12.3 s)");
  s.accuracy = s.testLoss = s.testAccuracy = std::nan("");
  EXPECT_EQ(formatEpochLine(s, 5), "epoch 3/5  loss 0.4123  (12.3 s)");
  s.rmse = 0.2;
  s.mae = 0.15;
  s.testLoss = 0.05;
  s.testRmse = 0.25;
  s.testMae = 0.125;
  EXPECT_EQ(formatEpochLine(s, 5), "epoch 3/5  loss 0.4123  rmse 0.2000  "
                                   "mae 0.1500  test_loss 0.0500  test_rmse "
                                   "0.2500  test_mae 0.1250  (12.3 s)");
  // metrics = [perplexity]: exp of the losses beside them.
  s.rmse = s.mae = s.testRmse = s.testMae = std::nan("");
  s.perplexity = 1.5;
  s.testLoss = 0.45;
  s.testPerplexity = 1.568;
  EXPECT_EQ(formatEpochLine(s, 5), "epoch 3/5  loss 0.4123  ppl 1.5000  "
                                   "test_loss 0.4500  test_ppl 1.5680  "
                                   "(12.3 s)");
}

TEST(LossesTest, MatchTheirDefinitions) {
  LossSpec ce{LossKind::CrossEntropy, true};
  double logits[3] = {1, 2, 3};
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  SampleTarget label;
  label.label = 1;
  EXPECT_NEAR(sampleLoss(ce, logits, 3, label), lse - 2, 1e-12);
  EXPECT_FALSE(sampleCorrect(ce, logits, 3, label));
  label.label = 2;
  EXPECT_TRUE(sampleCorrect(ce, logits, 3, label));
  float soft[3] = {0, 0.5f, 0.5f};
  SampleTarget values;
  values.isLabel = false;
  values.values = soft;
  EXPECT_NEAR(sampleLoss(ce, logits, 3, values), lse - 2.5, 1e-12);

  LossSpec bce{LossKind::BinaryCrossEntropy, true};
  double z[1] = {0.7};
  SampleTarget one;
  one.label = 1;
  double p = 1 / (1 + std::exp(-0.7));
  EXPECT_NEAR(sampleLoss(bce, z, 1, one), -std::log(p), 1e-12);
  EXPECT_TRUE(sampleCorrect(bce, z, 1, one));
  LossSpec bceProb{LossKind::BinaryCrossEntropy, false};
  double prob[1] = {0.3};
  EXPECT_NEAR(sampleLoss(bceProb, prob, 1, one), -std::log(0.3), 1e-12);
  EXPECT_FALSE(sampleCorrect(bceProb, prob, 1, one));
  double extreme[1] = {-1000};
  EXPECT_TRUE(std::isfinite(sampleLoss(bce, extreme, 1, one)));
  // Like PyTorch and nn.binary_cross_entropy, log(0) counts as -100.
  double zero[1] = {0};
  EXPECT_DOUBLE_EQ(sampleLoss(bceProb, zero, 1, one), 100);

  LossSpec mse{LossKind::MeanSquaredError, true};
  double y[2] = {1, 3};
  float t[2] = {0, 1};
  SampleTarget tv;
  tv.isLabel = false;
  tv.values = t;
  EXPECT_NEAR(sampleLoss(mse, y, 2, tv), (1 + 4) / 2.0, 1e-12);

  // A label is one-hot over several columns, its own value over one.
  SampleTarget labelOne;
  labelOne.label = 1;
  EXPECT_NEAR(sampleLoss(mse, y, 2, labelOne), (1 + 4) / 2.0, 1e-12);
  EXPECT_NEAR(sampleLoss(mse, y, 1, labelOne), 0, 1e-12);
  double probs[2] = {0.2, 0.6};
  EXPECT_NEAR(sampleLoss(bceProb, probs, 2, labelOne),
              -(std::log(0.8) + std::log(0.6)) / 2, 1e-12);
}
