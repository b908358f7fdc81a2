//===- ArtifactTest.cpp - manifest, blob and header -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Artifact.h"

#include <gtest/gtest.h>

using namespace neurona;

namespace {

std::vector<ParamSpec> twoParams() {
  ParamSpec w{"dense0.weight", {3, 5}, "data", std::vector<float>(15, 1.0f)};
  ParamSpec b{"dense0.bias", {5}, "data", std::vector<float>(5, 2.0f)};
  return {w, b};
}

TEST(ParamsBlob, EveryParameterStartsOn64Bytes) {
  auto params = twoParams();
  EXPECT_EQ(paramBlobOffsets(params), (std::vector<uint64_t>{0, 64}));
  auto blob = buildParamsBlob(params);
  ASSERT_TRUE(static_cast<bool>(blob));
  ASSERT_EQ(blob->size(), 64u + 5 * sizeof(float));
  float bias;
  std::memcpy(&bias, blob->data() + 64, sizeof(float));
  EXPECT_EQ(bias, 2.0f);
}

TEST(ParamsBlob, EmptyWithoutValuesAndErrorOnPartialValues) {
  auto params = twoParams();
  for (ParamSpec &p : params)
    p.values.clear();
  auto none = buildParamsBlob(params);
  ASSERT_TRUE(static_cast<bool>(none));
  EXPECT_TRUE(none->empty());
  params[0].values.assign(15, 0.0f);
  auto partial = buildParamsBlob(params);
  ASSERT_FALSE(static_cast<bool>(partial));
  EXPECT_NE(llvm::toString(partial.takeError()).find("dense0.bias"),
            std::string::npos);
}

TEST(Manifest, RecordsEntriesAndExactHyperparameters) {
  ImportedModel model;
  model.params = twoParams();
  TrainSpec train;
  train.present = true;
  train.loss = "cross_entropy";
  train.optimizer = "sgd";
  train.learningRate = 0.0012345678901;
  EntrySignature forward{"forward",
                         {{"input", "x", "f32", {-1, 3}},
                          {"param", "dense0.weight", "f32", {3, 5}},
                          {"param", "dense0.bias", "f32", {5}},
                          {"output", "y", "f32", {-1, 5}}}};
  std::string text = buildManifest("m", model, train, {forward});
  EXPECT_NE(text.find("lr=0.0012345678901 "), std::string::npos) << text;
  EXPECT_NE(text.find("param dense0.weight f32 3x5 data\n"), std::string::npos);
  EXPECT_NE(text.find("arg input x f32 ?x3\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 4), "end\n");
}

TEST(Header, EmbeddedWrapperOnlyWithEmbeddedParameters) {
  EntrySignature forward{"forward",
                         {{"input", "x", "f32", {-1, 3}},
                          {"param", "dense0.weight", "f32", {3, 5}},
                          {"param", "dense0.bias", "f32", {5}},
                          {"output", "y", "f32", {-1, 5}}}};
  std::string with = buildCHeader("m", {forward}, twoParams(), true);
  EXPECT_NE(with.find("static inline void m_forward_embedded(int64_t batch, "
                      "const float *x_in, float *y_out)"),
            std::string::npos)
      << with;
  EXPECT_NE(with.find("(m_params + 64)"), std::string::npos);
  std::string without = buildCHeader("m", {forward}, twoParams(), false);
  EXPECT_EQ(without.find("_embedded"), std::string::npos);
}

TEST(Identifiers, ModelNamesBecomeCIdentifiers) {
  EXPECT_EQ(sanitizeIdentifier("fashion-mlp v2"), "fashion_mlp_v2");
  EXPECT_EQ(sanitizeIdentifier("3layers"), "m3layers");
  EXPECT_EQ(sanitizeIdentifier(""), "m");
}

} // namespace
