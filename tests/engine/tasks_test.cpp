// The lab's tasks and training runs (engine/train/tasks.h, run.h): batch layouts, the held-out split, the
// dates task, learners' input and its messages, run configs and their messages, and a run that learns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "train/run.h"

namespace attn {
namespace {

Sample toy(TaskKind kind, std::vector<int32_t> x) { return {x, task_answer(kind, x)}; }

TEST(Tasks, LayoutsForEachArchitecture) {
  const Batch ed = make_batch(Arch::kEncoderDecoder, {toy(TaskKind::kReverse, {3, 4, 5}), toy(TaskKind::kReverse, {6, 7})});
  EXPECT_EQ(ed.src, (std::vector<int32_t>{3, 4, 5, 6, 7, 0}));
  EXPECT_EQ(ed.tgt, (std::vector<int32_t>{1, 5, 4, 3, 1, 7, 6, 0}));
  EXPECT_EQ(ed.targets, (std::vector<int32_t>{5, 4, 3, 2, 7, 6, 2, 0}));
  const Batch lm = make_batch(Arch::kDecoder, {toy(TaskKind::kReverse, {3, 4})});
  EXPECT_EQ(lm.src, (std::vector<int32_t>{3, 4, 1, 4, 3}));
  EXPECT_EQ(lm.targets, (std::vector<int32_t>{0, 0, 4, 3, 2}));
  EXPECT_EQ(make_batch(Arch::kEncoder, {toy(TaskKind::kSort, {5, 3, 4})}).targets, (std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(task_answer(TaskKind::kRepeat, {3, 4}), (std::vector<int32_t>{3, 4, 3, 4}));
  TaskConfig t;
  t.kind = TaskKind::kRepeat;
  EXPECT_FALSE(t.validate(Arch::kEncoder).ok());
  t.kind = TaskKind::kDates;
  EXPECT_NE(t.validate(Arch::kEncoder).message().find("needs a decoder"), std::string::npos);
}

TEST(Tasks, TrainingNeverSeesAHeldOutInput) {
  for (TaskKind kind : {TaskKind::kReverse, TaskKind::kDates, TaskKind::kSummarize}) {
    TaskConfig t;
    t.kind = kind;
    t.min_len = 1;
    t.max_len = 3;  // 1110 inputs: collisions between the parts would show up
    Rng a(1), b(2);
    std::set<std::vector<int32_t>> train, held;
    for (int i = 0; i < 3000; ++i) train.insert(task_sample(t, a, Split::kTrain).x);
    for (int i = 0; i < 500; ++i) held.insert(task_sample(t, b, Split::kHeldOut).x);
    for (const auto& x : held) {
      EXPECT_TRUE(is_held_out(x));
      EXPECT_EQ(train.count(x), 0u);
    }
    // About 1 in 8 of all inputs is held out: on 1110 toy inputs that is ~139; draws cover most of them.
    if (kind == TaskKind::kReverse) {
      EXPECT_GT(held.size(), 90u);
      EXPECT_LT(held.size(), 190u);
    }
  }
}

TEST(Tasks, TooSmallATaskToHoldOutIsExplained) {
  TaskConfig t;
  t.symbols = 2;
  t.min_len = 1;
  t.max_len = 3;  // 14 inputs
  EXPECT_NE(t.validate(Arch::kEncoderDecoder).message().find("only 14 different inputs"), std::string::npos)
      << t.validate(Arch::kEncoderDecoder).message();
}

TEST(Tasks, DatesAreCharactersOfTheGrammar) {
  TaskConfig t;
  t.kind = TaskKind::kDates;
  EXPECT_EQ(t.vocab_size(), 3 + 68);
  Rng rng(5);
  size_t longest = 0;
  for (int i = 0; i < 20000; ++i) {
    const Sample s = task_sample(t, rng);
    longest = std::max(longest, s.x.size());
    ASSERT_EQ(s.y.size(), static_cast<size_t>(kDateTarget));
    for (int32_t id : s.x) ASSERT_TRUE(id >= kFirstSymbol && id < t.vocab_size());
    const std::string y = task_text(t, s.y);
    ASSERT_EQ(y[4], '-');
    ASSERT_EQ(y[7], '-');
  }
  EXPECT_LE(longest, static_cast<size_t>(kDateMaxSource));
  EXPECT_GE(longest, 30u);
  std::vector<int32_t> x;
  ASSERT_TRUE(parse_task_input(t, "Nov. 23rd '26", &x).ok());
  EXPECT_EQ(task_text(t, x), "Nov. 23rd '26");
  EXPECT_EQ(token_label(t, x[4]), "\xE2\x90\xA3");  // the space shows as ␣
  EXPECT_EQ(token_label(t, kEos), "<eos>");
  EXPECT_EQ(t.max_positions(Arch::kDecoder), kDateMaxSource + 1 + kDateTarget);
}

TEST(Tasks, LearnersInputGetsMessagesThatSayWhatToType) {
  TaskConfig t;  // reverse, 10 symbols, lengths 3..10
  std::vector<int32_t> x;
  ASSERT_TRUE(parse_task_input(t, "3 1 4", &x).ok());
  EXPECT_EQ(x, (std::vector<int32_t>{6, 4, 7}));
  ASSERT_TRUE(parse_task_input(t, "314", &x).ok());  // at most 10 symbols: one digit each
  EXPECT_EQ(x, (std::vector<int32_t>{6, 4, 7}));
  EXPECT_EQ(task_text(t, x), "3 1 4");
  auto message = [&](const TaskConfig& task, const std::string& text) {
    std::vector<int32_t> ids;
    return parse_task_input(task, text, &ids).message();
  };
  EXPECT_NE(message(t, "").find("type a sequence of numbers from 0 to 9"), std::string::npos);
  EXPECT_NE(message(t, "3 x 4").find("'x' is not a symbol of this task: use numbers from 0 to 9"), std::string::npos);
  EXPECT_NE(message(t, "1 2 3 4 5 6 7 8 9 1 2").find("at most 10 symbols (this one has 11)"), std::string::npos);
  t.symbols = 20;
  ASSERT_TRUE(parse_task_input(t, "12 0 19", &x).ok());
  EXPECT_EQ(x, (std::vector<int32_t>{15, 3, 22}));
  EXPECT_NE(message(t, "20").find("20 is not a symbol"), std::string::npos);
  TaskConfig d;
  d.kind = TaskKind::kDates;
  EXPECT_NE(message(d, "23 d\xC3\xA9""c. 2026").find("'\xC3\xA9' is not a character"), std::string::npos);
  EXPECT_NE(message(d, std::string(39, '1')).find("at most 38 characters"), std::string::npos);
  EXPECT_NE(message(d, "a\tb").find("'\\x09'"), std::string::npos);
}

Status parse_run(const std::string& text, RunConfig* c) {
  Json j;
  Status st = Json::parse(text, &j);
  if (!st.ok()) return st;
  return run_config_from_json(j, c);
}

TEST(RunConfig, InvalidCombinationsAreExplainedBeforeTraining) {
  RunConfig c;
  auto message = [&](const std::string& text) { return parse_run(text, &c).message(); };
  EXPECT_EQ(message(R"({"model": {"d_model": 30, "nhead": 4}})"), "d_model (30) must be divisible by nhead (4)");
  EXPECT_NE(message(R"({"task": {"name": "repeat"}, "model": {"arch": "encoder"}})").find("needs a decoder"), std::string::npos);
  EXPECT_NE(message(R"({"run": {"steps": 50}, "train": {"warmup": 100}})").find("warmup (100 steps) must be shorter"), std::string::npos);
  EXPECT_NE(message(R"({"model": {"d_model": 4096, "dim_feedforward": 16384, "num_layers": 6}})").find("million parameters"), std::string::npos);
  EXPECT_NE(message(R"({"model": {"vocab_size": 99}})").find("model.vocab_size follows from the task (13)"), std::string::npos);
  EXPECT_NE(message(R"({"model": {"dropout": 1.5}})").find("dropout"), std::string::npos);
  EXPECT_NE(message(R"({"train": {"lr": -1}})").find("lr must be a positive number"), std::string::npos);
  EXPECT_NE(message(R"({"run": {"batch": 0}})").find("batch must be between 1 and 1024"), std::string::npos);
  EXPECT_NE(message(R"({"model": {"num_layers": 0, "num_decoder_layers": 0}})").find("no layers"), std::string::npos);
  EXPECT_NE(message(R"({"lab": {}})").find("unknown run config section 'lab'"), std::string::npos);
  EXPECT_NE(message(R"({"task": {"name": "translate"}})").find("copy, reverse, sort, repeat, dates or summarize"), std::string::npos);
  // A written config reads back to the same config.
  ASSERT_TRUE(parse_run(R"({"task": {"name": "dates"}, "model": {"arch": "decoder", "d_model": 48, "nhead": 3},
                            "run": {"steps": 300, "batch": 16}, "train": {"lr": 0.002, "warmup": 20}})", &c).ok());
  RunConfig again;
  ASSERT_TRUE(run_config_from_json(run_config_to_json(c), &again).ok());
  EXPECT_EQ(run_config_to_json(again).dump(), run_config_to_json(c).dump());
  EXPECT_EQ(c.model.vocab_size, 71);
  EXPECT_EQ(c.model.max_len, kDateMaxSource + 1 + kDateTarget + 1);
  EXPECT_EQ(c.train.optim.total_steps, 300);
}

TEST(TrainingRun, ReversalLearnsAndGeneratesHeldOutAnswers) {
  RunConfig c;
  ASSERT_TRUE(parse_run(R"({"task": {"name": "reverse", "min_len": 3, "max_len": 6},
      "model": {"num_layers": 1, "num_decoder_layers": 1, "d_model": 32, "nhead": 2, "dim_feedforward": 64},
      "train": {"lr": 0.01, "warmup": 50}, "run": {"steps": 400, "batch": 32, "eval_size": 100}})", &c).ok());
  TrainingRun run(c);
  ASSERT_EQ(run.held_out().size(), 100u);
  for (const Sample& s : run.held_out()) ASSERT_TRUE(is_held_out(s.x));
  const double before = run.evaluate().loss;
  for (int i = 0; i < 400; ++i) run.step();
  EXPECT_EQ(run.steps_done(), 400);
  const EvalStats e = run.evaluate();
  EXPECT_LT(e.loss, before * 0.2);
  const GenerationStats g = run.generate();
  EXPECT_GT(g.exact_match(), 0.9);
  EXPECT_GT(g.bleu.bleu, 0.9);
  const Decoded d = run.infer({3, 5, 7, 4});
  EXPECT_EQ(d.tokens, (std::vector<int32_t>{4, 7, 5, 3}));
  // The trace of one example: cross-attention [1, H, T, S] of a teacher-forced forward.
  const ModelCache& cache = run.trace(run.held_out()[0]);
  EXPECT_EQ(cache.decoder.layers[0].multihead_attn.weights.dim(1), 2);
  EXPECT_EQ(cache.decoder.layers[0].multihead_attn.weights.dim(3), static_cast<int64_t>(run.held_out()[0].x.size()));
  EXPECT_FALSE(run.check_input({}).ok());
  EXPECT_FALSE(run.check_input({3, 4, 5, 6, 7, 8, 9}).ok());
}

TEST(TrainingRun, SameConfigSameRun) {
  RunConfig c;
  ASSERT_TRUE(parse_run(R"({"task": {"name": "dates"}, "model": {"num_layers": 1, "num_decoder_layers": 1, "d_model": 16,
      "nhead": 2, "dim_feedforward": 32}, "train": {"warmup": 2}, "run": {"steps": 5, "batch": 4, "eval_size": 8}})", &c).ok());
  TrainingRun a(c), b(c);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.step().loss, b.step().loss);
  EXPECT_EQ(a.evaluate().loss, b.evaluate().loss);
}

TEST(TrainingRun, NextBatchIsWhatTheNextStepTrainsOnAndLookingChangesNothing) {
  RunConfig c;
  ASSERT_TRUE(parse_run(R"({"task": {"name": "reverse", "min_len": 3, "max_len": 8}, "model": {"num_layers": 1,
      "num_decoder_layers": 1, "d_model": 16, "nhead": 2, "dim_feedforward": 32}, "train": {"warmup": 2},
      "run": {"steps": 40, "batch": 8, "eval_size": 8}})", &c).ok());
  TrainingRun peeked(c), plain(c);
  for (int i = 0; i < 40; ++i) {  // 40 steps: more than two buckets of kBucketBatches batches
    const Batch b = peeked.next_batch();
    EXPECT_EQ(peeked.next_batch().src, b.src) << "looking twice shows the same batch";
    // The batch is padded to its own longest input, and teacher forcing shifts the answer by one: the decoder
    // reads <bos> y and is scored on y <eos>.
    ASSERT_EQ(b.B, 8);
    ASSERT_EQ(b.src.size(), static_cast<size_t>(b.B * b.S));
    ASSERT_EQ(b.tgt.size(), static_cast<size_t>(b.B * b.T));
    for (int64_t r = 0; r < b.B; ++r) {
      EXPECT_EQ(b.tgt[r * b.T], kBos);
      for (int64_t t = 0; t + 1 < b.T; ++t) {
        const int32_t scored = b.targets[r * b.T + t];
        if (scored != kPad && scored != kEos) {
          EXPECT_EQ(b.tgt[r * b.T + t + 1], scored);
        }
      }
    }
    bool any_full = false;
    for (int64_t r = 0; r < b.B; ++r) any_full |= b.src[r * b.S + b.S - 1] != kPad;
    EXPECT_TRUE(any_full) << "no column of padding only";
    EXPECT_EQ(peeked.step().loss, plain.step().loss) << "step " << i;
  }
  EXPECT_EQ(peeked.evaluate().loss, plain.evaluate().loss);
}

// ----------------------------------------------------------------------------- head ablation of a run's inference
// A run of each transformer architecture on the reversal task, trained a few steps (the weights need only differ
// from their start, not be good): 2 layers (encoder-decoder: 2 + 1) of 2 heads, d_model 16.
std::unique_ptr<TrainingRun> small_run(const std::string& arch) {
  RunConfig c;
  const std::string config = R"({"task": {"name": "reverse", "min_len": 3, "max_len": 6}, "model": {"arch": ")" + arch +
                             R"(", "num_layers": 2, "num_decoder_layers": 1, "d_model": 16, "nhead": 2, "dim_feedforward": 32},
      "train": {"warmup": 2}, "run": {"steps": 20, "batch": 8, "eval_size": 20}})";
  EXPECT_TRUE(parse_run(config, &c).ok()) << config;
  auto run = std::make_unique<TrainingRun>(c);
  for (int i = 0; i < 20; ++i) run->step();
  return run;
}

