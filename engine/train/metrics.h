// Evaluation metrics.
//   token accuracy and exact match: see EvalStats (train/trainer.h).
//   F1 for tagging: per class, precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R);
//     macro F1 = mean of the per-class F1 over classes seen in the gold or predicted labels;
//     micro F1 = F1 of the summed TP, FP, FN (for one label per token it equals the accuracy).
//   Corpus BLEU-4 (Papineni et al. 2002), the standard form: clipped n-gram precisions summed over the corpus,
//     geometric mean of n = 1..4 with equal weights, times the brevity penalty exp(1 - r / c) when c < r
//     (c, r: total hypothesis and reference lengths). Any zero precision gives 0; no smoothing.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

struct F1Scores {
  double macro = 0.0, micro = 0.0;
  std::vector<double> per_class;  // F1 of each class index (0 when it never occurs)
};

// gold and predicted labels, position by position; positions with gold == ignore are skipped.
F1Scores f1_scores(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred, int32_t num_classes,
                   int32_t ignore = -100);

struct BleuScore {
  double bleu = 0.0;
  double precisions[4] = {0, 0, 0, 0};
  double brevity_penalty = 1.0;
  int64_t hyp_length = 0, ref_length = 0;
};

// One reference per hypothesis; tokens are ids (or any integer symbols).
BleuScore corpus_bleu(const std::vector<std::vector<int32_t>>& hypotheses,
                      const std::vector<std::vector<int32_t>>& references);

}  // namespace attn
