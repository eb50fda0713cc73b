// The LSTM baseline: nn.LSTM parity with PyTorch (tests/golden/lstm.safetensors, made by make_lstm.py): outputs,
// final state and the gradients of the input, the initial state and every parameter; the sequence-to-sequence
// model's logits and gradients; training it in the lab's run (train/run.h), beside a transformer; and its model
// file (io/model_file.h): saved and reloaded bit for bit, and bad files refused with a message.
#include "io/model_file.h"
#include "layers/lstm.h"
#include "models/config.h"
#include "models/lstm_seq2seq.h"
#include "test_util.h"
#include "train/run.h"

namespace attn::test {
namespace {

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// The ids of the golden cases of one kind: the layer's (seq2seq false) or the model's.
std::vector<std::string> lstm_case_ids(bool seq2seq) {
  std::vector<std::string> ids;
  for (const std::string& id : golden_case_ids("lstm"))
    if (golden_case("lstm", id).bool_or("seq2seq", false) == seq2seq) ids.push_back(id);
  return ids;
}

std::vector<int32_t> ids_of(const Tensor& t) { return std::vector<int32_t>(t.data.begin(), t.data.end()); }

class LstmGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(LstmGolden, ForwardAndBackwardMatchTorch) {
  const GoldenFile& g = GoldenFile::get("lstm");
  const Json& c = golden_case("lstm", GetParam());
  const std::string id = GetParam() + ".";
  const bool state = c.bool_or("initial_state", false), packed = c.bool_or("packed", false);
  LSTM lstm(static_cast<int64_t>(c.number_or("input_size", 0)), static_cast<int64_t>(c.number_or("hidden_size", 0)),
            static_cast<int64_t>(c.number_or("num_layers", 0)));
  Status st = load_state_dict(lstm, g.params(GetParam()));
  ASSERT_TRUE(st.ok()) << st.message();
  const Tensor x = g.tensor(id + "in.x");
  Tensor h0, c0;
  if (state) h0 = g.tensor(id + "in.h0"), c0 = g.tensor(id + "in.c0");
  std::vector<int64_t> lengths;
  if (packed)
    for (float n : g.tensor(id + "in.lengths").data) lengths.push_back(static_cast<int64_t>(n));
  LstmCache cache;
  lstm.forward(cache, x, state ? &h0 : nullptr, state ? &c0 : nullptr, packed ? &lengths : nullptr);
  expect_close_golden(cache.output, g, id + "out.output", "lstm output");
  expect_close_golden(cache.h_n, g, id + "out.h_n", "lstm output");
  expect_close_golden(cache.c_n, g, id + "out.c_n", "lstm output");

