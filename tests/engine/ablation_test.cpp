// Head ablation in the project's models (models/transformer.h HeadMasks, layers/multihead_attention.h HeadMask):
// Hugging Face's head_mask semantics (a head's attention weights times its mask value after the softmax) and mean
// ablation (a removed head outputs a given vector instead), checked against make_golden.py's model_head_mask cases
// (PyTorch in float64, its reference checked against nn.Transformer* modules with the ablation folded into out_proj);
// the unablated path unchanged to the bit; the means of head_means; the messages for bad masks.
#include <cmath>

#include "models/head_means.h"
#include "test_util.h"
#include "train/decode.h"

namespace attn::test {
namespace {

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// The model of a golden case, with its parameters loaded.
std::unique_ptr<TransformerModel> golden_model(const GoldenFile& g, const Json& c) {
  auto model = std::make_unique<TransformerModel>(golden_model_config(c));
  const Status st = load_state_dict_visit([&](const ParamVisitor& fn) { model->visit(fn); },
                                          g.params(c.string_or("id", "")));
  EXPECT_TRUE(st.ok()) << st.message();
  return model;
}

// The case's head masks ("<case>.in.head_mask", "...head_mean", ...) as the user gives them (before validation).
HeadMasks golden_masks(const GoldenFile& g, const std::string& id) {
  return read_head_masks([&](const std::string& name, Tensor* t) {
    if (!g.has(id + ".in." + name)) return false;
    *t = g.tensor(id + ".in." + name);
    return true;
  });
}

// A forward pass of a golden case's inputs (batch of its B sequences) with `heads` (null: none).
void run(const TransformerModel& model, const GoldenFile& g, const std::string& id, ModelCache& cache,
         const HeadMasks* heads) {
  int64_t B, L, Bt, T;
  const std::vector<int32_t> ids = golden_ids(g, id + ".in.ids", &B, &L);
  if (model.config.arch == Arch::kEncoderDecoder) {
    const std::vector<int32_t> tgt = golden_ids(g, id + ".in.tgt", &Bt, &T);
    model.forward_seq2seq(cache, ids, L, tgt, T, B, ForwardContext(), heads);
  } else {
    model.forward(cache, ids, B, L, ForwardContext(), heads);
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ------------------------------------------------------------------------------------------- parity with torch
class ModelHeadMaskGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelHeadMaskGolden, LogitsAndAttentionMatchTorch) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  const std::string id = GetParam();
  const Json& c = golden_case("model_head_mask", id);
  const auto model = golden_model(g, c);
  HeadMasks heads = golden_masks(g, id);
  EXPECT_EQ(heads.head_mask.mask.rank(), c.bool_or("per_head", false) ? 1 : 2);  // [H] is expanded to every layer
  const Status st = model->check_head_masks(&heads);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(heads.any());
  ModelCache cache;
  run(*model, g, id, cache, &heads);
  expect_close_golden(cache.logits, g, id + ".out.logits", "head-masked model logits");
  int weights = 0;
  TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& t) {
    if (!ends_with(name, ".weights")) return;
    expect_close_golden(t, g, id + ".out." + name, "head-masked model weights");
    ++weights;
  });
  EXPECT_EQ(weights, model->config.num_layers + 2 * (model->config.arch == Arch::kEncoderDecoder
                                                         ? model->config.num_decoder_layers : 0));
}
INSTANTIATE_TEST_SUITE_P(Golden, ModelHeadMaskGolden, ::testing::ValuesIn(golden_case_ids("model_head_mask")),
                         case_name);

// ------------------------------------------------------------------------------------------------- properties

