// Training against PyTorch: gradients of layers and whole models, the optimizers, and 20 steps of real training.
#include <cmath>
#include <limits>

#include "io/model_file.h"
#include "io/safetensors.h"
#include "models/config.h"
#include "ops/cross_entropy.h"
#include "test_util.h"
#include "train/decode.h"
#include "train/metrics.h"
#include "train/tasks.h"
#include "train/trainer.h"

namespace attn::test {
namespace {

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

Tensor ids_tensor(const GoldenFile& g, const std::string& name, std::vector<int32_t>* ids) {
  Tensor t = g.tensor(name);
  ids->clear();
  for (float x : t.data) ids->push_back(static_cast<int32_t>(x));
  return t;
}

// Loads golden params into a module and zeroes its grads.
template <class Module>
void load(Module& m, const GoldenFile& g, const std::string& id) {
  Status st = load_state_dict(m, g.params(id));
  ASSERT_TRUE(st.ok()) << st.message();
  m.visit("", [](const std::string&, Param& p) { p.zero_grad(); });
}

template <class Module>
void expect_param_grads(Module& m, const GoldenFile& g, const std::string& id, const std::string& group) {
  int n = 0;
  m.visit("", [&](const std::string& name, Param& p) {
    expect_close_golden(p.grad, g, id + ".out.grad." + name, group);
    ++n;
  });
  EXPECT_GT(n, 0);
}

AttnMasks masks_of(const GoldenFile& g, const Json& c, const std::string& attn, const std::string& kpm, Tensor* am,
                   Tensor* pm, bool causal) {
  AttnMasks m;
  MaskArg a = golden_mask(g, c, attn), k = golden_mask(g, c, kpm);
  if (a.present()) {
    *am = additive_mask(a, false);
    m.attn_mask = am;
  }
  if (k.present()) {
    *pm = additive_mask(k, false);
    m.key_padding_mask = pm;
  }
  m.causal = causal;
  return m;
}

// --------------------------------------------------------------------------------------------- MHA gradients
class MhaGradGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(MhaGradGolden, MatchesTorchAutograd) {
  const GoldenFile& g = GoldenFile::get("mha_grad");
  const std::string id = GetParam();
  const Json& c = golden_case("mha_grad", id);
  MhaConfig mc;
  mc.embed_dim = static_cast<int64_t>(c.number_or("embed_dim", 0));
  mc.num_heads = static_cast<int64_t>(c.number_or("num_heads", 1));
  mc.kdim = static_cast<int64_t>(c.number_or("kdim", 0));
  mc.vdim = static_cast<int64_t>(c.number_or("vdim", 0));
  mc.bias = c.bool_or("bias", true);
  MultiheadAttention m(mc);
  load(m, g, id);
  const bool self = c.bool_or("self_attention", false);
  Tensor q = g.tensor(id + ".in.query");
  Tensor k = self ? q : g.tensor(id + ".in.key");
  Tensor v = self ? q : g.tensor(id + ".in.value");
  Tensor am, pm;
  AttnMasks masks = masks_of(g, c, "attn_mask", "key_padding_mask", &am, &pm, c.bool_or("is_causal", false));
  AttentionCache cache;
  m.forward(cache, q, k, v, masks, ForwardContext());
  expect_close_golden(cache.output, g, id + ".out.attn_output", "mha grad forward");
  Tensor dq(q.shape, 0.0f), dk(k.shape, 0.0f), dv(v.shape, 0.0f);
  if (self) m.backward(&dq, &dq, &dq, g.tensor(id + ".out.G"), cache, q, k, v);
  else m.backward(&dq, &dk, &dv, g.tensor(id + ".out.G"), cache, q, k, v);
  expect_close_golden(dq, g, id + ".out.dquery", "mha input grads");
  if (!self) {
    expect_close_golden(dk, g, id + ".out.dkey", "mha input grads");
    expect_close_golden(dv, g, id + ".out.dvalue", "mha input grads");
  }
  expect_param_grads(m, g, id, "mha param grads");
}
INSTANTIATE_TEST_SUITE_P(Golden, MhaGradGolden, ::testing::ValuesIn(golden_case_ids("mha_grad")), case_name);

// ----------------------------------------------------------------------------------------- layer gradients
LayerConfig layer_config_of(const Json& c) {
  LayerConfig lc;
  lc.d_model = static_cast<int64_t>(c.number_or("d_model", 0));
  lc.nhead = static_cast<int64_t>(c.number_or("nhead", 1));
  lc.dim_feedforward = static_cast<int64_t>(c.number_or("dim_feedforward", 0));
  lc.dropout = 0.0f;
  parse_activation(c.string_or("activation", "relu"), &lc.activation);
  lc.layer_norm_eps = static_cast<float>(c.number_or("layer_norm_eps", 1e-5));
  lc.norm_first = c.bool_or("norm_first", false);
  return lc;
}

class EncoderGradGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(EncoderGradGolden, MatchesTorchAutograd) {
  const GoldenFile& g = GoldenFile::get("encoder_layer_grad");
  const std::string id = GetParam();
  const Json& c = golden_case("encoder_layer_grad", id);
  TransformerEncoderLayer layer(layer_config_of(c));
  load(layer, g, id);
  Tensor x = g.tensor(id + ".in.src"), am, pm;
  AttnMasks masks = masks_of(g, c, "mask", "key_padding_mask", &am, &pm, c.bool_or("is_causal", false));
  EncoderLayerCache cache;
  expect_close_golden(layer.forward(cache, x, masks, ForwardContext()), g, id + ".out.output", "layer grad forward");
  Tensor dx(x.shape, 0.0f);
  layer.backward(dx, g.tensor(id + ".out.G"), cache);
  expect_close_golden(dx, g, id + ".out.dsrc", "encoder layer input grads");
  expect_param_grads(layer, g, id, "encoder layer param grads");
}
INSTANTIATE_TEST_SUITE_P(Golden, EncoderGradGolden, ::testing::ValuesIn(golden_case_ids("encoder_layer_grad")), case_name);

class DecoderGradGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(DecoderGradGolden, MatchesTorchAutograd) {
  const GoldenFile& g = GoldenFile::get("decoder_layer_grad");
  const std::string id = GetParam();
  const Json& c = golden_case("decoder_layer_grad", id);
  TransformerDecoderLayer layer(layer_config_of(c));
  load(layer, g, id);
  Tensor x = g.tensor(id + ".in.src"), mem = g.tensor(id + ".in.memory"), am, pm, mam, mpm;
  AttnMasks self = masks_of(g, c, "mask", "key_padding_mask", &am, &pm, c.bool_or("is_causal", false));
  AttnMasks cross = masks_of(g, c, "memory_mask", "memory_key_padding_mask", &mam, &mpm, false);
  DecoderLayerCache cache;
  expect_close_golden(layer.forward(cache, x, mem, self, cross, ForwardContext()), g, id + ".out.output",
                      "layer grad forward");
  Tensor dx(x.shape, 0.0f), dmem(mem.shape, 0.0f);
  layer.backward(dx, dmem, g.tensor(id + ".out.G"), cache, mem);
  expect_close_golden(dx, g, id + ".out.dsrc", "decoder layer input grads");
  expect_close_golden(dmem, g, id + ".out.dmemory", "decoder layer input grads");
  expect_param_grads(layer, g, id, "decoder layer param grads");
}
INSTANTIATE_TEST_SUITE_P(Golden, DecoderGradGolden, ::testing::ValuesIn(golden_case_ids("decoder_layer_grad")), case_name);

// ------------------------------------------------------------------------------------- whole-model gradients
ModelConfig model_config_of(const Json& c) {
  Json j = Json::object();
  for (const char* k : {"arch", "vocab_size", "tgt_vocab_size", "num_layers", "num_decoder_layers", "d_model", "nhead",
                        "dim_feedforward", "activation", "norm_first", "layer_norm_eps", "positional", "max_len",
                        "final_norm", "head_size", "pad_id"})
    if (const Json* v = c.find(k)) j.set(k, *v);
  j.set("dropout", Json::number(0));
  ModelConfig m;
  Status st = model_config_from_json(j, &m);
  EXPECT_TRUE(st.ok()) << st.message();
  return m;
}

class ModelGradGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(ModelGradGolden, LossAndEveryParameterGradientMatchTorch) {
  const GoldenFile& g = GoldenFile::get("model_grad");
  const std::string id = GetParam();
  const Json& c = golden_case("model_grad", id);
  ModelConfig mc = model_config_of(c);
  TransformerModel model(mc);
  ASSERT_TRUE(load_state_dict_visit([&](const ParamVisitor& f) { model.visit(f); }, g.params(id)).ok());
  std::vector<int32_t> ids, tgt, targets;
  Tensor it = ids_tensor(g, id + ".in.ids", &ids);
  ids_tensor(g, id + ".in.targets", &targets);
  const int64_t B = it.dim(0), L = it.dim(1);
  ModelCache cache;
  if (mc.arch == Arch::kEncoderDecoder) {
    Tensor tt = ids_tensor(g, id + ".in.tgt", &tgt);
    model.forward_seq2seq(cache, ids, L, tgt, tt.dim(1), B, ForwardContext());
  } else {
    model.forward(cache, ids, B, L, ForwardContext());
  }
  expect_close_golden(cache.logits, g, id + ".out.logits", "model grad forward");
  const int64_t C = cache.logits.dim(-1), N = cache.logits.numel() / C;
  Tensor probs(cache.logits.shape), dlogits(cache.logits.shape, 0.0f);
  int64_t count = 0;
  const double smoothing = c.number_or("label_smoothing", 0.0);
  const double loss = cross_entropy_forward(probs.ptr(), &count, cache.logits.ptr(), targets.data(), N, C, 0, smoothing);
  EXPECT_NEAR(loss, g.f64(id + ".out.loss")[0], 1e-5);
  cross_entropy_backward(dlogits.ptr(), probs.ptr(), targets.data(), N, C, 0, smoothing, count, 1.0);
  model.zero_grad();
  model.backward(cache, dlogits);
  int n = 0;
  model.visit([&](const std::string& name, Param& p) {
    expect_close_golden(p.grad, g, id + ".out.grad." + name, "model param grads");
    ++n;
  });
  EXPECT_GT(n, 10);
}
INSTANTIATE_TEST_SUITE_P(Golden, ModelGradGolden, ::testing::ValuesIn(golden_case_ids("model_grad")), case_name);

// ------------------------------------------------------------------------------------------------ optimizers
OptimizerConfig optimizer_config_of(const Json& c) {
  OptimizerConfig o;
  o.optimizer = c.string_or("optimizer", "adamw");
  o.lr = c.number_or("lr", 1e-3);
  o.beta1 = c.number_or("beta1", 0.9);
  o.beta2 = c.number_or("beta2", 0.999);
  o.eps = c.number_or("eps", 1e-8);
  o.momentum = c.number_or("momentum", 0);
  o.dampening = c.number_or("dampening", 0);
  o.nesterov = c.bool_or("nesterov", false);
  o.weight_decay = c.number_or("weight_decay", 0);
  o.clip_norm = c.number_or("clip_norm", 0);
  o.warmup = static_cast<int64_t>(c.number_or("warmup", 0));
  o.total_steps = static_cast<int64_t>(c.number_or("total_steps", 0));
  o.schedule = c.string_or("schedule", "constant");
  o.min_lr_ratio = c.number_or("min_lr_ratio", 0);
  EXPECT_TRUE(o.validate().ok());
  return o;
}

// Six steps of fixed gradients through clipping, the schedule and the optimizer, against torch.optim; for SGD
// with momentum the momentum buffer too (the state a learner inspects in <attn-train-step>).
void expect_optimizer_matches_torch(const std::string& golden) {
  const GoldenFile& g = GoldenFile::get(golden);
  for (const Json& c : g.cases()) {
    const std::string id = c.string_or("id", "");
    SCOPED_TRACE(id);
    const OptimizerConfig o = optimizer_config_of(c);
    Param p, q;
    p.value = g.tensor(id + ".in.p");
    q.value = g.tensor(id + ".in.q");
    Optimizer opt(o);
    const std::vector<Param*> params = {&p, &q};
    EXPECT_TRUE(opt.state(0).empty());
    for (int step = 0; step < static_cast<int>(c.number_or("steps", 0)); ++step) {
      const std::string s = std::to_string(step);
      p.grad = g.tensor(id + ".in.grad_p." + s);
      q.grad = g.tensor(id + ".in.grad_q." + s);
      const double norm = clip_grad_norm(params, o.clip_norm);
      if (o.clip_norm > 0) {
        EXPECT_NEAR(norm, g.f64(id + ".out.norm." + s)[0], 1e-5);
      }
      opt.step(params, o.lr_at(step));
      expect_close_golden(p.value, g, id + ".out.p." + s, "optimizer params");
      expect_close_golden(q.value, g, id + ".out.q." + s, "optimizer params");
      const auto state = opt.state(0);
      if (o.optimizer != "sgd") {
        ASSERT_EQ(state.size(), 2u);
        EXPECT_EQ(state[0].first, "exp_avg");
        EXPECT_EQ(state[1].first, "exp_avg_sq");
      } else if (o.momentum > 0) {
        ASSERT_EQ(state.size(), 1u);
        EXPECT_EQ(state[0].first, "momentum_buffer");
        Tensor buf({4, 3});
        buf.data = *state[0].second;
        expect_close_golden(buf, g, id + ".out.buf_p." + s, "momentum buffer");
      } else {
        EXPECT_TRUE(state.empty());
      }
    }
  }
}

TEST(Optimizers, AdamAndAdamWWithClippingAndScheduleMatchTorch) { expect_optimizer_matches_torch("optim"); }

TEST(Optimizers, SgdWithMomentumDampeningNesterovAndClippingMatchesTorch) { expect_optimizer_matches_torch("optim_sgd"); }

TEST(Optimizers, RejectsNesterovWithoutMomentum) {
  OptimizerConfig o;
  o.optimizer = "sgd";
  o.nesterov = true;
  EXPECT_FALSE(o.validate().ok());
  o.momentum = 0.9;
  EXPECT_TRUE(o.validate().ok());
  o.dampening = 0.1;
  EXPECT_FALSE(o.validate().ok());
  o.optimizer = "lion";
  EXPECT_NE(o.validate().message().find("sgd, adam or adamw"), std::string::npos);
}

TEST(Optimizers, ScheduleWarmsUpThenDecays) {
  OptimizerConfig o;
  o.lr = 1.0;
  o.warmup = 4;
  o.total_steps = 14;
  o.schedule = "cosine";
  o.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(o.lr_at(0), 0.25);
  EXPECT_DOUBLE_EQ(o.lr_at(3), 1.0);
  EXPECT_DOUBLE_EQ(o.lr_at(4), 1.0);
  EXPECT_NEAR(o.lr_at(9), 0.55, 1e-12);
  EXPECT_NEAR(o.lr_at(14), 0.1, 1e-12);
  EXPECT_NEAR(o.lr_at(100), 0.1, 1e-12);
  o.schedule = "linear";
  EXPECT_NEAR(o.lr_at(9), 0.55, 1e-12);
}

// ------------------------------------------------------------------------------ 20 steps of training vs torch
TEST(TrainingParity, TwentyStepsOfAnEncoderDecoderMatchPyTorchLossByLoss) {
  const GoldenFile& g = GoldenFile::get("train");
  const Json& c = g.cases()[0];
  const std::string id = c.string_or("id", "");
  TransformerModel model(model_config_of(c));
  ASSERT_TRUE(load_state_dict_visit([&](const ParamVisitor& f) { model.visit(f); }, g.params(id)).ok());
  TrainConfig tc;
  tc.optim = optimizer_config_of(c);
  tc.label_smoothing = c.number_or("label_smoothing", 0);
  tc.ignore_index = static_cast<int32_t>(c.number_or("ignore_index", -100));
  Trainer trainer(model, tc);
  double worst = 0;
  for (int step = 0; step < static_cast<int>(c.number_or("steps", 0)); ++step) {
    const std::string s = std::to_string(step);
    Batch b;
    Tensor src = ids_tensor(g, id + ".in.src." + s, &b.src);
    Tensor tin = ids_tensor(g, id + ".in.tgt_in." + s, &b.tgt);
    ids_tensor(g, id + ".in.tgt_out." + s, &b.targets);
    b.B = src.dim(0);
    b.S = src.dim(1);
    b.T = tin.dim(1);
    ASSERT_TRUE(trainer.check(b).ok()) << trainer.check(b).message();
    const StepStats st = trainer.step(b);
    const double want = g.f64(id + ".out.loss." + s)[0];
    const double rel = std::fabs(st.loss - want) / std::fabs(want);
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 1e-4) << "step " << step << ": engine " << st.loss << " torch " << want;
    EXPECT_NEAR(st.grad_norm, g.f64(id + ".out.grad_norm." + s)[0], 1e-4 * st.grad_norm + 1e-6) << "step " << step;
    EXPECT_NEAR(st.lr, g.f64(id + ".out.lr." + s)[0], 1e-12) << "step " << step;
  }
  error_report()["training parity (rel loss)"].max_rel = worst;
  error_report()["training parity (rel loss)"].values = 20;
  EXPECT_EQ(trainer.steps_done(), 20);
}

// ---------------------------------------------------------------------------------------------- model files
ModelConfig tiny_config(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 11;
  c.tgt_vocab_size = 9;
  c.num_layers = 1;
  c.num_decoder_layers = 1;
  c.layer.d_model = 8;
  c.layer.nhead = 2;
  c.layer.dim_feedforward = 16;
  c.positional = Positional::kLearned;
  c.max_len = 12;
  c.head_size = arch == Arch::kEncoderDecoder ? 9 : 11;
  c.pad_id = 0;
  return c;
}

TEST(ModelFile, ReloadsBitExactlyAndGivesIdenticalOutputs) {
  for (Arch arch : {Arch::kEncoder, Arch::kDecoder, Arch::kEncoderDecoder}) {
    ModelConfig mc = tiny_config(arch);
    mc.tie_embeddings = arch == Arch::kDecoder;
    TransformerModel m(mc);
    Rng rng(5);
    m.reset_parameters(rng);
    const std::string bytes = save_model(m, false, {{"task", "test"}});
    LoadedModel loaded;
    Status st = load_model(bytes, &loaded);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(loaded.metadata.at("task"), "test");
    std::vector<FloatBuffer> a, b;
    m.visit([&](const std::string&, Param& p) { a.push_back(p.value.data); });
    loaded.model->visit([&](const std::string&, Param& p) { b.push_back(p.value.data); });
    EXPECT_EQ(a, b);  // bit for bit
    ModelCache c1, c2;
    const std::vector<int32_t> ids = {3, 4, 5, 6}, tgt = {1, 2, 3};
    if (arch == Arch::kEncoderDecoder) {
      m.forward_seq2seq(c1, ids, 4, tgt, 3, 1, ForwardContext());
      loaded.model->forward_seq2seq(c2, ids, 4, tgt, 3, 1, ForwardContext());
    } else {
      m.forward(c1, ids, 1, 4, ForwardContext());
      loaded.model->forward(c2, ids, 1, 4, ForwardContext());
    }
    EXPECT_EQ(c1.logits.data, c2.logits.data);
    EXPECT_EQ(parameter_count(m.config), m.num_parameters());
    if (mc.tie_embeddings) {
      EXPECT_EQ(loaded.model->num_parameters(), m.num_parameters());
    }
  }
}

TEST(ModelFile, F16StorageHalvesTheSizeWithinHalfPrecision) {
  ModelConfig c = tiny_config(Arch::kEncoder);
  c.layer.d_model = 64;
  c.layer.dim_feedforward = 128;
  TransformerModel m(c);
  Rng rng(6);
  m.reset_parameters(rng);
  const std::string f32 = save_model(m), f16 = save_model(m, true);
  EXPECT_LT(f16.size(), f32.size() * 0.6);
  LoadedModel loaded;
  ASSERT_TRUE(load_model(f16, &loaded).ok());
  EXPECT_NEAR(loaded.model->embed.value.data[3], m.embed.value.data[3], 2e-3);
}

// A valid file of m, edited (a tensor's name or shape, the metadata) and re-serialized.
std::string tamper(TransformerModel& m, const std::function<void(TensorList&, Metadata&)>& edit) {
  return rewritten(save_model(m), edit);
}

std::string load_error(const std::string& bytes) {
  LoadedModel out;
  Status st = load_model(bytes, &out);
  return st.ok() ? "" : st.message();
}

TEST(ModelFile, RejectsEachKindOfBadModelFileWithAClearMessage) {
  TransformerModel m(tiny_config(Arch::kEncoderDecoder));
  using Ts = std::vector<std::pair<std::string, Tensor>>;
  using Meta = std::map<std::string, std::string>;
  EXPECT_NE(load_error(tamper(m, [](Ts& t, Meta&) { t.pop_back(); })).find("holds"), std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts& t, Meta&) { t.back().first = "head.bogus"; })).find("missing tensor 'head.bias'"),
            std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts& t, Meta&) { t.emplace_back("extra", Tensor({0})); })).find("unexpected tensor 'extra'"),
            std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts& t, Meta&) {
              for (auto& [n, x] : t)
                if (n == "head.weight") x.reshape({x.dim(1), x.dim(0)});
            })).find("tensor 'head.weight' has shape [8, 9] but the config needs [9, 8]"),
            std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts&, Meta& meta) { meta.erase("config"); })).find("no config"), std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts&, Meta& meta) { meta["config"] = "{\"d_model\": 7, \"nhead\": 2, \"vocab_size\": 3}"; }))
                .find("divisible"),
            std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts&, Meta& meta) { meta["config"] = "{oops"; })).find("not valid JSON"), std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts&, Meta& meta) { meta["format"] = "gguf"; })).find("not an attn model"),
            std::string::npos);
  EXPECT_NE(load_error(tamper(m, [](Ts&, Meta& meta) {
              meta["config"] = "{\"vocab_size\": 4000000, \"d_model\": 8192, \"nhead\": 8}";
            })).find("more than the limit"),
            std::string::npos);
  EXPECT_NE(load_error("\x08").find("invalid safetensors"), std::string::npos);
}