  const Tensor G = g.tensor(id + "in.G"), Gh = g.tensor(id + "in.Gh"), Gc = g.tensor(id + "in.Gc");
  Tensor dx, dh0, dc0;
  lstm.backward(&dx, &dh0, &dc0, &G, &Gh, &Gc, cache);
  expect_close_golden(dx, g, id + "out.dx", "lstm gradients");
  if (state) {
    expect_close_golden(dh0, g, id + "out.dh0", "lstm gradients");
    expect_close_golden(dc0, g, id + "out.dc0", "lstm gradients");
  }
  int checked = 0;
  lstm.visit("", [&](const std::string& name, Param& p) {
    expect_close_golden(p.grad, g, id + "out.grad." + name, "lstm gradients");
    ++checked;
  });
  EXPECT_EQ(checked, 4 * lstm.num_layers());
}

INSTANTIATE_TEST_SUITE_P(Golden, LstmGolden, ::testing::ValuesIn(lstm_case_ids(false)), case_name);

class LstmSeq2SeqGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(LstmSeq2SeqGolden, LogitsAndGradientsMatchTorch) {
  const GoldenFile& g = GoldenFile::get("lstm");
  const Json& c = golden_case("lstm", GetParam());
  const std::string id = GetParam() + ".";
  auto size = [&](const char* key) { return static_cast<int64_t>(c.number_or(key, 0)); };
  LstmSeq2SeqConfig config;
  config.vocab_size = config.tgt_vocab_size = config.head_size = size("vocab_size");
  config.hidden_size = size("hidden_size");
  config.num_layers = size("num_layers");
  config.pad_id = 0;
  LstmSeq2Seq model(config);
  Status st = load_state_dict_visit([&](const ParamVisitor& fn) { model.visit(fn); }, g.params(GetParam()));
  ASSERT_TRUE(st.ok()) << st.message();
  const int64_t B = size("batch"), S = size("src_len"), T = size("tgt_len");
  LstmSeq2SeqCache cache;
  const Tensor& logits = model.forward(cache, ids_of(g.tensor(id + "in.src")), S, ids_of(g.tensor(id + "in.tgt")), T, B);
  expect_close_golden(logits, g, id + "out.logits", "lstm seq2seq logits");
  model.zero_grad();
  model.backward(cache, g.tensor(id + "in.G"));
  model.visit([&](const std::string& name, Param& p) {
    expect_close_golden(p.grad, g, id + "out.grad." + name, "lstm seq2seq gradients");
  });
}

INSTANTIATE_TEST_SUITE_P(Golden, LstmSeq2SeqGolden, ::testing::ValuesIn(lstm_case_ids(true)), case_name);

TEST(Lstm, ParameterNamesAndShapesAreNnLstms) {
  LSTM lstm(3, 5, 2);
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  lstm.visit("encoder.", [&](const std::string& name, Param& p) {
    names.push_back(name);
    shapes.push_back(p.value.shape);
  });
  const std::vector<std::string> want = {"encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0",
                                         "encoder.bias_hh_l0",   "encoder.weight_ih_l1", "encoder.weight_hh_l1",
                                         "encoder.bias_ih_l1",   "encoder.bias_hh_l1"};
  EXPECT_EQ(names, want);
  EXPECT_EQ(shapes[0], (Shape{20, 3}));
  EXPECT_EQ(shapes[1], (Shape{20, 5}));
  EXPECT_EQ(shapes[2], (Shape{20}));
  EXPECT_EQ(shapes[4], (Shape{20, 5}));
}

}  // namespace
}  // namespace attn::test

namespace attn::test {
namespace {

// A run of the lab's engine loop from its JSON config (train/run.h), trained to the end: its generated exact match.
double trained_exact_match(const std::string& config_json, int64_t eval_limit) {
  Json j;
  EXPECT_TRUE(Json::parse(config_json, &j).ok());
  RunConfig config;
  Status st = run_config_from_json(j, &config);
  EXPECT_TRUE(st.ok()) << st.message();
  TrainingRun run(config);
  while (run.steps_done() < config.steps) run.step();
  return run.generate(eval_limit).exact_match();
}

// The reverse task at length 10 (the curriculum's "why attention" contrast, README "The training lab"), on the
// lab's default model and training settings, 300 steps.
std::string reverse10(const std::string& model) {
  return R"({"task": {"name": "reverse", "symbols": 10, "min_len": 10, "max_len": 10}, "model": )" + model +
         R"(, "train": {"lr": 0.01, "warmup": 50}, "run": {"steps": 300, "batch": 64, "seed": 1, "eval_size": 200}})";
}

TEST(LstmRun, LearnsToCopyShortSequences) {
  // Measured: 92.0%, 92.8%, 93.8% generated exact match with seeds 1, 2, 3.
  const double em = trained_exact_match(
      R"({"task": {"name": "copy", "symbols": 10, "min_len": 2, "max_len": 4}, "model": {"arch": "lstm", "d_model": 32,
          "num_layers": 1}, "train": {"lr": 0.01, "warmup": 20}, "run": {"steps": 300, "batch": 32, "seed": 1}})",
      500);
  EXPECT_GE(em, 0.85);
}

