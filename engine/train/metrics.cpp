#include "train/metrics.h"

#include <cmath>
#include <map>

namespace attn {

F1Scores f1_scores(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred, int32_t num_classes,
                   int32_t ignore) {
  std::vector<int64_t> tp(static_cast<size_t>(num_classes), 0), fp(tp), fn(tp);
  std::vector<bool> seen(static_cast<size_t>(num_classes), false);
  for (size_t i = 0; i < gold.size() && i < pred.size(); ++i) {
    const int32_t g = gold[i], p = pred[i];
    if (g == ignore || g < 0 || g >= num_classes) continue;
    seen[static_cast<size_t>(g)] = true;
    if (p == g) {
      ++tp[static_cast<size_t>(g)];
      continue;
    }
    ++fn[static_cast<size_t>(g)];
    if (p >= 0 && p < num_classes) {
      ++fp[static_cast<size_t>(p)];
      seen[static_cast<size_t>(p)] = true;
    }
  }
  auto f1 = [](double t, double f_pos, double f_neg) {
    const double denom = 2 * t + f_pos + f_neg;
    return denom > 0 ? 2 * t / denom : 0.0;  // = 2PR / (P + R)
  };
  F1Scores out;
  out.per_class.assign(static_cast<size_t>(num_classes), 0.0);
  double sum = 0, T = 0, FP = 0, FN = 0;
  int classes = 0;
  for (int32_t c = 0; c < num_classes; ++c) {
    const size_t k = static_cast<size_t>(c);
    out.per_class[k] = f1(static_cast<double>(tp[k]), static_cast<double>(fp[k]), static_cast<double>(fn[k]));
    T += static_cast<double>(tp[k]);
    FP += static_cast<double>(fp[k]);
    FN += static_cast<double>(fn[k]);
    if (seen[k]) {
      sum += out.per_class[k];
      ++classes;
    }
  }
  out.macro = classes ? sum / classes : 0.0;
  out.micro = f1(T, FP, FN);
  return out;
}

BleuScore corpus_bleu(const std::vector<std::vector<int32_t>>& hyps, const std::vector<std::vector<int32_t>>& refs) {
  BleuScore s;
  double matches[4] = {0, 0, 0, 0}, totals[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < hyps.size() && i < refs.size(); ++i) {
    const auto& h = hyps[i];
    const auto& r = refs[i];
    s.hyp_length += static_cast<int64_t>(h.size());
    s.ref_length += static_cast<int64_t>(r.size());
    for (size_t n = 1; n <= 4; ++n) {
      std::map<std::vector<int32_t>, int64_t> ref_counts;
      for (size_t k = 0; k + n <= r.size(); ++k) ++ref_counts[std::vector<int32_t>(r.begin() + k, r.begin() + k + n)];
      std::map<std::vector<int32_t>, int64_t> hyp_counts;
      for (size_t k = 0; k + n <= h.size(); ++k) ++hyp_counts[std::vector<int32_t>(h.begin() + k, h.begin() + k + n)];
      for (const auto& [gram, count] : hyp_counts) {
        auto it = ref_counts.find(gram);
        matches[n - 1] += static_cast<double>(std::min(count, it == ref_counts.end() ? 0 : it->second));  // clipped
        totals[n - 1] += static_cast<double>(count);
      }
    }
  }
  double log_sum = 0.0;
  bool zero = false;
  for (int n = 0; n < 4; ++n) {
    s.precisions[n] = totals[n] > 0 ? matches[n] / totals[n] : 0.0;
    if (s.precisions[n] == 0.0) zero = true;
    else log_sum += std::log(s.precisions[n]) / 4.0;
  }
  const double c = static_cast<double>(s.hyp_length), r = static_cast<double>(s.ref_length);
  s.brevity_penalty = c >= r ? 1.0 : (c > 0 ? std::exp(1.0 - r / c) : 0.0);
  s.bleu = zero ? 0.0 : s.brevity_penalty * std::exp(log_sum);
  return s;
}

}  // namespace attn