std::map<std::string, Tensor> trace_of(const ModelCache& cache) {
  std::map<std::string, Tensor> out;
  TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& t) { out[name] = t; });
  return out;
}

// Masks [layers, H] for every stack of the run's model, all `value` (head_mask; for encoder-decoder models also
// decoder_head_mask and cross_attn_head_mask).
HeadMasks masks_of(const TrainingRun& run, float value) {
  const ModelConfig& m = run.config().model;
  const int64_t H = m.layer.nhead;
  HeadMasks h;
  h.head_mask.mask = Tensor({m.num_layers, H}, value);
  if (m.arch == Arch::kEncoderDecoder) {
    h.decoder_head_mask.mask = Tensor({m.num_decoder_layers, H}, value);
    h.cross_attn_head_mask.mask = Tensor({m.num_decoder_layers, H}, value);
  }
  return h;
}

const std::vector<int32_t> kInput = {3, 5, 7, 4, 6};

// Masks of ones give the unmasked answer and attention, bit for bit, and the same log-probability; recording the
// scores (the neuron view's queries, keys and scores) changes none of it either.
TEST(TrainingRunAblation, MasksOfOnesAndRecordedScoresChangeNothing) {
  for (const std::string arch : {"encoder-decoder", "decoder", "encoder"}) {
    SCOPED_TRACE(arch);
    const auto run = small_run(arch);
    HeadMasks ones = masks_of(*run, 1.0f);
    ASSERT_TRUE(run->check_head_masks(&ones).ok());
    const Decoded plain = run->infer(kInput);
    InferOptions masked_opts, scores_opts;
    masked_opts.heads = &ones;
    scores_opts.record_scores = true;
    const Decoded masked = run->infer(kInput, masked_opts), scored = run->infer(kInput, scores_opts);
    EXPECT_EQ(masked.tokens, plain.tokens);
    EXPECT_EQ(masked.finished, plain.finished);
    EXPECT_EQ(scored.tokens, plain.tokens);
    const auto want = trace_of(plain.cache), got = trace_of(masked.cache), full = trace_of(scored.cache);
    ASSERT_EQ(got.size(), want.size());
    int scores = 0;
    for (const auto& [name, t] : want) {
      EXPECT_EQ(got.at(name).data, t.data) << name;
      EXPECT_EQ(full.at(name).data, t.data) << name;
      if (name.size() > 8 && name.compare(name.size() - 8, 8, ".weights") == 0) {
        const std::string base = name.substr(0, name.size() - 8);
        ASSERT_TRUE(full.count(base + ".scores") && full.count(base + ".scaled") && full.count(base + ".q")) << base;
        EXPECT_EQ(full.at(base + ".scores").shape, t.shape);
        ++scores;
      }
    }
    EXPECT_EQ(scores, arch == "encoder-decoder" ? 4 : 2);  // every attention of the last forward
    double lp_plain = 0, lp_ones = 1;
    ASSERT_TRUE(run->log_prob(kInput, plain.tokens, plain.finished, nullptr, &lp_plain).ok());
    ASSERT_TRUE(run->log_prob(kInput, plain.tokens, plain.finished, &ones, &lp_ones).ok());
    EXPECT_EQ(lp_ones, lp_plain);
    EXPECT_LT(lp_plain, 0.0);
  }
}

