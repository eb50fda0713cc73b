// Gradient checks: every op's analytic backward against central differences of its own forward.
//  - ops run in double (the same templated code as the float engine): tight tolerances;
//  - layers and whole models run in float32 with dropout ON (PyTorch's generator differs, so these paths have
//    no torch golden): looser tolerances, a sample of coordinates per tensor.
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "models/model.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/cross_entropy.h"
#include "ops/dropout.h"
#include "ops/embedding.h"
#include "ops/layernorm.h"
#include "ops/linear.h"
#include "ops/softmax.h"
#include "test_util.h"

namespace attn {
namespace {

using Vec = std::vector<double>;
const double kNegInf = -std::numeric_limits<double>::infinity();

Vec randn(size_t n, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  Vec v(n);
  for (double& x : v) x = rng.normal() * scale;
  return v;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Checks d f / d x (analytic) against central differences, in double.
void check_grad(const std::function<double()>& f, Vec& x, const Vec& analytic, const std::string& what,
                double tol = 1e-6) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const double eps = 1e-6;
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + eps;
    const double up = f();
    x[i] = saved - eps;
    const double down = f();
    x[i] = saved;
    const double numeric = (up - down) / (2 * eps);
    const double err = std::fabs(numeric - analytic[i]) / std::max(1.0, std::fabs(numeric));
    worst = std::max(worst, err);
    ASSERT_LE(err, tol) << what << "[" << i << "]: numeric " << numeric << " analytic " << analytic[i];
  }
  test::error_report()["gradcheck (double)"].max_abs = std::max(test::error_report()["gradcheck (double)"].max_abs, worst);
  test::error_report()["gradcheck (double)"].values += static_cast<long>(x.size());
}

TEST(GradCheck, Linear) {
  const int64_t N = 3, in = 4, out = 5;
  Vec x = randn(N * in, 1), w = randn(out * in, 2), b = randn(out, 3), G = randn(N * out, 4);
  auto f = [&] {
    Vec y(N * out);
    linear_forward(y.data(), x.data(), w.data(), b.data(), N, in, out);
    return dot(y, G);
  };
  Vec dx(N * in, 0), dw(out * in, 0), db(out, 0);
  linear_backward(dx.data(), dw.data(), db.data(), G.data(), x.data(), w.data(), N, in, out);
  check_grad(f, x, dx, "dx");
  check_grad(f, w, dw, "dw");
  check_grad(f, b, db, "db");
}

TEST(GradCheck, SoftmaxWithMaskedEntriesAndAFullyMaskedRow) {
  const int64_t N = 3, C = 4;
  Vec x = randn(N * C, 5), G = randn(N * C, 6);
  x[1] = kNegInf;                                  // one masked key
  for (int j = 0; j < C; ++j) x[2 * C + j] = kNegInf;  // a fully masked row
  auto f = [&] {
    Vec w(N * C);
    softmax_forward(w.data(), x.data(), N, C);
    return dot(w, G);
  };
  Vec w(N * C), dx(N * C);
  softmax_forward(w.data(), x.data(), N, C);
  softmax_backward(dx.data(), G.data(), w.data(), N, C);
  for (int j = 0; j < C; ++j) EXPECT_EQ(dx[2 * C + j], 0.0);  // no gradient through a masked row
  EXPECT_EQ(dx[1], 0.0);
  // Finite differences on the finite logits only.
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) continue;
    const double saved = x[i];
    x[i] = saved + 1e-6;
    const double up = f();
    x[i] = saved - 1e-6;
    const double down = f();
    x[i] = saved;
    EXPECT_NEAR((up - down) / 2e-6, dx[i], 1e-7) << i;
  }
}

