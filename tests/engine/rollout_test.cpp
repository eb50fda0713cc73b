// Attention rollout and flow (models/rollout.h) against tests/golden/rollout.safetensors (make_rollout.py: PyTorch
// for rollout, networkx's maximum flow for flow, in float64), their properties, and their messages on bad input.
#include <chrono>
#include <cmath>

#include "core/rng.h"
#include "models/rollout.h"
#include "test_util.h"

namespace attn::test {
namespace {

// The golden input [L, H, T, T] (or [L, 1, H, T, T]) as the engine takes it: one tensor per layer.
std::vector<Tensor> layers_of(const Tensor& all) {
  const Shape one(all.shape.begin() + 1, all.shape.end());
  const int64_t n = numel_of(one);
  std::vector<Tensor> out;
  for (int64_t l = 0; l < all.shape[0]; ++l)
    out.emplace_back(one, std::vector<float>(all.data.begin() + l * n, all.data.begin() + (l + 1) * n));
  return out;
}

class RolloutGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(RolloutGolden, MatchesReference) {
  const GoldenFile& g = GoldenFile::get("rollout");
  const Json& c = golden_case("rollout", GetParam());
  const std::string id = GetParam();
  const std::vector<Tensor> att = layers_of(g.tensor(id + ".in.attentions"));
  FlowOptions o;
  o.residual = c.number_or("residual", 0.5);
  o.head = static_cast<int64_t>(c.number_or("head", -1));
  o.layer = static_cast<int64_t>(c.number_or("layer", -1));
  o.normalize = c.bool_or("normalize", true);
  Tensor rollout, flow;
  Status st = attention_rollout(att, o, &rollout);
  ASSERT_TRUE(st.ok()) << st.message();
  expect_close_golden(rollout, g, id + ".out.rollout", "rollout");
  st = attention_flow(att, o, &flow);
  ASSERT_TRUE(st.ok()) << st.message();
  expect_close_golden(flow, g, id + ".out.flow", "flow");
}
INSTANTIATE_TEST_SUITE_P(Golden, RolloutGolden, ::testing::ValuesIn(golden_case_ids("rollout")),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Softmax rows of seeded logits, [1, H, T, T] per layer; causal: the upper triangle is 0.
std::vector<Tensor> random_layers(int64_t L, int64_t H, int64_t T, bool causal, uint64_t seed) {
  Rng rng(seed);
  std::vector<Tensor> out;
  for (int64_t l = 0; l < L; ++l) {
    Tensor w({1, H, T, T});
    for (int64_t r = 0; r < H * T; ++r) {
      float* row = w.ptr() + r * T;
      double sum = 0;
      for (int64_t j = 0; j < T; ++j) sum += row[j] = causal && j > r % T ? 0.0f : static_cast<float>(std::exp(2.0 * rng.normal()));
      for (int64_t j = 0; j < T; ++j) row[j] = static_cast<float>(row[j] / sum);
    }
    out.push_back(std::move(w));
  }
  return out;
}

// Through one layer there is one path from j to i, the edge A'_1[i, j]: flow equals rollout.
TEST(Rollout, FlowThroughOneLayerIsTheResidualAttention) {
  const std::vector<Tensor> att = random_layers(3, 2, 9, false, 7);
  FlowOptions o;
  o.layer = 0;
  Tensor rollout, flow;
  ASSERT_TRUE(attention_rollout(att, o, &rollout).ok());
  ASSERT_TRUE(attention_flow(att, o, &flow).ok());
  for (int64_t k = 0; k < flow.numel(); ++k) EXPECT_NEAR(flow.data[k], rollout.data[k], 1e-6) << k;
}

// The paper's size: 40 tokens through 12 layers of causal attention. Rows sum to 1, nothing flows from a later token,
// and it takes well under a second natively (the time is printed; the check is left to the native build's reader).
TEST(Rollout, FlowOfFortyTokensThroughTwelveCausalLayers) {
  const std::vector<Tensor> att = random_layers(12, 4, 40, true, 11);
  Tensor flow;
  const auto t0 = std::chrono::steady_clock::now();
  Status st = attention_flow(att, FlowOptions{}, &flow);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(st.ok()) << st.message();
  std::printf("[ flow     ] 40 tokens, 12 causal layers: %.3f s\n", s);
  for (int64_t i = 0; i < 40; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < 40; ++j) {
      sum += flow.data[i * 40 + j];
      if (j > i) {
        EXPECT_EQ(flow.data[i * 40 + j], 0.0f) << i << ", " << j;
      }
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << i;
  }
}

// Every row of the rollout sums to 1 when every A' row does; one head alone is rolled out the same way.
TEST(Rollout, RowsSumToOne) {
  const std::vector<Tensor> att = random_layers(4, 3, 8, false, 3);
  for (int64_t head : {-1, 0, 2}) {
    RolloutOptions o;
    o.head = head;
    Tensor r;
    ASSERT_TRUE(attention_rollout(att, o, &r).ok());
    EXPECT_EQ(r.shape, (Shape{4, 8, 8}));
    expect_weight_rows(r, "rollout head " + std::to_string(head));
  }
}

// Bad input: every message names the problem.
void expect_error(const std::vector<Tensor>& att, const FlowOptions& o, const std::string& part) {
  Tensor out;
  Status st = attention_flow(att, o, &out);
  ASSERT_FALSE(st.ok()) << "expected an error containing: " << part;
  EXPECT_NE(st.message().find(part), std::string::npos) << st.message();
}

TEST(Rollout, BadInputHasClearMessages) {
  const std::vector<Tensor> good = random_layers(2, 2, 4, false, 5);
  expect_error({}, {}, "attentions is empty");
  expect_error({Tensor({4, 4})}, {}, "attentions[0] must be [H, T, T] or [1, H, T, T]");
  expect_error({Tensor({2, 2, 4, 4})}, {}, "attentions[0] must be [H, T, T] or [1, H, T, T]");
  expect_error({Tensor({2, 3, 5})}, {}, "not square: rollout and flow need self-attention");
  expect_error({good[0], Tensor({1, 2, 5, 5})}, {}, "attentions[1] is [1, 2, 5, 5] but attentions[0] is [1, 2, 4, 4]");
  expect_error({Tensor({0, 3, 3})}, {}, "has no heads");
  expect_error({Tensor({2, 0, 0})}, {}, "has no tokens");
  std::vector<Tensor> bad = good;
  bad[1].data[1 * 16 + 2 * 4 + 3] = std::nanf("");
  expect_error(bad, {}, "attentions[1] has a NaN at head 1, query 2, key 3");
  bad[1].data[1 * 16 + 2 * 4 + 3] = -0.25f;
  expect_error(bad, {}, "attentions[1] has a negative weight (-0.250000) at head 1, query 2, key 3");
  bad[1].data[1 * 16 + 2 * 4 + 3] = INFINITY;
  expect_error(bad, {}, "infinite weight");
  FlowOptions o;
  o.residual = 1.5;
  expect_error(good, o, "residual must be between 0 and 1, got 1.5");
  o = {};
  o.head = 2;
  expect_error(good, o, "head 2 does not exist: the attentions have 2 heads (0 to 1), or -1 for their mean");
  o = {};
  o.layer = 2;
  expect_error(good, o, "layer 2 does not exist: the attentions have 2 layers (0 to 1), or -1 for the last");
  expect_error(random_layers(12, 1, 49, false, 1), {}, "attention flow through 12 layers takes at most 48 tokens, and there are 49");
  // Rollout has no token limit, and the same checks.
  Tensor r;
  EXPECT_TRUE(attention_rollout(random_layers(12, 1, 49, false, 1), {}, &r).ok());
  EXPECT_FALSE(attention_rollout(bad, {}, &r).ok());
}

TEST(Rollout, TokenLimitFollowsTheDepth) {
  EXPECT_EQ(max_flow_tokens(12), 48);
  EXPECT_EQ(max_flow_tokens(6), 57);
  EXPECT_EQ(max_flow_tokens(2), 75);
  EXPECT_GT(max_flow_tokens(1), max_flow_tokens(2));
}

// An all-zero row (a query whose keys were all masked) keeps itself when the residual is on, and passes nothing
// on when it is off.
TEST(Rollout, ZeroRows) {
  std::vector<Tensor> att = random_layers(1, 1, 3, false, 9);
  for (int64_t j = 0; j < 3; ++j) att[0].data[3 + j] = 0;  // query 1
  Tensor r;
  ASSERT_TRUE(attention_rollout(att, {}, &r).ok());
  EXPECT_EQ(r.data[3], 0.0f);
  EXPECT_EQ(r.data[4], 1.0f);
  EXPECT_EQ(r.data[5], 0.0f);
  RolloutOptions raw;
  raw.residual = 0;
  ASSERT_TRUE(attention_rollout(att, raw, &r).ok());
  for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(r.data[3 + j], 0.0f);
}

}  // namespace
}  // namespace attn::test
