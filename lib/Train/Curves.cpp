//===- Curves.cpp - learning curves as a picture --------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Hand-written SVG rather than a plotting dependency: two small line charts
// are a few dozen elements, and the runtime side of Neurona links nothing
// but libc, zlib and libdl.
//
//===----------------------------------------------------------------------===//

#include "Curves.h"

#include "neurona/Runtime/FileIO.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

using namespace neurona;
using namespace neurona::train;

namespace {

constexpr double kPanelW = 420, kPanelH = 280, kMargin = 50;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

struct Series {
  const char *label;
  const char *color;
  std::function<double(const EpochStats &)> value;
};

/// One chart at horizontal offset `x0`; series whose values are all NaN are
/// left out, and a chart with none says so.
void panel(std::string &svg, double x0, const char *title,
           const std::vector<EpochStats> &h,
           const std::vector<Series> &series) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series &s : series)
    for (const EpochStats &e : h)
      if (double v = s.value(e); std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  double left = x0 + kMargin, top = 40, w = kPanelW - kMargin - 10,
         bottom = top + kPanelH - kMargin;
  svg += "<text x=\"" + num(x0 + kPanelW / 2) + "\" y=\"24\" " +
         "text-anchor=\"middle\" font-weight=\"bold\">" + title + "</text>\n";
  svg += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" +
         num(w) + "\" height=\"" + num(bottom - top) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";
  if (!(lo <= hi)) {
    svg += "<text x=\"" + num(left + w / 2) + "\" y=\"" +
           num((top + bottom) / 2) +
           "\" text-anchor=\"middle\">no data</text>\n";
    return;
  }
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  size_t n = h.size();
  auto px = [&](size_t i) {
    return n <= 1 ? left + w / 2 : left + w * double(i) / double(n - 1);
  };
  auto py = [&](double v) {
    return bottom - (v - lo) / (hi - lo) * (bottom - top);
  };
  for (int t = 0; t <= 4; ++t) {
    double v = lo + (hi - lo) * t / 4;
    svg += "<text x=\"" + num(left - 4) + "\" y=\"" + num(py(v) + 4) +
           "\" text-anchor=\"end\" font-size=\"11\">" + num(v) + "</text>\n";
  }
  for (size_t i = 0; i < n; ++i)
    svg += "<text x=\"" + num(px(i)) + "\" y=\"" + num(bottom + 16) +
           "\" text-anchor=\"middle\" font-size=\"11\">" +
           std::to_string(h[i].epoch) + "</text>\n";
  svg += "<text x=\"" + num(left + w / 2) + "\" y=\"" + num(bottom + 34) +
         "\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n";
  // The legend sits in the title row, clear of the lines.
  double legendX = left + w;
  for (const Series &s : series) {
    std::string points;
    for (size_t i = 0; i < n; ++i)
      if (double v = s.value(h[i]); std::isfinite(v))
        points += num(px(i)) + "," + num(py(v)) + " ";
    if (points.empty())
      continue;
    svg += std::string("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"") +
           s.color + "\" points=\"" + points + "\"/>\n";
    svg += std::string("<text x=\"") + num(legendX) + "\" y=\"24\" " +
           "text-anchor=\"end\" font-size=\"12\" fill=\"" + s.color + "\">" +
           s.label + "</text>\n";
    legendX -= 44;
  }
}

} // namespace

Status neurona::train::writeCurvesSvg(const std::string &path,
                                      const std::string &title,
                                      const std::vector<EpochStats> &history) {
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    num(2 * kPanelW) + "\" height=\"" + num(kPanelH + 40) +
                    "\" font-family=\"sans-serif\">\n<title>" + escape(title) +
                    "</title>\n";
  panel(svg, 0, "loss", history,
        {{"train", "#1f77b4", [](const EpochStats &e) { return e.loss; }},
         {"test", "#d62728", [](const EpochStats &e) { return e.testLoss; }}});
  // Regression losses have no accuracy; their second chart is the rmse.
  bool regression = std::none_of(
      history.begin(), history.end(), [](const EpochStats &e) {
        return std::isfinite(e.accuracy) || std::isfinite(e.testAccuracy);
      }) && std::any_of(history.begin(), history.end(),
                        [](const EpochStats &e) {
                          return std::isfinite(e.rmse) ||
                                 std::isfinite(e.testRmse);
                        });
  if (regression)
    panel(svg, kPanelW, "rmse", history,
          {{"train", "#1f77b4", [](const EpochStats &e) { return e.rmse; }},
           {"test", "#d62728",
            [](const EpochStats &e) { return e.testRmse; }}});
  else
    panel(svg, kPanelW, "accuracy", history,
          {{"train", "#1f77b4", [](const EpochStats &e) { return e.accuracy; }},
           {"test", "#d62728",
            [](const EpochStats &e) { return e.testAccuracy; }}});
  svg += "</svg>\n";
  return writeFileAtomically(path, svg.data(), svg.size());
}
