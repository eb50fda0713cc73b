// Parity with PyTorch: every golden case of tests/golden (made by make_golden.py) through the engine's
// PyTorch-style entry points, every output and every attention weight compared to the float64 reference.
#include <cmath>

#include "models/model.h"
#include "ops/activation.h"
#include "ops/embedding.h"
#include "ops/layernorm.h"
#include "test_util.h"

namespace attn::test {
namespace {

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// ------------------------------------------------------------------------------------------------------ SDPA
class SdpaGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(SdpaGolden, MatchesTorch) {
  const GoldenFile& g = GoldenFile::get("sdpa");
  const Json& c = golden_case("sdpa", GetParam());
  const std::string id = GetParam();
  SdpaArgs a;
  a.query = g.tensor(id + ".in.query");
  a.key = g.tensor(id + ".in.key");
  a.value = g.tensor(id + ".in.value");
  a.attn_mask = golden_mask(g, c, "attn_mask");
  a.is_causal = c.bool_or("is_causal", false);
  a.scale.scaled = c.bool_or("scaled", true);
  a.scale.scale = static_cast<float>(c.number_or("scale", 0.0));
  a.scale.temperature = static_cast<float>(c.number_or("temperature", 1.0));
  SdpaResult r;
  Status st = scaled_dot_product_attention(a, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  expect_close_golden(r.output, g, id + ".out.output", "sdpa output");
  expect_close_golden(r.weights, g, id + ".out.weights", "sdpa weights");
  expect_close_golden(r.scores, g, id + ".out.scores", "sdpa scores");
  expect_close_golden(r.scaled, g, id + ".out.scaled", "sdpa scores");
  expect_weight_rows(r.weights, id);
}
INSTANTIATE_TEST_SUITE_P(Golden, SdpaGolden, ::testing::ValuesIn(golden_case_ids("sdpa")), case_name);

// ------------------------------------------------------------------------------------------------------- MHA
class MhaGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(MhaGolden, MatchesTorch) {
  const GoldenFile& g = GoldenFile::get("mha");
  const Json& c = golden_case("mha", GetParam());
  const std::string id = GetParam();
  MhaArgs a;
  a.config.embed_dim = static_cast<int64_t>(c.number_or("embed_dim", 0));
  a.config.num_heads = static_cast<int64_t>(c.number_or("num_heads", 1));
  a.config.kdim = static_cast<int64_t>(c.number_or("kdim", 0));
  a.config.vdim = static_cast<int64_t>(c.number_or("vdim", 0));
  a.config.bias = c.bool_or("bias", true);
  a.batch_first = c.bool_or("batch_first", false);
  a.params = g.params(id);
  a.query = g.tensor(id + ".in.query");
  a.key = g.tensor(id + ".in.key");
  a.value = g.tensor(id + ".in.value");
  a.key_padding_mask = golden_mask(g, c, "key_padding_mask");
  a.attn_mask = golden_mask(g, c, "attn_mask");
  a.need_weights = c.bool_or("need_weights", true);
  a.average_attn_weights = c.bool_or("average_attn_weights", true);
  a.is_causal = c.bool_or("is_causal", false);
  MhaResult r;
  Status st = multihead_attention(a, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  expect_close_golden(r.attn_output, g, id + ".out.attn_output", "mha output");
  if (a.need_weights) {
    expect_close_golden(r.attn_output_weights, g, id + ".out.attn_output_weights", "mha weights");
  } else {
    EXPECT_TRUE(r.attn_output_weights.data.empty());
  }
  // The per-head weights of the trace, batch-first [B, H, L, S] (unbatched reference: [H, L, S]).
  Tensor per_head = r.trace.weights;
  if (c.bool_or("unbatched", false)) per_head.reshape(Shape(per_head.shape.begin() + 1, per_head.shape.end()));
  expect_close_golden(per_head, g, id + ".out.per_head_weights", "mha weights");
  expect_weight_rows(r.trace.weights, id);
}
INSTANTIATE_TEST_SUITE_P(Golden, MhaGolden, ::testing::ValuesIn(golden_case_ids("mha")), case_name);

// ------------------------------------------------------------------------------------- encoder / decoder layers
LayerArgs layer_args(const GoldenFile& g, const Json& c) {
  const std::string id = c.string_or("id", "");
  LayerArgs a;
  a.config.d_model = static_cast<int64_t>(c.number_or("d_model", 0));
  a.config.nhead = static_cast<int64_t>(c.number_or("nhead", 1));
  a.config.dim_feedforward = static_cast<int64_t>(c.number_or("dim_feedforward", 0));
  a.config.dropout = 0.0f;
  EXPECT_TRUE(parse_activation(c.string_or("activation", ""), &a.config.activation));
  a.config.layer_norm_eps = static_cast<float>(c.number_or("layer_norm_eps", 1e-5));
  a.config.norm_first = c.bool_or("norm_first", false);
  a.num_layers = static_cast<int64_t>(c.number_or("num_layers", 0));
  a.norm = c.bool_or("norm", false);
  a.batch_first = c.bool_or("batch_first", false);
  a.params = g.params(id);
  a.src = g.tensor(id + ".in.src");
  if (g.has(id + ".in.memory")) a.memory = g.tensor(id + ".in.memory");
  a.mask = golden_mask(g, c, "mask");
  a.key_padding_mask = golden_mask(g, c, "key_padding_mask");
  a.memory_mask = golden_mask(g, c, "memory_mask");
  a.memory_key_padding_mask = golden_mask(g, c, "memory_key_padding_mask");
  a.is_causal = c.bool_or("is_causal", false);
  return a;
}

void check_layer(const std::string& file, const std::string& id, bool decoder) {
  const GoldenFile& g = GoldenFile::get(file);
  const Json& c = golden_case(file, id);
  LayerArgs a = layer_args(g, c);
  LayerResult r;
  Status st = decoder ? transformer_decoder(a, &r) : transformer_encoder(a, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  expect_close_golden(r.output, g, id + ".out.output", file + " output");
  int weights_checked = 0;
  for (const auto& [name, t] : r.trace) {
    const std::string ref = id + ".out." + name;
    if (name.size() < 7 || name.compare(name.size() - 7, 7, "weights") != 0) continue;
    ASSERT_TRUE(g.has(ref)) << ref;
    expect_close_golden(t, g, ref, file + " weights");
    expect_weight_rows(t, ref);
    ++weights_checked;
  }
  EXPECT_EQ(weights_checked, static_cast<int>(std::max<int64_t>(a.num_layers, 1)) * (decoder ? 2 : 1));
}

class EncoderLayerGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(EncoderLayerGolden, MatchesTorch) { check_layer("encoder_layer", GetParam(), false); }
INSTANTIATE_TEST_SUITE_P(Golden, EncoderLayerGolden, ::testing::ValuesIn(golden_case_ids("encoder_layer")), case_name);

class DecoderLayerGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(DecoderLayerGolden, MatchesTorch) { check_layer("decoder_layer", GetParam(), true); }
INSTANTIATE_TEST_SUITE_P(Golden, DecoderLayerGolden, ::testing::ValuesIn(golden_case_ids("decoder_layer")), case_name);

class EncoderStackGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(EncoderStackGolden, MatchesTorch) { check_layer("encoder_stack", GetParam(), false); }
INSTANTIATE_TEST_SUITE_P(Golden, EncoderStackGolden, ::testing::ValuesIn(golden_case_ids("encoder_stack")), case_name);

class DecoderStackGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(DecoderStackGolden, MatchesTorch) { check_layer("decoder_stack", GetParam(), true); }
INSTANTIATE_TEST_SUITE_P(Golden, DecoderStackGolden, ::testing::ValuesIn(golden_case_ids("decoder_stack")), case_name);

// ---------------------------------------------------------------------------------------------- whole models
class ModelGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGolden, MatchesTorch) {
  const GoldenFile& g = GoldenFile::get("model");
  const Json& c = golden_case("model", GetParam());
  const std::string id = GetParam();
  const ModelConfig m = golden_model_config(c);
  ASSERT_TRUE(m.validate().ok()) << m.validate().message();
  TransformerModel model(m);
  Status st = load_state_dict_visit([&](const ParamVisitor& fn) { model.visit(fn); }, g.params(id));
  ASSERT_TRUE(st.ok()) << st.message();