// log_prob scores an answer teacher-forced: for the answer infer wrote, that is the logits of infer's last
// forward, row by row (log softmax of each written symbol, and of <eos> when finished).
TEST(TrainingRunAblation, LogProbScoresTheAnswerWithTheLogitsThatWroteIt) {
  for (const std::string arch : {"encoder-decoder", "decoder", "encoder"}) {
    SCOPED_TRACE(arch);
    const auto run = small_run(arch);
    const Decoded d = run->infer(kInput);
    std::vector<int32_t> scored = d.tokens;
    if (d.finished && arch != "encoder") scored.push_back(kEos);
    const Tensor& logits = d.cache.logits;
    const int64_t C = logits.dim(-1), first = arch == "decoder" ? static_cast<int64_t>(kInput.size()) : 0;
    double want = 0;
    for (size_t i = 0; i < scored.size(); ++i) {
      const float* row = logits.ptr() + (first + static_cast<int64_t>(i)) * C;
      double top = row[0], sum = 0;
      for (int64_t c = 1; c < C; ++c) top = std::max(top, static_cast<double>(row[c]));
      for (int64_t c = 0; c < C; ++c) sum += std::exp(row[c] - top);
      want += row[scored[i]] - top - std::log(sum);
    }
    double got = 0;
    ASSERT_TRUE(run->log_prob(kInput, d.tokens, d.finished, nullptr, &got).ok());
    EXPECT_NEAR(got, want, 1e-12);
  }
}