// Masks of ones (with means: a kept head ignores its mean), or means without masks, change nothing, not one bit:
// the unablated path is the same arithmetic.
TEST(HeadMask, OnesChangeNothing) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  for (const std::string& id : golden_case_ids("model_head_mask")) {
    const auto model = golden_model(g, golden_case("model_head_mask", id));
    HeadMasks ones = golden_masks(g, id), means_only = golden_masks(g, id);
    for (StackHeadMask* s : {&ones.head_mask, &ones.decoder_head_mask, &ones.cross_attn_head_mask})
      std::fill(s->mask.data.begin(), s->mask.data.end(), 1.0f);
    for (StackHeadMask* s : {&means_only.head_mask, &means_only.decoder_head_mask, &means_only.cross_attn_head_mask})
      s->mask = Tensor();
    ModelCache plain;
    run(*model, g, id, plain, nullptr);
    std::map<std::string, Tensor> seen;
    TransformerModel::visit_trace(plain, [&](const std::string& name, const Tensor& t) { seen[name] = t; });
    for (HeadMasks* heads : {&ones, &means_only}) {
      ASSERT_TRUE(model->check_head_masks(heads).ok());
      ModelCache masked;
      run(*model, g, id, masked, heads);
      int compared = 0;
      TransformerModel::visit_trace(masked, [&](const std::string& name, const Tensor& t) {
        ASSERT_TRUE(seen.count(name)) << name;
        EXPECT_EQ(t.data, seen[name].data) << id << " " << name;
        ++compared;
      });
      EXPECT_EQ(compared, static_cast<int>(seen.size()));
    }
  }
}

// A removed head's context vector is its mean exactly (mean ablation), or zero without a mean; its weights are 0.
TEST(HeadMask, RemovedHeadsOutputTheirMean) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  const std::string id = "head_mask_01";  // decoder-only, head_mask with a mean
  const auto model = golden_model(g, golden_case("model_head_mask", id));
  HeadMasks heads = golden_masks(g, id);
  ASSERT_TRUE(model->check_head_masks(&heads).ok());
  ASSERT_FALSE(heads.head_mask.mean.data.empty());
  ModelCache cache;
  run(*model, g, id, cache, &heads);
  const int64_t H = model->config.layer.nhead, Dh = model->config.d_model() / H;
  int removed = 0;
  for (int64_t l = 0; l < model->config.num_layers; ++l) {
    const AttentionCache& a = cache.decoder_only.layers[static_cast<size_t>(l)].self_attn;
    const int64_t B = a.heads.dim(0), L = a.heads.dim(2);
    for (int64_t h = 0; h < H; ++h) {
      if (heads.head_mask.mask.data[static_cast<size_t>(l * H + h)] != 0.0f) continue;
      ++removed;
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t i = 0; i < L; ++i)
          for (int64_t d = 0; d < Dh; ++d)
            ASSERT_EQ(a.heads.data[static_cast<size_t>(((b * H + h) * L + i) * Dh + d)],
                      heads.head_mask.mean.data[static_cast<size_t>((l * H + h) * Dh + d)]);
        for (int64_t k = 0; k < L * L; ++k) ASSERT_EQ(a.weights.data[static_cast<size_t>((b * H + h) * L * L + k)], 0.0f);
      }
    }
  }
  EXPECT_EQ(removed, 2);
  heads.head_mask.mean = Tensor();  // zero ablation
  run(*model, g, id, cache, &heads);
  const AttentionCache& first = cache.decoder_only.layers[0].self_attn;
  for (int64_t i = 0; i < first.heads.dim(2) * Dh; ++i) ASSERT_EQ(first.heads.data[static_cast<size_t>(i)], 0.0f);
}

// Greedy decoding applies the masks at every step: each token is the argmax of the masked pass over its prefix,
// and removing heads changes what the model writes.
TEST(HeadMask, GreedyDecodingAblatesEveryStep) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  const std::string id = "head_mask_03";  // encoder-decoder, all three masks
  const auto model = golden_model(g, golden_case("model_head_mask", id));
  HeadMasks heads = golden_masks(g, id);
  ASSERT_TRUE(model->check_head_masks(&heads).ok());
  int64_t B, L;
  std::vector<int32_t> src = golden_ids(g, id + ".in.ids", &B, &L);
  src.resize(static_cast<size_t>(L));  // the first sequence
  const int32_t bos = 1, eos = 2;
  const Decoded d = greedy_seq2seq(*model, src, bos, eos, 8, &heads);
  std::vector<int32_t> prefix = {bos};
  ModelCache cache;
  for (size_t t = 0; t <= d.tokens.size() && static_cast<int64_t>(prefix.size()) <= 8; ++t) {
    const Tensor& logits = model->forward_seq2seq(cache, src, L, prefix, static_cast<int64_t>(prefix.size()), 1,
                                                  ForwardContext(), &heads);
    const int64_t V = logits.dim(2);
    const float* row = logits.ptr() + (static_cast<int64_t>(prefix.size()) - 1) * V;
    const int32_t best = static_cast<int32_t>(std::max_element(row, row + V) - row);
    if (t == d.tokens.size()) {
      if (d.finished) {
        EXPECT_EQ(best, eos);
      }
      break;
    }
    EXPECT_EQ(best, d.tokens[t]) << "step " << t;
    prefix.push_back(best);
  }
}

