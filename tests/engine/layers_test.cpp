// Layers and models: PyTorch parameter names, initialization, input validation, the Trace, train/eval.
#include <cmath>
#include <set>

#include "core/view.h"
#include "models/model.h"
#include "test_util.h"

namespace attn {
namespace {

std::set<std::string> names_of(const std::function<void(const ParamVisitor&)>& visit) {
  std::set<std::string> s;
  visit([&](const std::string& n, Param&) { s.insert(n); });
  return s;
}

std::set<std::string> keys(const TensorMap& m) {
  std::set<std::string> s;
  for (const auto& kv : m) s.insert(kv.first);
  return s;
}

TEST(Names, MatchPyTorchStateDicts) {
  // The golden files hold real PyTorch state_dicts: our modules must name their parameters identically.
  const auto& mha_g = test::GoldenFile::get("mha");
  for (const std::string id : {"mha_00", "mha_05", "mha_03"}) {
    const Json& c = test::golden_case("mha", id);
    MhaConfig mc;
    mc.embed_dim = static_cast<int64_t>(c.number_or("embed_dim", 0));
    mc.num_heads = static_cast<int64_t>(c.number_or("num_heads", 0));
    mc.kdim = static_cast<int64_t>(c.number_or("kdim", 0));
    mc.vdim = static_cast<int64_t>(c.number_or("vdim", 0));
    mc.bias = c.bool_or("bias", true);
    MultiheadAttention m(mc);
    EXPECT_EQ(names_of([&](const ParamVisitor& f) { m.visit("", f); }), keys(mha_g.params(id))) << id;
  }
  const auto& dec = test::GoldenFile::get("decoder_stack");
  const Json& c = dec.cases()[0];
  LayerConfig lc;
  lc.d_model = static_cast<int64_t>(c.number_or("d_model", 0));
  lc.nhead = static_cast<int64_t>(c.number_or("nhead", 0));
  lc.dim_feedforward = static_cast<int64_t>(c.number_or("dim_feedforward", 0));
  TransformerDecoder d(lc, static_cast<int64_t>(c.number_or("num_layers", 0)), c.bool_or("norm", false));
  EXPECT_EQ(names_of([&](const ParamVisitor& f) { d.visit("", f); }), keys(dec.params(c.string_or("id", ""))));
}

TEST(Init, FollowsPyTorchDefaults) {
  MhaConfig mc;
  mc.embed_dim = 64;
  mc.num_heads = 4;
  MultiheadAttention m(mc);
  Rng rng(3);
  m.reset_parameters(rng);
  const float xavier = std::sqrt(6.0f / (64 + 192));
  float mx = 0;
  for (float x : m.in_proj_weight.value.data) mx = std::max(mx, std::fabs(x));
  EXPECT_LE(mx, xavier);
  EXPECT_GT(mx, 0.9f * xavier);
  for (float x : m.in_proj_bias.value.data) EXPECT_EQ(x, 0.0f);
  for (float x : m.out_proj.bias.value.data) EXPECT_EQ(x, 0.0f);
  for (float x : m.out_proj.weight.value.data) EXPECT_LE(std::fabs(x), 1.0f / 8.0f);
  // Same seed, same weights.
  MultiheadAttention m2(mc);
  Rng rng2(3);
  m2.reset_parameters(rng2);
  EXPECT_EQ(m.in_proj_weight.value.data, m2.in_proj_weight.value.data);
}

MhaArgs small_mha() {
  MhaArgs a;
  a.config.embed_dim = 4;
  a.config.num_heads = 2;
  MultiheadAttention m(a.config);
  Rng rng(1);
  m.reset_parameters(rng);
  m.visit("", [&](const std::string& n, Param& p) { a.params[n] = p.value; });
  a.batch_first = true;
  a.query = a.key = a.value = Tensor({1, 3, 4}, 0.5f);
  return a;
}

TEST(Validation, ClearMessagesForBadInput) {
  MhaResult r;
  MhaArgs a = small_mha();
  a.config.num_heads = 3;
  EXPECT_NE(multihead_attention(a, &r).message().find("divisible by num_heads"), std::string::npos);
  a = small_mha();
  a.query = Tensor({1, 3, 5});
  EXPECT_NE(multihead_attention(a, &r).message().find("embed_dim is 4"), std::string::npos);
  a = small_mha();
  a.params.erase("in_proj_bias");
  EXPECT_NE(multihead_attention(a, &r).message().find("missing parameter 'in_proj_bias'"), std::string::npos);
  a = small_mha();
  a.params["extra"] = Tensor({1});
  EXPECT_NE(multihead_attention(a, &r).message().find("unexpected parameter 'extra'"), std::string::npos);
  a = small_mha();
  a.params["in_proj_weight"] = Tensor({4, 4});
  EXPECT_NE(multihead_attention(a, &r).message().find("has shape [4, 4] but the model expects [12, 4]"),
            std::string::npos);
  a = small_mha();
  a.attn_mask.values = Tensor({2, 2});
  EXPECT_NE(multihead_attention(a, &r).message().find("attn_mask: expected shape [3, 3]"), std::string::npos);
  a = small_mha();
  a.query = Tensor({3});
  EXPECT_NE(multihead_attention(a, &r).message().find("query: expected a 3-d"), std::string::npos);
  a = small_mha();
  a.query = a.key = a.value = Tensor({1, 0, 4});
  EXPECT_NE(multihead_attention(a, &r).message().find("empty"), std::string::npos);

  SdpaArgs s;
  SdpaResult sr;
  s.query = Tensor({2, 3});
  s.key = Tensor({4, 3});
  s.value = Tensor({5, 2});
  EXPECT_NE(scaled_dot_product_attention(s, &sr).message().find("as many rows as key"), std::string::npos);
  s.value = Tensor({4, 2});
  s.is_causal = true;
  s.attn_mask.values = Tensor({2, 4});
  EXPECT_NE(scaled_dot_product_attention(s, &sr).message().find("is_causal"), std::string::npos);
  s.is_causal = false;
  s.attn_mask.values = Tensor({3, 4});
  EXPECT_NE(scaled_dot_product_attention(s, &sr).message().find("cannot be broadcast"), std::string::npos);
}

TEST(Dropout, TrainModeDropsWeightsEvalModeDoesNot) {
  MhaArgs a = small_mha();
  a.config.dropout = 0.5f;
  a.query = a.key = a.value = Tensor({1, 16, 4}, 0.1f);
  MhaResult eval, train1, train2, train3;
  ASSERT_TRUE(multihead_attention(a, &eval).ok());
  EXPECT_TRUE(eval.trace.dropped.data.empty());
  a.training = true;
  a.seed = 9;
  ASSERT_TRUE(multihead_attention(a, &train1).ok());
  ASSERT_TRUE(multihead_attention(a, &train2).ok());
  a.seed = 10;
  ASSERT_TRUE(multihead_attention(a, &train3).ok());
  EXPECT_EQ(train1.attn_output.data, train2.attn_output.data);  // seeded: reproducible
  EXPECT_NE(train1.attn_output.data, train3.attn_output.data);
  int zeros = 0;
  for (float x : train1.trace.dropped.data) zeros += x == 0.0f;
  EXPECT_NEAR(zeros / static_cast<double>(train1.trace.dropped.numel()), 0.5, 0.08);
  EXPECT_EQ(train1.trace.weights.data, eval.trace.weights.data);  // softmax itself is unchanged
}

TEST(Model, TraceHasEveryLayerAndHeadUnderStableNames) {
  ModelConfig c;
  c.vocab_size = 50;
  c.num_layers = 2;
  c.layer.d_model = 16;
  c.layer.nhead = 4;
  c.layer.dim_feedforward = 32;
  c.layer.dropout = 0.0f;
  c.head_size = 50;
  TransformerModel m(c);
  Rng rng(1);
  m.reset_parameters(rng);
  ModelCache cache;
  ForwardContext ctx;
  ctx.record_scores = true;
  const std::vector<int32_t> ids = {1, 2, 3, 4, 5};
  ASSERT_TRUE(m.check_ids(ids, 5, c.vocab_size).ok());
  m.forward(cache, ids, 1, 5, ctx);
  std::map<std::string, Shape> names;
  TransformerModel::visit_trace(cache, [&](const std::string& n, const Tensor& t) { names[n] = t.shape; });
  EXPECT_EQ(names.at("encoder.layers.1.self_attn.weights"), (Shape{1, 4, 5, 5}));
  EXPECT_EQ(names.at("encoder.layers.0.self_attn.q"), (Shape{1, 4, 5, 4}));
  EXPECT_EQ(names.at("encoder.layers.0.self_attn.scores"), (Shape{1, 4, 5, 5}));
  EXPECT_EQ(names.at("logits"), (Shape{1, 5, 50}));
  EXPECT_EQ(names.count("encoder.layers.0.self_attn.mask"), 0u);  // no mask -> no entry
  EXPECT_NE(m.check_ids({1, 99}, 2, c.vocab_size).message().find("outside the vocabulary"), std::string::npos);
  c.causal = true;
  TransformerModel causal(c);
  causal.reset_parameters(rng);
  causal.forward(cache, ids, 1, 5, ctx);
  const Tensor& w = cache.encoder.layers[0].self_attn.weights;
  for (int h = 0; h < 4; ++h)
    for (int i = 0; i < 5; ++i)
      for (int j = i + 1; j < 5; ++j) EXPECT_EQ(w.data[static_cast<size_t>(((h * 5) + i) * 5 + j)], 0.0f);
  EXPECT_EQ(cache.encoder.layers[0].self_attn.mask.shape, (Shape{1, 1, 5, 5}));  // shared by the heads
}

}  // namespace
}  // namespace attn