TEST(LstmRun, TheTransformerBeatsItOnReverseAtLength10) {
  // Measured on 500 held-out inputs: transformer 100%, LSTM 15.6% (seeds 2, 3: 15.8%, 7.6%).
  const double transformer = trained_exact_match(
      reverse10(R"({"arch": "encoder-decoder", "d_model": 32, "num_layers": 1, "num_decoder_layers": 1, "nhead": 2,
                    "dim_feedforward": 64})"),
      200);
  const double lstm = trained_exact_match(reverse10(R"({"arch": "lstm", "d_model": 32, "num_layers": 1})"), 200);
  EXPECT_GE(transformer, 0.9);
  EXPECT_LE(lstm, 0.5);
}

TEST(LstmRun, ConfigReadsLayersAndHiddenSizeAndRoundTrips) {
  Json j;
  ASSERT_TRUE(Json::parse(reverse10(R"({"arch": "lstm", "d_model": 24, "num_layers": 2, "nhead": 5})"), &j).ok());
  RunConfig c;
  Status st = run_config_from_json(j, &c);
  ASSERT_TRUE(st.ok()) << st.message();  // nhead 5 does not divide 24, but an LSTM has no heads
  EXPECT_TRUE(c.recurrent);
  EXPECT_EQ(c.lstm.hidden_size, 24);
  EXPECT_EQ(c.lstm.num_layers, 2);
  EXPECT_EQ(c.lstm.vocab_size, c.task.vocab_size());
  const Json written = run_config_to_json(c);
  EXPECT_EQ(written.find("model")->string_or("arch", ""), "lstm");
  RunConfig again;
  st = run_config_from_json(written, &again);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(run_config_to_json(again).dump(), written.dump());
  TrainingRun run(c);
  EXPECT_EQ(run.num_parameters(), c.lstm.parameter_count());
  const Sample& s = run.held_out()[0];
  const ModelCache& trace = run.trace(s);
  EXPECT_TRUE(trace.encoder.layers.empty() && trace.decoder.layers.empty());  // no attention to show
  EXPECT_EQ(trace.logits.shape, (Shape{1, static_cast<int64_t>(s.y.size()) + 1, c.task.vocab_size()}));
  EXPECT_TRUE(run.check_input(s.x).ok());
  EXPECT_EQ(run.check_input({3, 99}).message(), "token id 99 is outside the vocabulary [0, " + std::to_string(c.task.vocab_size()) + ")");
  const Decoded d = run.infer(s.x);
  EXPECT_EQ(d.cache.T, static_cast<int64_t>(d.tokens.size()) + (d.finished ? 1 : 0));
  EXPECT_FALSE(run.load_weights(run.model()).ok());
}

TEST(LstmRun, BadConfigsGetMessages) {
  auto message = [](const std::string& model) {
    Json j;
    EXPECT_TRUE(Json::parse(reverse10(model), &j).ok());
    RunConfig c;
    return run_config_from_json(j, &c).message();
  };
  EXPECT_EQ(message(R"({"arch": "lstm", "dropout": 0.1})"), "the LSTM baseline has no dropout: set dropout to 0");
  EXPECT_EQ(message(R"({"arch": "lstm", "num_layers": 0})"), "an LSTM needs at least one layer");
  EXPECT_EQ(message(R"({"arch": "rnn"})"), "arch must be encoder, decoder, encoder-decoder or lstm, got 'rnn'");
  EXPECT_NE(message(R"({"arch": "lstm", "d_model": 4096, "num_layers": 8})").find("million parameters"), std::string::npos);
}

}  // namespace
}  // namespace attn::test