TEST(HeadMask, BadMasksGetMessages) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  const auto decoder = golden_model(g, golden_case("model_head_mask", "head_mask_01"));  // 2 layers of 4 heads, Dh 3..5
  const int64_t Dh = decoder->config.d_model() / 4;
  const auto message = [&](const TransformerModel& m, HeadMasks h) {
    const Status st = m.check_head_masks(&h);
    return st.ok() ? std::string("ok") : st.message();
  };
  HeadMasks h;
  h.head_mask.mask = Tensor({3, 4}, 1.0f);
  EXPECT_EQ(message(*decoder, h), "head_mask has shape [3, 4] but the model has 2 layers of 4 heads: give [2, 4] (or [4] "
                                  "for every layer)");
  h.head_mask.mask = Tensor({4}, 1.0f);
  EXPECT_EQ(message(*decoder, h), "ok");
  h.head_mask.mask = Tensor({2, 4}, 1.0f);
  h.head_mask.mask.data[6] = std::nanf("");
  EXPECT_EQ(message(*decoder, h), "head_mask[1][2] is nan: every value must be a finite number (1 keeps a head, 0 "
                                  "removes it)");
  h.head_mask.mask.data[6] = INFINITY;
  EXPECT_NE(message(*decoder, h).find("head_mask[1][2] is inf"), std::string::npos);
  h.head_mask.mask = Tensor();
  h.head_mask.mean = Tensor({2, 4, Dh}, 0.0f);
  EXPECT_EQ(message(*decoder, h), "ok");  // a mean alone replaces no head
  h.head_mask.mask = Tensor({2, 4}, 0.0f);
  h.head_mask.mean = Tensor({2, 4, Dh + 1}, 0.0f);
  EXPECT_EQ(message(*decoder, h), "head_mean has shape [2, 4, " + std::to_string(Dh + 1) + "] but the model has 2 layers "
                                  "of 4 heads of " + std::to_string(Dh) + " dimensions: give [2, 4, " +
                                  std::to_string(Dh) + "]");
  h.head_mask.mean = Tensor({2, 4, Dh}, 0.0f);
  h.head_mask.mean.data[1] = NAN;
  EXPECT_EQ(message(*decoder, h), "head_mean holds nan: every value must be finite");
  HeadMasks cross;
  cross.cross_attn_head_mask.mask = Tensor({2, 4}, 1.0f);
  EXPECT_EQ(message(*decoder, cross), "decoder_head_mask and cross_attn_head_mask are for encoder-decoder models: a "
                                      "decoder model has one stack, masked by head_mask");
  const auto seq2seq = golden_model(g, golden_case("model_head_mask", "head_mask_02"));
  EXPECT_EQ(message(*seq2seq, cross), "ok");
  cross.decoder_head_mask.mask = Tensor({2, 3}, 1.0f);
  EXPECT_NE(message(*seq2seq, cross).find("decoder_head_mask has shape [2, 3]"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------- means

// head_means averages the Trace's per-head context vectors over every position of every sequence.
TEST(HeadMeans, AverageTheContextVectorsOfTheTrace) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  for (const std::string id : {"head_mask_01", "head_mask_02"}) {
    const auto model = golden_model(g, golden_case("model_head_mask", id));
    const ModelConfig& c = model->config;
    const bool seq2seq = c.arch == Arch::kEncoderDecoder;
    const std::vector<std::vector<int32_t>> seqs = {{3, 4, 5}, {6, 2, 1, 7, 3}, {5}};
    const std::vector<std::vector<int32_t>> tgts = seq2seq ? std::vector<std::vector<int32_t>>{{1, 2}, {3}, {4, 5, 6, 7}}
                                                           : std::vector<std::vector<int32_t>>{};
    HeadMasks means;
    const Status st = head_means(*model, seqs, tgts, &means);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_FALSE(means.any());  // means only: the user chooses the heads
    const int64_t H = c.layer.nhead, Dh = c.d_model() / H;
    // The same sums from the Trace of one forward pass per sequence.
    std::map<std::string, std::vector<double>> sums;
    std::map<std::string, int64_t> counts;
    ModelCache cache;
    for (size_t i = 0; i < seqs.size(); ++i) {
      const int64_t L = static_cast<int64_t>(seqs[i].size());
      if (seq2seq) model->forward_seq2seq(cache, seqs[i], L, tgts[i], static_cast<int64_t>(tgts[i].size()), 1, ForwardContext());
      else model->forward(cache, seqs[i], 1, L, ForwardContext());
      TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& t) {
        if (!ends_with(name, "attn.heads")) return;
        const std::string kind = name.find("multihead_attn") != std::string::npos ? "cross"
                                 : (seq2seq && name.rfind("decoder.", 0) == 0) ? "decoder" : "stack";
        const int64_t layer = std::stoll(name.substr(name.find("layers.") + 7));
        auto& s = sums[kind];
        s.resize(static_cast<size_t>((kind == "stack" ? c.num_layers : c.num_decoder_layers) * H * Dh));
        const int64_t T = t.dim(2);
        for (int64_t h = 0; h < H; ++h)
          for (int64_t r = 0; r < T; ++r)
            for (int64_t d = 0; d < Dh; ++d) s[static_cast<size_t>((layer * H + h) * Dh + d)] += t.data[static_cast<size_t>((h * T + r) * Dh + d)];
        if (layer == 0) counts[kind] += T;
      });
    }
    const std::pair<const char*, const Tensor*> kinds[] = {
        {"stack", &means.head_mask.mean}, {"decoder", &means.decoder_head_mask.mean}, {"cross", &means.cross_attn_head_mask.mean}};
    for (const auto& [kind, mean] : kinds) {
      if (!sums.count(kind)) {
        EXPECT_TRUE(mean->data.empty()) << kind;
        continue;
      }
      ASSERT_EQ(mean->numel(), static_cast<int64_t>(sums[kind].size())) << kind;
      EXPECT_EQ(mean->dim(1), H);
      for (size_t k = 0; k < sums[kind].size(); ++k)
        EXPECT_NEAR(mean->data[k], sums[kind][k] / static_cast<double>(counts[kind]), 1e-6) << id << " " << kind << " " << k;
    }
    // The means plug straight into a forward pass (with a mask saying which heads they replace).
    means.head_mask.mask = Tensor({c.num_layers, H}, 0.0f);
    EXPECT_TRUE(model->check_head_masks(&means).ok());
  }
}