// A head switched off: its weights are 0 and, with the held-out means, its context vector is its mean; the other
// heads of its layer and every layer below read as before, bit for bit. An encoder-decoder's decoder masks leave
// its encoder alone.
TEST(TrainingRunAblation, AMaskedHeadChangesOnlyWhatComesAfterIt) {
  const auto enc = small_run("encoder");
  HeadMasks off;
  ASSERT_TRUE(enc->held_out_head_means(&off).ok());
  off.head_mask.mask = masks_of(*enc, 1.0f).head_mask.mask;
  off.head_mask.mask.data[2] = 0.0f;  // layer 2, head 1
  const int64_t H = 2, Dh = 8;
  ASSERT_EQ(off.head_mask.mean.shape, (Shape{2, H, Dh}));
  ASSERT_TRUE(enc->check_head_masks(&off).ok());
  InferOptions o;
  o.heads = &off;
  const auto before = trace_of(enc->infer(kInput).cache), after = trace_of(enc->infer(kInput, o).cache);
  const int64_t L = static_cast<int64_t>(kInput.size());
  EXPECT_EQ(after.at("encoder.layers.0.self_attn.weights").data, before.at("encoder.layers.0.self_attn.weights").data);
  const Tensor& w = after.at("encoder.layers.1.self_attn.weights");  // [1, H, L, L]
  const Tensor& was = before.at("encoder.layers.1.self_attn.weights");
  for (int64_t k = 0; k < L * L; ++k) {
    EXPECT_EQ(w.data[static_cast<size_t>(k)], 0.0f);
    EXPECT_EQ(w.data[static_cast<size_t>(L * L + k)], was.data[static_cast<size_t>(L * L + k)]);
  }
  const Tensor& ctx = after.at("encoder.layers.1.self_attn.heads");  // [1, H, L, Dh]
  for (int64_t i = 0; i < L; ++i)
    for (int64_t d = 0; d < Dh; ++d) EXPECT_EQ(ctx.data[static_cast<size_t>(i * Dh + d)], off.head_mask.mean.data[static_cast<size_t>(2 * Dh + d)]);
  double plain = 0, ablated = 0;
  const Decoded answer = enc->infer(kInput);
  ASSERT_TRUE(enc->log_prob(kInput, answer.tokens, true, nullptr, &plain).ok());
  ASSERT_TRUE(enc->log_prob(kInput, answer.tokens, true, &off, &ablated).ok());
  EXPECT_NE(ablated, plain);

  const auto seq2seq = small_run("encoder-decoder");
  HeadMasks cross = masks_of(*seq2seq, 1.0f);
  cross.cross_attn_head_mask.mask.data[1] = 0.0f;  // cross-attention layer 1, head 2
  ASSERT_TRUE(seq2seq->check_head_masks(&cross).ok());
  o.heads = &cross;
  const Decoded d = seq2seq->infer(kInput, o);
  const auto full = trace_of(seq2seq->infer(kInput).cache), masked = trace_of(d.cache);
  for (const char* name : {"encoder.layers.0.self_attn.weights", "encoder.layers.1.self_attn.weights"})
    EXPECT_EQ(masked.at(name).data, full.at(name).data) << name;
  const Tensor& c = masked.at("decoder.layers.0.multihead_attn.weights");  // [1, H, T, S]
  const int64_t n = c.dim(2) * c.dim(3);
  for (int64_t k = 0; k < n; ++k) EXPECT_EQ(c.data[static_cast<size_t>(n + k)], 0.0f);
  EXPECT_GT(*std::max_element(c.data.begin(), c.data.begin() + n), 0.0f);
}