namespace attn::test {
namespace {

// ------------------------------------------------------------------------------------------------ model files
LstmSeq2SeqConfig small_lstm() {
  LstmSeq2SeqConfig c;
  c.vocab_size = 7;
  c.tgt_vocab_size = 6;
  c.head_size = 5;
  c.hidden_size = 4;
  c.num_layers = 2;
  c.pad_id = 0;
  return c;
}

std::vector<FloatBuffer> values_of(LstmSeq2Seq& m) {
  std::vector<FloatBuffer> v;
  m.visit([&](const std::string&, Param& p) { v.push_back(p.value.data); });
  return v;
}

// The message of loading bytes as any model file ("" when it loads).
std::string any_load_error(const std::string& bytes) {
  LoadedModel out;
  const Status st = load_any_model(bytes, &out);
  return st.ok() ? "" : st.message();
}

TEST(LstmModelFile, ReloadsBitExactlyWithNnLstmNamesAndGivesIdenticalOutputs) {
  LstmSeq2Seq m(small_lstm());
  Rng rng(3);
  m.reset_parameters(rng);
  const std::string bytes = save_model(m, false, {{"task", "test"}});

  // The file: nn.LSTM's state_dict names and shapes ([4H, in], gates i, f, g, o as the engine holds them), the config.
  SafetensorsFile file;
  ASSERT_TRUE(SafetensorsFile::parse(bytes, &file).ok());
  std::vector<std::string> names;
  for (const SafetensorsEntry& e : file.entries) names.push_back(e.name);
  const std::vector<std::string> want = {
      "embed.weight", "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0",
      "encoder.weight_ih_l1", "encoder.weight_hh_l1", "encoder.bias_ih_l1", "encoder.bias_hh_l1", "tgt_embed.weight",
      "decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0",
      "decoder.weight_ih_l1", "decoder.weight_hh_l1", "decoder.bias_ih_l1", "decoder.bias_hh_l1", "head.weight",
      "head.bias"};
  EXPECT_EQ(names, want);
  EXPECT_EQ(file.find("encoder.weight_ih_l0")->shape, (Shape{16, 4}));
  EXPECT_EQ(file.find("decoder.bias_hh_l1")->shape, (Shape{16}));
  EXPECT_EQ(file.find("head.weight")->shape, (Shape{5, 4}));
  EXPECT_EQ(file.metadata.at("config"), R"({"arch":"lstm","vocab_size":7,"tgt_vocab_size":6,"head_size":5,"hidden_size":4,"num_layers":2,"pad_id":0})");

  LoadedModel loaded;
  const Status st = load_any_model(bytes, &loaded);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(loaded.lstm && !loaded.model);
  EXPECT_EQ(loaded.metadata.at("task"), "test");
  EXPECT_EQ(lstm_config_to_json(loaded.lstm->config).dump(), lstm_config_to_json(m.config).dump());
  EXPECT_EQ(values_of(*loaded.lstm), values_of(m));  // bit for bit

  // Two sources, the second padded (packed: it ends at its pad), teacher-forced; then greedy decoding.
  const std::vector<int32_t> src = {3, 4, 5, 6, 2, 3, 0, 0}, tgt = {1, 2, 3, 1, 4, 0};
  LstmSeq2SeqCache c1, c2;
  m.forward(c1, src, 4, tgt, 3, 2);
  loaded.lstm->forward(c2, src, 4, tgt, 3, 2);
  EXPECT_EQ(c1.logits.data, c2.logits.data);
  const LstmAnswer a1 = m.greedy({3, 4, 5}, 1, 2, 6), a2 = loaded.lstm->greedy({3, 4, 5}, 1, 2, 6);
  EXPECT_EQ(a1.tokens, a2.tokens);
  EXPECT_EQ(a1.finished, a2.finished);

  // F16 storage: within half precision.
  LoadedModel half;
  ASSERT_TRUE(load_any_model(save_model(m, true), &half).ok());
  const std::vector<FloatBuffer> a = values_of(m), b = values_of(*half.lstm);
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < a[i].size(); ++k) EXPECT_NEAR(b[i][k], a[i][k], 2e-3);

