//===- Curves.h - learning curves as a picture ------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_TRAIN_CURVES_H
#define NEURONA_LIB_TRAIN_CURVES_H

#include "neurona/Runtime/Status.h"
#include "neurona/Train/Trainer.h"

#include <string>
#include <vector>

namespace neurona::train {

/// Renders loss (left) and accuracy (right; rmse for the regression losses,
/// which have no accuracy) per epoch, training and test, as a
/// self-contained SVG file any browser shows; written atomically so a
/// viewer never sees half a file while training goes on.
Status writeCurvesSvg(const std::string &path, const std::string &title,
                      const std::vector<EpochStats> &history);

} // namespace neurona::train

#endif // NEURONA_LIB_TRAIN_CURVES_H