namespace attn {
namespace {

TEST(Trace, PerHeadViewsShareTheCacheMemory) {
  MhaConfig mc;
  mc.embed_dim = 8;
  mc.num_heads = 2;
  MultiheadAttention m(mc);
  Rng rng(4);
  m.reset_parameters(rng);
  Tensor x({2, 3, 8});
  init_normal(x, 1.0, rng);
  AttentionCache c;
  AttnMasks masks;
  masks.causal = true;
  m.forward(c, x, x, x, masks, ForwardContext());
  auto w = nd(c.weights);  // [B, H, L, S] without a copy
  auto head = xt::view(w, 1, 1, xt::all(), xt::all());
  EXPECT_EQ(&head(0, 0), c.weights.ptr() + ((1 * 2 + 1) * 3) * 3);
  EXPECT_EQ(head(0, 1), 0.0f);  // causal: query 0 cannot see key 1
  EXPECT_NEAR(static_cast<float>(xt::sum(xt::view(head, 2, xt::all()))()), 1.0f, 1e-6f);
  const Tensor mean = mean_over_heads(c.weights);
  EXPECT_EQ(mean.shape, (Shape{2, 3, 3}));
  EXPECT_FLOAT_EQ(mean.data[2 * 3 + 1 + 9], 0.5f * (c.weights.data[9 * 2 + 2 * 3 + 1] + c.weights.data[9 * 3 + 2 * 3 + 1]));
}


// The layer Trace holds every step, so the page can show layer norm and the feed-forward network from the same
// numbers the layer used: norm statistics per token, the activation applied elementwise, the residual sums.
TEST(Trace, EncoderLayerTraceHasNormsResidualsAndFeedForward) {
  for (const bool norm_first : {true, false}) {
    LayerConfig lc;
    lc.d_model = 8;
    lc.nhead = 2;
    lc.dim_feedforward = 16;
    lc.dropout = 0.0f;
    lc.norm_first = norm_first;
    TransformerEncoderLayer layer(lc);
    Rng rng(7);
    layer.reset_parameters(rng);
    Tensor x({1, 3, 8});
    init_normal(x, 2.0, rng);
    EncoderLayerCache c;
    layer.forward(c, x, AttnMasks(), ForwardContext());
    std::map<std::string, Shape> names;
    visit_trace(c, "", [&](const std::string& n, const Tensor& t) { names[n] = t.shape; });
    for (const char* n : {"input", "norm1.out", "norm1.mean", "norm1.rstd", "self_attn.weights", "resid1", "norm2.out",
                          "ff.pre", "ff.hidden", "ff.output", "resid2", "output"})
      EXPECT_EQ(names.count(n), 1u) << n;
    EXPECT_EQ(names.at("ff.pre"), (Shape{1, 3, 16}));
    EXPECT_EQ(names.at("norm1.mean"), (Shape{3}));
    for (size_t i = 0; i < c.ff.pre.data.size(); ++i) EXPECT_EQ(c.ff.hidden.data[i], std::max(0.0f, c.ff.pre.data[i]));
    // norm1 normalizes the input (pre-norm) or input + attention (post-norm): its mean is that row's mean.
    const Tensor& normalized = norm_first ? c.input : c.resid1;
    for (int64_t r = 0; r < 3; ++r) {
      double mean = 0;
      for (int64_t e = 0; e < 8; ++e) mean += normalized.data[static_cast<size_t>(r * 8 + e)];
      EXPECT_NEAR(c.norm1.mean.data[static_cast<size_t>(r)], mean / 8, 1e-5);
    }
  }
}

}  // namespace
}  // namespace attn