  // The transformer loader says what the file is.
  LoadedModel transformer;
  EXPECT_EQ(load_model(bytes, &transformer).message(),
            "this file holds the training lab's LSTM baseline (arch \"lstm\"), not a transformer: it has no attention; "
            "Engine.loadRun (the lab) reads it");
}

TEST(LstmModelFile, RejectsEachKindOfBadFileWithAClearMessage) {
  LstmSeq2Seq m(small_lstm());
  const std::string good = save_model(m);
  auto edited = [&](const std::function<void(TensorList&, Metadata&)>& edit) { return any_load_error(rewritten(good, edit)); };
  auto with_config = [&](const std::string& config) { return edited([&](TensorList&, Metadata& meta) { meta["config"] = config; }); };
  EXPECT_EQ(any_load_error(good), "");
  // (7 + 6) x 4 embeddings + 2 LSTMs x 2 layers x (4H (H + H) + 8H = 160) + the head 5 x (4 + 1) = 717 values.
  EXPECT_EQ(edited([](TensorList& t, Metadata&) { t.pop_back(); }), "the file holds 712 values but the config needs 717");
  EXPECT_EQ(edited([](TensorList& t, Metadata&) { t[3].first = "encoder.bias_ih_l9"; }),
            "the model file is missing tensor 'encoder.bias_ih_l0'");
  EXPECT_EQ(edited([](TensorList& t, Metadata&) {
              for (auto& [name, x] : t)
                if (name == "encoder.weight_hh_l1") x.reshape({4, 16});
            }),
            "tensor 'encoder.weight_hh_l1' has shape [4, 16] but the config needs [16, 4]");
  EXPECT_EQ(edited([](TensorList& t, Metadata&) {  // a gate block moved between two tensors keeps the count
              t[1].second = Tensor({20, 4}, 0.0f);
              t[2].second = Tensor({12, 4}, 0.0f);
            }),
            "tensor 'encoder.weight_ih_l0' has shape [20, 4] but the config needs [16, 4]");
  EXPECT_EQ(edited([](TensorList& t, Metadata&) {
              t.back().first = "head.extra";
            }),
            "the model file is missing tensor 'head.bias'");
  const std::string json = R"("vocab_size":7,"tgt_vocab_size":6,"head_size":5,"hidden_size":4,"num_layers":2)";
  EXPECT_EQ(with_config(R"({"arch":"lstm",)" + json + "}"), "the LSTM config is invalid: the LSTM config has no 'pad_id'");
  EXPECT_EQ(with_config(R"({"arch":"lstm",)" + json + R"(,"pad_id":0,"dropout":0})"),
            "the LSTM config is invalid: unknown LSTM config key 'dropout'");
  EXPECT_EQ(with_config(R"({"arch":"lstm",)" + json + R"(,"pad_id":7})"),
            "the LSTM config is invalid: pad_id must be between -1 and 6, got 7");
  EXPECT_EQ(with_config(R"({"arch":"lstm","vocab_size":7,"tgt_vocab_size":6,"head_size":5,"hidden_size":8,"num_layers":2,"pad_id":0})"),
            "the file holds 717 values but the config needs 2453");  // another hidden size
  EXPECT_EQ(with_config(R"({"arch":"lstm","vocab_size":4000000,"tgt_vocab_size":6,"head_size":5,"hidden_size":8192,"num_layers":2,"pad_id":0})"),
            "the config describes 34915835909 parameters, more than the limit of 268435456");
  EXPECT_EQ(edited([](TensorList&, Metadata& meta) { meta["format"] = "gguf"; }),
            "not an attn model file: the metadata has no \"format\": \"attn-model\"");
  EXPECT_NE(any_load_error(good.substr(0, good.size() - 3)).find("invalid safetensors"), std::string::npos);
}

// A short LSTM run of the lab: copy at lengths 2 to 5 (its batches are padded), 2 layers.
RunConfig lstm_run_config(const std::string& model = R"({"arch": "lstm", "d_model": 12, "num_layers": 2})") {
  Json j;
  EXPECT_TRUE(Json::parse(R"({"task": {"name": "copy", "symbols": 8, "min_len": 2, "max_len": 5}, "model": )" + model +
                              R"(, "train": {"lr": 0.01, "warmup": 5}, "run": {"steps": 40, "batch": 16, "seed": 4, "eval_size": 50}})",
                          &j)
                  .ok());
  RunConfig c;
  const Status st = run_config_from_json(j, &c);
  EXPECT_TRUE(st.ok()) << st.message();
  return c;
}

// The message of TrainingRun::load ("" when the file loads).
std::string run_load_error(const std::string& bytes) {
  std::unique_ptr<TrainingRun> run;
  const Status st = TrainingRun::load(bytes, &run);
  return st.ok() ? "" : st.message();
}

TEST(LstmRun, SavedRunReloadsAndEvaluatesAndAnswersBitForBit) {
  const RunConfig c = lstm_run_config();
  TrainingRun run(c);
  while (run.steps_done() < 20) run.step();
  const std::string bytes = run.save();
  std::unique_ptr<TrainingRun> back;
  const Status st = TrainingRun::load(bytes, &back);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(back->config().recurrent);
  EXPECT_EQ(run_config_to_json(back->config()).dump(), run_config_to_json(c).dump());
  EXPECT_EQ(values_of(back->lstm()), values_of(run.lstm()));
  const EvalStats e1 = run.evaluate(), e2 = back->evaluate();
  EXPECT_EQ(e1.loss, e2.loss);
  EXPECT_EQ(e1.correct, e2.correct);
  const GenerationStats g1 = run.generate(), g2 = back->generate();
  EXPECT_EQ(g1.exact, g2.exact);
  EXPECT_EQ(g1.bleu.bleu, g2.bleu.bleu);
  for (const Sample& s : std::vector<Sample>(run.held_out().begin(), run.held_out().begin() + 5)) {
    const Decoded d1 = run.infer(s.x), d2 = back->infer(s.x);
    EXPECT_EQ(d1.tokens, d2.tokens);
    EXPECT_EQ(d1.finished, d2.finished);
    const Tensor logits = run.trace(s).logits;
    EXPECT_EQ(back->trace(s).logits.data, logits.data);
  }
  EXPECT_EQ(run.save(), back->save());  // the same file again
}

TEST(LstmRun, MismatchedRunFilesAreRefusedWithAMessage) {
  TrainingRun lstm(lstm_run_config());
  const std::string bytes = lstm.save();
  const std::string wider = run_config_to_json(lstm_run_config(R"({"arch": "lstm", "d_model": 16, "num_layers": 2})")).dump();
  const std::string transformer = run_config_to_json(lstm_run_config(R"({"arch": "encoder-decoder", "d_model": 12,
      "nhead": 2, "num_layers": 1, "num_decoder_layers": 1, "dim_feedforward": 16})")).dump();
  auto with_run = [&](const std::string& run) {
    return run_load_error(rewritten(bytes, [&](TensorList&, Metadata& meta) { meta["run"] = run; }));
  };
  EXPECT_EQ(with_run(wider),
            "the weights are of another model: "
            R"({"arch":"lstm","vocab_size":11,"tgt_vocab_size":11,"head_size":11,"hidden_size":12,"num_layers":2,"pad_id":0})");
  EXPECT_EQ(with_run(transformer), "a transformer run has no LSTM weights to load");
  EXPECT_EQ(with_run("{oops"), "the run config in this file is invalid: " + [] {
              Json j;
              return Json::parse("{oops", &j).message();
            }());
  EXPECT_EQ(run_load_error(rewritten(bytes, [](TensorList&, Metadata& meta) { meta.erase("run"); })),
            "this model file has no training-run config in its metadata (it was not saved by the lab or attn-train)");
  // A transformer run's file whose run config says LSTM.
  TrainingRun t(lstm_run_config(R"({"arch": "encoder-decoder", "d_model": 12, "nhead": 2, "num_layers": 1,
      "num_decoder_layers": 1, "dim_feedforward": 16})"));
  EXPECT_EQ(run_load_error(rewritten(t.save(), [&](TensorList&, Metadata& meta) { meta["run"] = run_config_to_json(lstm.config()).dump(); })),
            "an LSTM run has no transformer weights to load");
  EXPECT_EQ(run_load_error(t.save()), "");  // (a transformer run's own file loads)
}

}  // namespace
}  // namespace attn::test