TEST(GradCheck, AttentionWithMaskScaleTemperatureAndDropoutMultipliers) {
  const int64_t L = 3, S = 4, D = 5, Dv = 2;
  Vec q = randn(L * D, 7), k = randn(S * D, 8), v = randn(S * Dv, 9), G = randn(L * Dv, 10);
  Vec mask(L * S, 0.0);
  mask[1] = kNegInf;                                        // query 0 cannot see key 1
  for (int j = 0; j < S; ++j) mask[2 * S + j] = kNegInf;    // query 2 sees nothing
  mask[S + 3] = 0.7;                                        // a float bias
  Vec keep(L * S);
  Rng rng(11);
  for (double& x : keep) x = rng.uniform() < 0.3 ? 0.0 : 1.0 / 0.7;
  const double factor = 0.37 / 1.6;  // custom scale and a temperature
  // f = sum(G * ((softmax(q k^T * factor + mask) * keep) v)), built from the ops.
  auto f = [&] {
    Vec w(L * S), out(L * Dv);
    AttentionSlice<double> s;
    s.weights = w.data();
    attention_forward(out.data(), s, q.data(), k.data(), v.data(), mask.data(), factor, 0.0f, nullptr, L, S, D, Dv);
    for (int64_t i = 0; i < L * S; ++i) w[i] *= keep[i];
    MapT<double>(out.data(), L, Dv).noalias() = CMapT<double>(w.data(), L, S) * CMapT<double>(v.data(), S, Dv);
    return dot(out, G);
  };
  Vec w(L * S), out(L * Dv), dropped(L * S);
  AttentionSlice<double> s;
  s.weights = w.data();
  attention_forward(out.data(), s, q.data(), k.data(), v.data(), mask.data(), factor, 0.0f, nullptr, L, S, D, Dv);
  for (int64_t i = 0; i < L * S; ++i) dropped[i] = w[i] * keep[i];
  Vec dq(L * D, 0), dk(S * D, 0), dv(S * Dv, 0);
  attention_backward(dq.data(), dk.data(), dv.data(), G.data(), w.data(), dropped.data(), keep.data(), q.data(),
                     k.data(), v.data(), factor, L, S, D, Dv);
  check_grad(f, q, dq, "dq");
  check_grad(f, k, dk, "dk");
  check_grad(f, v, dv, "dv");
  for (int64_t d = 0; d < D; ++d) EXPECT_EQ(dq[2 * D + d], 0.0);  // the fully masked query gets no gradient
}

TEST(GradCheck, LayerNorm) {
  const int64_t N = 3, E = 6;
  Vec x = randn(N * E, 12, 2.0), g = randn(E, 13), b = randn(E, 14), G = randn(N * E, 15);
  auto f = [&] {
    Vec y(N * E);
    layernorm_forward(y.data(), static_cast<double*>(nullptr), static_cast<double*>(nullptr), x.data(), g.data(),
                      b.data(), N, E, 1e-5);
    return dot(y, G);
  };
  Vec y(N * E), mean(N), rstd(N), dx(N * E, 0), dg(E, 0), db(E, 0);
  layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, E, 1e-5);
  layernorm_backward(dx.data(), dg.data(), db.data(), G.data(), x.data(), mean.data(), rstd.data(), g.data(), N, E);
  check_grad(f, x, dx, "dx");
  check_grad(f, g, dg, "dgamma");
  check_grad(f, b, db, "dbeta");
}

TEST(GradCheck, Activations) {
  for (Activation a : {Activation::kRelu, Activation::kGelu, Activation::kGeluTanh, Activation::kSilu}) {
    Vec x = randn(40, 16, 2.0), G = randn(40, 17);
    for (double& v : x)
      if (std::fabs(v) < 1e-3) v = 0.5;  // relu is not differentiable at 0
    auto f = [&] {
      Vec y(x.size());
      activation_forward(y.data(), x.data(), static_cast<int64_t>(x.size()), a);
      return dot(y, G);
    };
    Vec dx(x.size(), 0);
    activation_backward(dx.data(), G.data(), x.data(), static_cast<int64_t>(x.size()), a);
    check_grad(f, x, dx, activation_name(a));
  }
}

TEST(GradCheck, EmbeddingWithRepeatedIds) {
  const int64_t V = 5, E = 3;
  const std::vector<int32_t> ids = {1, 3, 1, 0};
  Vec table = randn(V * E, 18), G = randn(ids.size() * E, 19);
  auto f = [&] {
    Vec out(ids.size() * E);
    embedding_forward(out.data(), ids.data(), table.data(), static_cast<int64_t>(ids.size()), E, 2.0);
    return dot(out, G);
  };
  Vec dtable(V * E, 0);
  embedding_backward(dtable.data(), G.data(), ids.data(), static_cast<int64_t>(ids.size()), E, 2.0);
  check_grad(f, table, dtable, "dtable");
  for (int64_t j = 0; j < E; ++j) EXPECT_EQ(dtable[4 * E + j], 0.0);  // unused token: no gradient
}

TEST(GradCheck, CrossEntropyWithIgnoreIndexAndLabelSmoothing) {
  const int64_t N = 4, C = 5;
  const std::vector<int32_t> t = {2, -100, 0, 4};
  for (double eps : {0.0, 0.1}) {
    Vec x = randn(N * C, 20, 2.0);
    int64_t count = 0;
    auto f = [&] { return cross_entropy_forward(static_cast<double*>(nullptr), &count, x.data(), t.data(), N, C, -100, eps); };
    Vec probs(N * C), dx(N * C, 0);
    cross_entropy_forward(probs.data(), &count, x.data(), t.data(), N, C, -100, eps);
    EXPECT_EQ(count, 3);
    cross_entropy_backward(dx.data(), probs.data(), t.data(), N, C, -100, eps, count, 1.0);
    check_grad(f, x, dx, "dlogits");
  }
}

