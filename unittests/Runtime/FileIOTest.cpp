//===- FileIOTest.cpp - Tests of atomic and all-or-nothing outputs --------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona/Runtime/FileIO.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace neurona;
using namespace neurona::test;

namespace {
std::string contents(const std::string &path) {
  std::string s;
  EXPECT_TRUE(readFile(path, s).ok()) << path;
  return s;
}

bool exists(const std::string &path) {
  return ::access(path.c_str(), F_OK) == 0;
}

/// The names in `dir`, but . and ..
std::vector<std::string> listing(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
        names.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}
} // namespace

TEST(OutputSetTest, CommitReplacesEveryOutput) {
  TempDir dir;
  std::string a = dir.path("a.npy"), b = dir.path("b.txt");
  writeBytes(a, "old a");
  OutputSet set;
  std::string ta, tb;
  ASSERT_TRUE(set.stage(a, ta).ok());
  ASSERT_TRUE(set.stage(b, tb).ok());
  // Temporary files live beside their destinations.
  EXPECT_EQ(ta.rfind(a + ".tmp.", 0), 0u) << ta;
  EXPECT_EQ(tb.rfind(b + ".tmp.", 0), 0u) << tb;
  ASSERT_TRUE(writeFileAtomically(ta, "new a", 5).ok());
  writeBytes(tb, "new b");
  EXPECT_EQ(contents(a), "old a");
  EXPECT_FALSE(exists(b));
  EXPECT_EQ(set.destinations(), (std::vector<std::string>{a, b}));
  Status s = set.commit();
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(contents(a), "new a");
  EXPECT_EQ(contents(b), "new b");
  EXPECT_EQ(listing(dir.root()), (std::vector<std::string>{"a.npy", "b.txt"}));
}

TEST(OutputSetTest, AFailedCommandLeavesEveryOutputAsItWas) {
  TempDir dir;
  std::string a = dir.path("a.npz"), kept = dir.path("a.partial.npz");
  writeBytes(a, "trained");
  ::chmod(a.c_str(), 0600);
  writeBytes(kept, "epoch 2");
  {
    OutputSet set;
    std::string ta;
    ASSERT_TRUE(set.stage(a, ta).ok());
    // The temporary file already has the mode of the file it replaces.
    struct stat st;
    ASSERT_EQ(::stat(ta.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    writeBytes(ta, "untrained");
    set.stageAt(ta + ".h", a + ".h");
    writeBytes(ta + ".h", "header");
    set.promote(kept, dir.path("ckpt.npz"));
    // Destroyed without commit(): the command failed.
  }
  EXPECT_EQ(contents(a), "trained");
  // Staged files are gone; a promoted one is left to be found.
  EXPECT_EQ(listing(dir.root()),
            (std::vector<std::string>{"a.npz", "a.partial.npz"}));
}

TEST(OutputSetTest, PromotedFilesAreRenamedOnCommit) {
  TempDir dir;
  std::string partial = dir.path("ck.partial.npz"), ck = dir.path("ck.npz");
  writeBytes(partial, "epoch 5");
  writeBytes(ck, "old checkpoint");
  OutputSet set;
  set.promote(partial, ck);
  ASSERT_TRUE(set.commit().ok());
  EXPECT_EQ(contents(ck), "epoch 5");
  EXPECT_FALSE(exists(partial));
}

TEST(OutputSetTest, StagingFailsEarlyForAnUnwritableDestination) {
  TempDir dir;
  OutputSet set;
  std::string temp;
  Status s = set.stage(dir.path("missing/p.npz"), temp);
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_TRUE(contains(s.getMessage(), "missing/p.npz")) << s.getMessage();
  s = set.stage(dir.root(), temp);
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_TRUE(contains(s.getMessage(), "is a directory")) << s.getMessage();
  EXPECT_TRUE(set.destinations().empty());
  EXPECT_TRUE(listing(dir.root()).empty());
}

TEST(OutputSetTest, AFailedRenameSaysWhatWasAndWasNotReplaced) {
  TempDir dir;
  std::string a = dir.path("a"), b = dir.path("gone/b");
  OutputSet set;
  std::string ta;
  ASSERT_TRUE(set.stage(a, ta).ok());
  std::string tb = dir.path("b.tmp");
  writeBytes(tb, "b");
  set.stageAt(tb, b); // its folder does not exist: the rename fails
  Status s = set.commit();
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_TRUE(contains(s.getMessage(), "already replaced: " + a))
      << s.getMessage();
  EXPECT_TRUE(contains(s.getMessage(), "not written: " + b)) << s.getMessage();
  EXPECT_FALSE(exists(tb));
  EXPECT_EQ(listing(dir.root()), (std::vector<std::string>{"a"}));
}

TEST(OutputSetTest, PartialPaths) {
  EXPECT_EQ(partialPath("p.npz"), "p.partial.npz");
  EXPECT_EQ(partialPath("out/model.params.npz"),
            "out/model.params.partial.npz");
  EXPECT_EQ(partialPath("runs.d/curves"), "runs.d/curves.partial");
  EXPECT_EQ(partialPath("/tmp/.hidden"), "/tmp/.hidden.partial");
  EXPECT_EQ(partialPath("c.svg"), "c.partial.svg");
}