TEST(HeadMeans, BadInputGetsMessages) {
  const GoldenFile& g = GoldenFile::get("model_head_mask");
  const auto decoder = golden_model(g, golden_case("model_head_mask", "head_mask_01"));
  const auto seq2seq = golden_model(g, golden_case("model_head_mask", "head_mask_02"));
  HeadMasks out;
  EXPECT_EQ(head_means(*decoder, {}, {}, &out).message(), "headMeans: give at least one sequence");
  EXPECT_EQ(head_means(*decoder, {{1, 2}, {1, 99}}, {}, &out).message(),
            "headMeans: sequence 1: token id 99 is outside the vocabulary [0, " +
                std::to_string(decoder->config.vocab_size) + ")");
  EXPECT_EQ(head_means(*decoder, {{1, 2}}, {{1}}, &out).message(), "headMeans: tgts are for encoder-decoder models only");
  EXPECT_EQ(head_means(*seq2seq, {{1, 2}}, {}, &out).message(),
            "headMeans: an encoder-decoder model needs one decoder input (tgts) per sequence: got 0 for 1");
  EXPECT_EQ(head_means(*seq2seq, {{1, 2}}, {{}}, &out).message(), "headMeans: sequence 0: tgt: the sequence is empty");
}

}  // namespace
}  // namespace attn::test