// ------------------------------------------------------------------------------------------------ metrics
TEST(Metrics, F1MacroAndMicroByHand) {
  // gold: A A B C ; pred: A B B A   (classes 0=A 1=B 2=C)
  const F1Scores f = f1_scores({0, 0, 1, 2}, {0, 1, 1, 0}, 3);
  // A: TP1 FP1 FN1 -> 0.5; B: TP1 FP1 FN0 -> 2/3; C: TP0 FP0 FN1 -> 0
  EXPECT_NEAR(f.per_class[0], 0.5, 1e-12);
  EXPECT_NEAR(f.per_class[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(f.per_class[2], 0.0, 1e-12);
  EXPECT_NEAR(f.macro, (0.5 + 2.0 / 3.0) / 3.0, 1e-12);
  EXPECT_NEAR(f.micro, 0.5, 1e-12);  // = accuracy for one label per token
  const F1Scores ignored = f1_scores({0, -100, 1}, {0, 1, 1}, 2);
  EXPECT_NEAR(ignored.micro, 1.0, 1e-12);
}

TEST(Metrics, CorpusBleuByHand) {
  // Identical: BLEU 1.
  EXPECT_NEAR(corpus_bleu({{1, 2, 3, 4, 5}}, {{1, 2, 3, 4, 5}}).bleu, 1.0, 1e-12);
  // hyp "the cat sat on the mat" vs ref "the cat is on the mat" (ids): p1 5/6, p2 3/5, p3 1/4, p4 0/3 -> 0.
  const BleuScore zero = corpus_bleu({{1, 2, 3, 4, 1, 5}}, {{1, 2, 6, 4, 1, 5}});
  EXPECT_NEAR(zero.precisions[0], 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(zero.precisions[1], 3.0 / 5.0, 1e-12);
  EXPECT_NEAR(zero.precisions[2], 1.0 / 4.0, 1e-12);
  EXPECT_EQ(zero.bleu, 0.0);
  // Corpus-level pooling and the brevity penalty: hyp lengths 4 + 5, ref lengths 5 + 5.
  const BleuScore s = corpus_bleu({{1, 2, 3, 4}, {5, 6, 7, 8, 9}}, {{1, 2, 3, 4, 7}, {5, 6, 7, 8, 9}});
  // p1 = 9/9, p2 = 7/7, p3 = 5/5, p4 = 3/3; BP = exp(1 - 10/9)
  EXPECT_NEAR(s.brevity_penalty, std::exp(1.0 - 10.0 / 9.0), 1e-12);
  EXPECT_NEAR(s.bleu, std::exp(1.0 - 10.0 / 9.0), 1e-12);
  // Clipping: "the the the the" vs "the cat": p1 = 1/4.
  EXPECT_NEAR(corpus_bleu({{1, 1, 1, 1}}, {{1, 2}}).precisions[0], 0.25, 1e-12);
}

// ------------------------------------------------------------------------------------- tasks, loop, decoding
// A toy task (6 symbols, lengths 2-5) and a one-layer encoder-decoder for it, without dropout.
TaskConfig toy_task(TaskKind kind) {
  TaskConfig task;
  task.kind = kind;
  task.symbols = 6;
  task.min_len = 2;
  task.max_len = 5;
  return task;
}

ModelConfig toy_seq2seq(const TaskConfig& task, int64_t d_model, int64_t nhead, int64_t dim_feedforward) {
  ModelConfig c;
  c.arch = Arch::kEncoderDecoder;
  c.vocab_size = task.vocab_size();
  c.head_size = task.vocab_size();
  c.num_layers = 1;
  c.num_decoder_layers = 1;
  c.layer.d_model = d_model;
  c.layer.nhead = nhead;
  c.layer.dim_feedforward = dim_feedforward;
  c.layer.dropout = 0.0f;
  c.max_len = task.max_positions(c.arch) + 1;
  c.pad_id = kPad;
  return c;
}

// A small run that must learn (the CLI run to 99% reversal is in tools/test.sh).
TEST(Trainer, LearnsToCopyAndDecodesGreedily) {
  const int kSteps = 1000;
  const TaskConfig task = toy_task(TaskKind::kCopy);
  const ModelConfig c = toy_seq2seq(task, 64, 4, 128);
  TransformerModel model(c);
  Rng init(1);
  model.reset_parameters(init);
  TrainConfig tc;
  tc.optim.lr = 5e-3;
  tc.optim.warmup = 50;
  tc.optim.total_steps = kSteps;
  tc.optim.schedule = "cosine";
  tc.optim.clip_norm = 1.0;
  tc.ignore_index = kPad;
  Trainer trainer(model, tc);
  Rng data(2);
  double first = 0, last = 0;
  for (int step = 0; step < kSteps; ++step) {
    const StepStats s = trainer.step(task_batch(task, c.arch, 64, data));
    if (step == 0) first = s.loss;
    last = s.loss;
  }
  EXPECT_LT(last, first * 0.2);
  Rng held(99);
  const EvalStats e = trainer.evaluate(task_batch(task, c.arch, 200, held, Split::kHeldOut));
  EXPECT_GT(e.token_accuracy(), 0.9);
  const Decoded d = greedy_seq2seq(model, {3, 5, 7, 4}, kBos, kEos, 10);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.tokens, (std::vector<int32_t>{3, 5, 7, 4}));
}

// One step taken apart (what <attn-train-step> shows): each position's loss, each parameter's value before the
// update, and the gradient as the optimizer used it (after clipping). Plain SGD makes the update checkable by
// hand: w_after = w_before - lr * grad.
TEST(Trainer, StepDetailsGiveLossesPerPositionValuesBeforeAndTheGradientUsed) {
  const TaskConfig task = toy_task(TaskKind::kReverse);
  const ModelConfig c = toy_seq2seq(task, 16, 2, 32);
  TransformerModel model(c);
  Rng init(3);
  model.reset_parameters(init);
  for (double clip : {0.0, 0.05}) {
    SCOPED_TRACE(clip);
    TrainConfig tc;
    tc.optim.optimizer = "sgd";
    tc.optim.lr = 0.1;
    tc.optim.weight_decay = 0.0;
    tc.optim.clip_norm = clip;
    tc.ignore_index = kPad;
    Trainer trainer(model, tc);
    Rng data(4);
    const Batch b = task_batch(task, c.arch, 4, data);
    StepDetails d;
    const StepStats s = trainer.step(b, &d);
    ASSERT_EQ(d.losses.size(), b.targets.size());
    double sum = 0;
    int64_t n = 0;
    for (size_t i = 0; i < d.losses.size(); ++i) {
      EXPECT_EQ(std::isnan(d.losses[i]), b.targets[i] == kPad) << i;
      if (!std::isnan(d.losses[i])) sum += d.losses[i], ++n;
    }
    EXPECT_EQ(n, s.tokens);
    EXPECT_NEAR(sum / static_cast<double>(n), s.loss, 1e-12);
    if (clip > 0) {
      EXPECT_GT(s.grad_norm, clip);  // the test needs clipping to happen
      EXPECT_NEAR(d.clip_coef, clip / (s.grad_norm + 1e-6), 1e-12);
    } else {
      EXPECT_EQ(d.clip_coef, 1.0);
    }
    const std::vector<Param*> ps = trainer.params();
    ASSERT_EQ(d.before.size(), ps.size());
    double used_sq = 0;
    for (size_t k = 0; k < ps.size(); ++k) {
      const float* g = ps[k]->grad_ptr();
      for (size_t i = 0; i < d.before[k].size(); ++i) {
        used_sq += static_cast<double>(g[i]) * g[i];
        EXPECT_EQ(ps[k]->value.data[i], static_cast<float>(static_cast<double>(d.before[k][i]) - 0.1 * g[i]));
      }
    }
    EXPECT_NEAR(std::sqrt(used_sq), s.grad_norm * d.clip_coef, 1e-5 * s.grad_norm);
    EXPECT_TRUE(trainer.optimizer().state(0).empty());  // plain SGD keeps no state
  }
}

}  // namespace
}  // namespace attn::test