TEST(TrainingRunAblation, BadInputAndLstmRunsGetMessages) {
  const auto enc = small_run("encoder");
  double lp = 0;
  EXPECT_EQ(enc->log_prob(kInput, {3, 4}, true, nullptr, &lp).message(),
            "an encoder labels each input position: give 5 labels, not 2");
  EXPECT_NE(enc->log_prob(kInput, {3, 4, 99, 5, 6}, true, nullptr, &lp).message().find("token id 99 is outside"), std::string::npos);
  EXPECT_NE(enc->log_prob({}, {}, true, nullptr, &lp).message().find("empty"), std::string::npos);
  HeadMasks wrong;
  wrong.head_mask.mask = Tensor({3, 2}, 1.0f);
  EXPECT_NE(enc->check_head_masks(&wrong).message().find("head_mask has shape [3, 2]"), std::string::npos);
  RunConfig c;
  ASSERT_TRUE(parse_run(R"({"model": {"arch": "lstm", "num_layers": 1, "d_model": 16}, "train": {"warmup": 2},
      "run": {"steps": 5, "batch": 4, "eval_size": 4}})", &c).ok());
  TrainingRun lstm(c);
  HeadMasks none, one;
  EXPECT_TRUE(lstm.check_head_masks(&none).ok());
  one.head_mask.mask = Tensor({1, 1}, 0.0f);
  EXPECT_EQ(lstm.check_head_masks(&one).message(), "an LSTM has no attention heads to switch off");
  EXPECT_FALSE(lstm.held_out_head_means(&none).ok());
  EXPECT_FALSE(lstm.log_prob(kInput, {3}, true, nullptr, &lp).ok());
}

}  // namespace
}  // namespace attn
