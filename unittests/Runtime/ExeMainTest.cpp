//===- ExeMainTest.cpp - Tests of the standalone executable main() --------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// FAKE_LINEAR_EXE is the linear test fixture linked with neurona_exe_main
// and the runtime the way the driver links model executables.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona/Runtime/FileIO.h"
#include "neurona/Runtime/NPY.h"

#include "gtest/gtest.h"

#include <sys/wait.h>

using namespace neurona;
using namespace neurona::test;

namespace {
struct Result {
  int exitCode;
  std::string output; // stdout and stderr together
};

Result runCommand(const TempDir &dir, const std::string &command) {
  std::string log = dir.path("log.txt");
  int status = std::system((command + " > '" + log + "' 2>&1").c_str());
  Result r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!readFile(log, r.output).ok())
    r.output = "<no output>";
  return r;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Writes known parameters (W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -0.5])
/// and a [2, 3] input.
void writeFixtureFiles(const TempDir &dir) {
  float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -0.5f};
  ASSERT_TRUE(writeNpz(dir.path("p.npz"), {{"dense.weight", NR_F32, {3, 2}, w},
                                           {"dense.bias", NR_F32, {2}, b}})
                  .ok());
  float x[6] = {1, 0, 0, 1, 1, 1};
  int64_t shape[2] = {2, 3};
  ASSERT_TRUE(writeNpy(dir.path("x.npy"), NR_F32, shape, 2, x).ok());
  double xd[6] = {0, 1, 0, 0, 0, 1};
  ASSERT_TRUE(writeNpy(dir.path("x64.npy"), NR_F64, shape, 2, xd).ok());
}

std::vector<float> readFloats(const std::string &path,
                              std::vector<int64_t> &shape) {
  NpyArray a;
  Status s = readNpy(path, a);
  EXPECT_TRUE(s.ok()) << s.getMessage();
  shape = a.shape;
  const float *p = static_cast<const float *>(a.data.data());
  return std::vector<float>(p, p + a.numElements());
}

std::string exe() { return std::string("'") + FAKE_LINEAR_EXE + "'"; }
} // namespace

TEST(ExeMainTest, PrintsHelpAndInfo) {
  TempDir dir;
  Result r = runCommand(dir, exe() + " --help");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "usage:")) << r.output;
  EXPECT_TRUE(contains(r.output, "--input FILE"));
  r = runCommand(dir, exe() + " --info");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "model fake_linear")) << r.output;
  EXPECT_TRUE(contains(r.output, "entry train_step")) << r.output;
  EXPECT_TRUE(contains(r.output, "input     x: f32 [?, 3]")) << r.output;
  r = runCommand(dir, exe() + " --bogus");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_TRUE(contains(r.output, "unknown option '--bogus'")) << r.output;
}

