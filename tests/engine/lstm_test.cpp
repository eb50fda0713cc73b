// The LSTM baseline: nn.LSTM parity with PyTorch (tests/golden/lstm.safetensors, made by make_lstm.py): outputs,
// final state and the gradients of the input, the initial state and every parameter; the sequence-to-sequence
// model's logits and gradients; and training it in the lab's run (train/run.h), beside a transformer.
#include "layers/lstm.h"
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