TEST(GradCheck, DropoutPassesGradientThroughKeptElementsOnly) {
  std::vector<float> x(1000, 1.0f), y(1000), keep(1000), dy(1000, 2.0f), dx(1000, 0.0f);
  Rng rng(3);
  dropout_forward(y.data(), keep.data(), x.data(), 1000, 0.4f, rng);
  dropout_backward(dx.data(), dy.data(), keep.data(), 1000);
  for (int i = 0; i < 1000; ++i) EXPECT_FLOAT_EQ(dx[i], y[i] == 0.0f ? 0.0f : 2.0f / 0.6f);
}

// ------------------------------------------------------------------------------------- layers, float32, dropout on

// Checks a sample of d f / d t for a float tensor t, with central differences of a float forward.
void check_float_grad(const std::function<double()>& f, Tensor& t, const Tensor& analytic, const std::string& what,
                      int samples = 12) {
  ASSERT_EQ(t.numel(), analytic.numel()) << what;
  Rng pick(static_cast<uint64_t>(t.numel()) * 7919u);
  const float eps = 2e-2f;
  for (int s = 0; s < samples; ++s) {
    const size_t i = pick.below(static_cast<uint32_t>(t.numel()));
    const float saved = t.data[i];
    t.data[i] = saved + eps;
    const double up = f();
    t.data[i] = saved - eps;
    const double down = f();
    t.data[i] = saved;
    const double numeric = (up - down) / (2.0 * eps);
    const double a = analytic.data[i];
    const double err = std::fabs(numeric - a) / std::max(0.1, std::fabs(numeric));
    auto& rep = test::error_report()["gradcheck (float, sampled)"];
    rep.max_rel = std::max(rep.max_rel, err);
    rep.values++;
    ASSERT_LE(std::fabs(numeric - a), 5e-3 + 3e-2 * std::fabs(numeric)) << what << "[" << i << "]";
  }
}

double weighted_sum(const Tensor& y, const Tensor& G) {
  double s = 0;
  for (size_t i = 0; i < y.data.size(); ++i) s += static_cast<double>(y.data[i]) * G.data[i];
  return s;
}

// Every parameter of a module, checked by name.
template <class Module>
void check_params(Module& m, const std::function<double()>& f, const std::string& what) {
  std::vector<std::pair<std::string, Param*>> params;
  m.visit("", [&](const std::string& n, Param& p) { params.emplace_back(n, &p); });
  for (auto& [name, p] : params) check_float_grad(f, p->value, p->grad, what + " " + name, 6);
}

TEST(GradCheck, MultiheadAttentionCrossWithDropoutAndMasks) {
  MhaConfig mc;
  mc.embed_dim = 8;
  mc.num_heads = 2;
  mc.kdim = 5;
  mc.vdim = 3;
  mc.dropout = 0.3f;
  MultiheadAttention m(mc);
  Rng init(1);
  m.reset_parameters(init);
  m.visit("", [&](const std::string&, Param& p) { init_normal(p.value, 0.3, init); });
  Tensor q({2, 3, 8}), k({2, 4, 5}), v({2, 4, 3}), G({2, 3, 8});
  for (Tensor* t : {&q, &k, &v, &G}) init_normal(*t, 1.0, init);
  Tensor kpm({2, 4}, 0.0f);
  kpm.data[3] = -std::numeric_limits<float>::infinity();
  AttnMasks masks;
  masks.key_padding_mask = &kpm;
  masks.causal = true;
  auto f = [&] {
    Rng rng(42);  // the same dropout mask every time
    ForwardContext ctx;
    ctx.training = true;
    ctx.rng = &rng;
    AttentionCache c;
    return weighted_sum(m.forward(c, q, k, v, masks, ctx), G);
  };
  Rng rng(42);
  ForwardContext ctx;
  ctx.training = true;
  ctx.rng = &rng;
  AttentionCache c;
  m.forward(c, q, k, v, masks, ctx);
  ASSERT_FALSE(c.dropped.data.empty());
  Tensor dq(q.shape, 0.0f), dk(k.shape, 0.0f), dv(v.shape, 0.0f);
  m.visit("", [](const std::string&, Param& p) { p.zero_grad(); });
  m.backward(&dq, &dk, &dv, G, c, q, k, v);
  check_float_grad(f, q, dq, "dquery");
  check_float_grad(f, k, dk, "dkey");
  check_float_grad(f, v, dv, "dvalue");
  check_params(m, f, "mha");
}