TEST(ExeMainTest, RunsForwardOnNpyFiles) {
  TempDir dir;
  writeFixtureFiles(dir);
  Result r =
      runCommand(dir, exe() + " --params " + dir.path("p.npz") + " --input " +
                          dir.path("x.npy") + " --output " + dir.path("y.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  std::vector<int64_t> shape;
  std::vector<float> y = readFloats(dir.path("y.npy"), shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(y, (std::vector<float>{1.5f, 1.5f, 9.5f, 11.5f}));

  // Positional inputs, --name=value, and f64 input converted to f32.
  r = runCommand(dir, exe() + " --params=" + dir.path("p.npz") + " " +
                          dir.path("x64.npy") + " -o " + dir.path("y2.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  y = readFloats(dir.path("y2.npy"), shape);
  EXPECT_EQ(y, (std::vector<float>{3.5f, 3.5f, 5.5f, 5.5f}));

  // Without --output the results are printed.
  r = runCommand(dir, exe() + " -p " + dir.path("p.npz") + " -i " +
                          dir.path("x.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "y: f32 [2, 2]\n1.5 1.5\n9.5 11.5\n"))
      << r.output;
}

TEST(ExeMainTest, RunsTrainStep) {
  TempDir dir;
  writeFixtureFiles(dir);
  float t[4] = {0, 0, 0, 0}, lr = 0.01f;
  int64_t tShape[2] = {2, 2};
  ASSERT_TRUE(writeNpy(dir.path("t.npy"), NR_F32, tShape, 2, t).ok());
  ASSERT_TRUE(writeNpy(dir.path("lr.npy"), NR_F32, nullptr, 0, &lr).ok());
  Result r = runCommand(
      dir, exe() + " --entry train_step -p " + dir.path("p.npz") + " -i " +
               dir.path("x.npy") + " -i " + dir.path("t.npy") + " -i " +
               dir.path("lr.npy") + " -o " + dir.path("loss.npy") + " -o " +
               dir.path("pred.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  std::vector<int64_t> shape;
  std::vector<float> loss = readFloats(dir.path("loss.npy"), shape);
  EXPECT_TRUE(shape.empty());
  ASSERT_EQ(loss.size(), 1u);
  EXPECT_FLOAT_EQ(loss[0], (1.5f * 1.5f * 2 + 9.5f * 9.5f + 11.5f * 11.5f) / 4);
}

TEST(ExeMainTest, ReportsErrorsWithNonZeroStatus) {
  TempDir dir;
  writeFixtureFiles(dir);
  Result r = runCommand(dir, exe() + " -p " + dir.path("p.npz"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_TRUE(contains(r.output, "entry 'forward' takes 1 input(s): x (f32 "
                                 "[?, 3]); 0 given"))
      << r.output;
  r = runCommand(dir, exe() + " -i " + dir.path("missing.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "missing.npy")) << r.output;
  float bad[4] = {};
  int64_t badShape[2] = {2, 2};
  ASSERT_TRUE(writeNpy(dir.path("bad.npy"), NR_F32, badShape, 2, bad).ok());
  r = runCommand(dir, exe() + " -i " + dir.path("bad.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "input 'x' has shape [2, 2], expected [?, 3]"))
      << r.output;
  int64_t labels[2] = {1, 2};
  int64_t lShape[1] = {2};
  ASSERT_TRUE(writeNpy(dir.path("l.npy"), NR_I64, lShape, 1, labels).ok());
  r = runCommand(dir, exe() + " -i " + dir.path("l.npy"));
  EXPECT_EQ(r.exitCode, 1);
  r = runCommand(dir, exe() + " -e nope -i " + dir.path("x.npy"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_TRUE(contains(r.output, "no entry 'nope'")) << r.output;
  r = runCommand(dir, exe() + " -p " + dir.path("x.npy") + " -i " +
                          dir.path("x.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "cannot load parameters")) << r.output;
}

/// Links the linear fixture object into an executable with `driver` and
/// the documented flags, then runs it.
static void checkLinkLine(const std::string &driver, const char *libs) {
  TempDir dir;
  writeFixtureFiles(dir);
  std::string prog = dir.path("prog");
  std::string link = driver + " -rdynamic -o '" + prog + "' '" +
                     FAKE_LINEAR_OBJECT + "' '" + EXE_MAIN_OBJECT + "' '" +
                     RUNTIME_ARCHIVE + "' " + libs;
  Result r = runCommand(dir, link);
  ASSERT_EQ(r.exitCode, 0) << link << "\n" << r.output;
  r = runCommand(dir, "'" + prog + "' -p " + dir.path("p.npz") + " -i " +
                          dir.path("x.npy") + " -o " + dir.path("y.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  std::vector<int64_t> shape;
  EXPECT_EQ(readFloats(dir.path("y.npy"), shape),
            (std::vector<float>{1.5f, 1.5f, 9.5f, 11.5f}));
}

TEST(ExeMainTest, TheDocumentedLinkLinesWork) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer-instrumented objects need the sanitizer runtime";
#endif
  // What the driver runs: model object, exe main, runtime archive, through
  // the C++ driver, or through `cc` with the C++ runtime named explicitly.
  checkLinkLine(std::string("'") + TEST_CXX_COMPILER + "'", "-ldl -lz -lm");
  if (std::system("command -v cc > /dev/null 2>&1") == 0)
    checkLinkLine("cc", "-lstdc++ -lm -ldl -lz");
}