namespace attn::test {
namespace {

// Found while building the fuzzer (tests/fuzz/README.md, "Regressions"): a 16 KB file whose config allows 65536 sinusoidal positions of
// width 8192 made the loader build a 2 GiB table; the table now grows only to the lengths actually used.
TEST(ModelFile, AHugeSinusoidalRangeCostsNothingUntilUsed) {
  ModelConfig c;
  c.arch = Arch::kDecoder;
  c.vocab_size = 1;
  c.num_layers = 0;
  c.layer.d_model = 8192;
  c.layer.nhead = 1;
  c.max_len = 65536;
  TransformerModel m(c);
  LoadedModel loaded;
  ASSERT_TRUE(load_model(save_model(m, true), &loaded).ok());
  ModelCache cache;
  loaded.model->forward(cache, {0, 0, 0}, 1, 3, ForwardContext());
  EXPECT_EQ(cache.hidden.shape, (Shape{1, 3, 8192}));
}

// Found while building the fuzzer: "layer_norm_eps": 1e39 is a finite double but +inf as float32; it used to load and then
// fail to save and reload. Float settings must stay finite after narrowing.
TEST(ModelFile, FloatSettingsThatOverflowFloat32AreRejected) {
  Json j;
  ASSERT_TRUE(Json::parse(R"({"vocab_size": 3, "d_model": 4, "nhead": 2, "layer_norm_eps": 1e39})", &j).ok());
  ModelConfig c;
  Status st = model_config_from_json(j, &c);
  EXPECT_NE(st.message().find("layer_norm_eps is too large for a float32"), std::string::npos) << st.message();
}

// Integer settings far outside int64 (1e300) get a range message; the number in it is not cast to an integer first.
TEST(ModelFile, HugeIntegerSettingsAreRejectedWithoutOverflow) {
  Json j;
  ASSERT_TRUE(Json::parse(R"({"vocab_size": 3, "d_model": 4, "nhead": 2, "num_layers": 1e300})", &j).ok());
  ModelConfig c;
  Status st = model_config_from_json(j, &c);
  EXPECT_NE(st.message().find("num_layers must be between"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("1e+300"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace attn::test
