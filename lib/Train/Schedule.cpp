//===- Schedule.cpp - Learning-rate schedules -----------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Train/Schedule.h"

#include "Config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>

using namespace neurona;
using namespace neurona::train;

double LRSchedule::at(double lr, int64_t epoch) const {
  switch (kind) {
  case Kind::Constant:
    return lr;
  case Kind::Step:
    // One multiplication per decay, as StepLR's recursive update.
    for (int64_t k = 0; k < epoch / every; ++k)
      lr *= gamma;
    return lr;
  case Kind::Cosine:
    return minLr + (lr - minLr) *
                       (1 + std::cos(M_PI * double(epoch) / double(epochs))) /
                       2;
  }
  return lr;
}

/// Reads a number setting that must satisfy `ok`; `fallback` when absent.
template <typename T, typename Check>
static Status readNumber(const nr_model *model, const char *key, T fallback,
                         Check ok, const char *expected, T &out) {
  std::string text;
  if (!configValue(model, key, text)) {
    out = fallback;
    return Status::success();
  }
  char *end;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno || *end || end == text.c_str() || !std::isfinite(v) || !ok(v) ||
      (std::is_integral<T>::value && v != std::floor(v)))
    return Status::error(NR_ERROR_FORMAT, std::string("train setting ") + key +
                                              "=" + text + " is not " +
                                              expected);
  out = T(v);
  return Status::success();
}

Status neurona::train::scheduleFromModel(const nr_model *model,
                                         LRSchedule &out) {
  out = LRSchedule();
  std::string kind;
  if (!configValue(model, "schedule", kind))
    return Status::success();
  auto positive = [](double v) { return v > 0; };
  auto nonNegative = [](double v) { return v >= 0; };
  if (kind == "step") {
    out.kind = LRSchedule::Kind::Step;
    if (Status s = readNumber<int64_t>(model, "schedule_every", 1, positive,
                                       "a positive integer", out.every);
        !s)
      return s;
    return readNumber<double>(model, "schedule_gamma", 0.1, positive,
                              "a positive number", out.gamma);
  }
  if (kind == "cosine") {
    out.kind = LRSchedule::Kind::Cosine;
    int64_t fallback = 1;
    (void)readNumber<int64_t>(model, "epochs", 1, positive, "", fallback);
    if (Status s = readNumber<int64_t>(model, "schedule_epochs", fallback,
                                       positive, "a positive integer",
                                       out.epochs);
        !s)
      return s;
    return readNumber<double>(model, "schedule_min_lr", 0.0, nonNegative,
                              "a number >= 0", out.minLr);
  }
  return Status::error(NR_ERROR_FORMAT, "unknown learning-rate schedule '" +
                                            kind +
                                            "' in the train settings "
                                            "(expected step or cosine)");
}