LayerConfig small_layer(bool norm_first, Activation act) {
  LayerConfig lc;
  lc.d_model = 8;
  lc.nhead = 2;
  lc.dim_feedforward = 12;
  lc.dropout = 0.2f;
  lc.norm_first = norm_first;
  lc.activation = act;
  return lc;
}

TEST(GradCheck, EncoderAndDecoderLayersInTrainingMode) {
  for (bool norm_first : {false, true}) {
    // GELU: finite differences across ReLU's kink are meaningless (ReLU is checked in double above and
    // against PyTorch in the layer goldens).
    const Activation act = Activation::kGelu;
    TransformerEncoderLayer enc(small_layer(norm_first, act));
    TransformerDecoderLayer dec(small_layer(norm_first, act));
    Rng init(5);
    enc.reset_parameters(init);
    dec.reset_parameters(init);
    Tensor x({2, 3, 8}), mem({2, 4, 8}), G({2, 3, 8});
    for (Tensor* t : {&x, &mem, &G}) init_normal(*t, 1.0, init);
    AttnMasks self, none;
    self.causal = true;
    auto run_enc = [&](EncoderLayerCache& c) {
      Rng rng(7);
      ForwardContext ctx;
      ctx.training = true;
      ctx.rng = &rng;
      return weighted_sum(enc.forward(c, x, self, ctx), G);
    };
    auto run_dec = [&](DecoderLayerCache& c) {
      Rng rng(9);
      ForwardContext ctx;
      ctx.training = true;
      ctx.rng = &rng;
      return weighted_sum(dec.forward(c, x, mem, self, none, ctx), G);
    };
    EncoderLayerCache ec;
    run_enc(ec);
    Tensor dx(x.shape, 0.0f);
    enc.visit("", [](const std::string&, Param& p) { p.zero_grad(); });
    enc.backward(dx, G, ec);
    auto fe = [&] {
      EncoderLayerCache c;
      return run_enc(c);
    };
    check_float_grad(fe, x, dx, norm_first ? "pre-norm encoder dx" : "post-norm encoder dx");
    check_params(enc, fe, norm_first ? "pre-norm encoder" : "post-norm encoder");

    DecoderLayerCache dc;
    run_dec(dc);
    Tensor ddx(x.shape, 0.0f), dmem(mem.shape, 0.0f);
    dec.visit("", [](const std::string&, Param& p) { p.zero_grad(); });
    dec.backward(ddx, dmem, G, dc, mem);
    auto fd = [&] {
      DecoderLayerCache c;
      return run_dec(c);
    };
    check_float_grad(fd, x, ddx, "decoder dx");
    check_float_grad(fd, mem, dmem, "decoder dmemory");
    check_params(dec, fd, norm_first ? "pre-norm decoder" : "post-norm decoder");
  }
}

TEST(GradCheck, WholeModelsEveryArchitecture) {
  for (Arch arch : {Arch::kEncoder, Arch::kDecoder, Arch::kEncoderDecoder}) {
    ModelConfig c;
    c.arch = arch;
    c.vocab_size = 7;
    c.tgt_vocab_size = 6;
    c.num_layers = 2;
    c.num_decoder_layers = 1;
    c.layer = small_layer(arch == Arch::kDecoder, Activation::kGelu);
    c.positional = arch == Arch::kEncoder ? Positional::kSinusoidal : Positional::kLearned;
    c.max_len = 8;
    c.final_norm = true;
    c.head_size = arch == Arch::kEncoderDecoder ? 6 : 7;
    c.pad_id = 0;
    c.tie_embeddings = arch != Arch::kEncoder;  // the head shares embed (decoder) or tgt_embed (encoder-decoder)
    TransformerModel m(c);
    Rng init(3);
    m.reset_parameters(init);
    const std::vector<int32_t> ids = {3, 1, 4, 0, 5, 2, 6, 1}, tgt = {1, 2, 3, 5, 4, 0};
    auto run = [&](ModelCache& mc) -> const Tensor& {
      Rng rng(11);
      ForwardContext ctx;
      ctx.training = true;
      ctx.rng = &rng;
      return arch == Arch::kEncoderDecoder ? m.forward_seq2seq(mc, ids, 4, tgt, 3, 2, ctx) : m.forward(mc, ids, 2, 4, ctx);
    };
    ModelCache mc;
    const Tensor& logits = run(mc);
    Tensor G(logits.shape);
    init_normal(G, 1.0, init);
    m.zero_grad();
    m.backward(mc, G);
    auto f = [&] {
      ModelCache tmp;
      return weighted_sum(run(tmp), G);
    };
    m.visit([&](const std::string& name, Param& p) {
      check_float_grad(f, p.value, p.grad, std::string(arch_name(arch)) + " " + name, 4);
    });
  }
}

}  // namespace
}  // namespace attn