  int64_t B, L, Bt, T;
  std::vector<int32_t> ids = golden_ids(g, id + ".in.ids", &B, &L);
  ModelCache cache;
  ForwardContext ctx;
  if (m.arch == Arch::kEncoderDecoder) {
    std::vector<int32_t> tgt = golden_ids(g, id + ".in.tgt", &Bt, &T);
    ASSERT_TRUE(model.check_ids(tgt, T, m.target_vocab()).ok());
    model.forward_seq2seq(cache, ids, L, tgt, T, B, ctx);
  } else {
    ASSERT_TRUE(model.check_ids(ids, L, m.vocab_size).ok());
    model.forward(cache, ids, B, L, ctx);
  }
  expect_close_golden(cache.logits, g, id + ".out.logits", "model logits");
  int weights = 0;
  TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& t) {
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".weights") == 0) {
      expect_weight_rows(t, id + " " + name);
      ++weights;
    }
  });
  EXPECT_GT(weights, 0);
}
INSTANTIATE_TEST_SUITE_P(Golden, ModelGolden, ::testing::ValuesIn(golden_case_ids("model")), case_name);

// ----------------------------------------------------------------------------------------- positional and ops
TEST(PositionalGolden, SinusoidalMatchesTheFormula) {
  const GoldenFile& g = GoldenFile::get("positional");
  for (const Json& c : g.cases()) {
    const std::string id = c.string_or("id", "");
    const Tensor pe = sinusoidal_encoding(static_cast<int64_t>(c.number_or("length", 0)),
                                          static_cast<int64_t>(c.number_or("d_model", 0)));
    expect_close_golden(pe, g, id + ".out.pe", "positional encoding");
  }
}

TEST(OpsGolden, LayerNormMatchesTorch) {
  const GoldenFile& g = GoldenFile::get("ops");
  int n = 0;
  for (const Json& c : g.cases()) {
    const std::string id = c.string_or("id", "");
    if (id.rfind("layernorm", 0) != 0) continue;
    const Tensor x = g.tensor(id + ".in.x"), w = g.tensor(id + ".param.weight"), b = g.tensor(id + ".param.bias");
    Tensor y(x.shape);
    layernorm_forward(y.ptr(), static_cast<float*>(nullptr), static_cast<float*>(nullptr), x.ptr(), w.ptr(), b.ptr(),
                      x.dim(0), x.dim(1), c.number_or("eps", 1e-5));
    expect_close_golden(y, g, id + ".out.y", "layernorm");
    ++n;
  }
  EXPECT_EQ(n, 4);
}

TEST(OpsGolden, ActivationsMatchTorch) {
  const GoldenFile& g = GoldenFile::get("ops");
  const Tensor x = g.tensor("activations_00.in.x");
  Tensor relu(x.shape), gelu(x.shape);
  activation_forward(relu.ptr(), x.ptr(), x.numel(), Activation::kRelu);
  activation_forward(gelu.ptr(), x.ptr(), x.numel(), Activation::kGelu);
  expect_close_golden(relu, g, "activations_00.out.relu", "activations");
  expect_close_golden(gelu, g, "activations_00.out.gelu", "activations");
}

}  // namespace
}  // namespace attn::test
