// The lab's tasks and training runs (engine/train/tasks.h, run.h): batch layouts, the held-out split, the
// dates task, learners' input and its messages, run configs and their messages, and a run that learns.
#include <gtest/gtest.h>

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
  for (TaskKind kind : {TaskKind::kReverse, TaskKind::kDates}) {
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
  EXPECT_NE(message(R"({"task": {"name": "translate"}})").find("copy, reverse, sort, repeat or dates"), std::string::npos);
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

}  // namespace
}  // namespace attn
