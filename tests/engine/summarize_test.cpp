// The summarization task (engine/train/summarize.h, and the "summarize" task of train/tasks.h): the grammar's
// sentences and headlines (every headline word is in its sentence, where `from` says, and the rule reads it back
// from the words alone), its variety (a role is not a position), the same examples from the same seed, the words
// <-> ids round trip, learners' sentences and bad configs with their messages.
// The task trains, and its cross-attention finds each headline word's source word: tasks_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "train/run.h"
#include "train/summarize.h"

namespace attn {
namespace {

TaskConfig summarize_task() {
  TaskConfig t;
  t.kind = TaskKind::kSummarize;
  return t;
}

std::vector<int> indices_of(const std::string& sentence) {
  std::vector<int> out;
  size_t i = 0;
  while (i < sentence.size()) {
    const size_t j = std::min(sentence.find(' ', i), sentence.size());
    out.push_back(summarize::word_index(sentence.substr(i, j - i)));
    EXPECT_GE(out.back(), 0) << sentence.substr(i, j - i);
    i = j + 1;
  }
  return out;
}

// The headline the rule reads from a sentence, as text ("" when it cannot read one).
std::string headline(const std::string& sentence) {
  const std::vector<int> s = indices_of(sentence);
  std::vector<int> from;
  if (!summarize::headline_of(s, &from)) return "";
  std::vector<int> h;
  for (int p : from) h.push_back(s[static_cast<size_t>(p)]);
  return summarize::text(h);
}

TEST(Summarize, TheRuleReadsTheHeadlineOfEachVoice) {
  EXPECT_EQ(headline("yesterday the tired old farmer quietly sold his two brown cows at the market"), "farmer sold cows at market");
  EXPECT_EQ(headline("his two brown cows were quietly sold by the tired old farmer"), "farmer sold cows");
  EXPECT_EQ(headline("the teacher thanked the nurse for the mayor"), "teacher thanked nurse");
  EXPECT_EQ(headline("the nurse was thanked by the teacher for the mayor on monday"), "teacher thanked nurse");
  EXPECT_EQ(headline("near the old bridge a farmer fixed the fence"), "farmer fixed fence near bridge");
  EXPECT_EQ(headline("on monday the fence was fixed by a farmer behind the busy market"), "farmer fixed fence behind market");
  EXPECT_EQ(headline("the farmer the cows"), "");                  // no verb
  EXPECT_EQ(headline("the farmer sold the cows bought"), "");      // two verbs
  EXPECT_EQ(headline("the cows were sold"), "");                   // nobody did it
  EXPECT_EQ(headline("at the market the farmer sold the cows near the river"), "");  // two places
}

TEST(Summarize, EveryHeadlineWordIsInItsSentenceWhereTheAlignmentSays) {
  Rng rng(7);
  std::map<int, int> who_at, what_at;
  int passive = 0, longest = 0, shortest = 100, where = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const summarize::Example e = summarize::random_example(rng);
    ASSERT_TRUE(e.headline.size() == 3 || e.headline.size() == static_cast<size_t>(summarize::kMaxHeadline));
    ASSERT_EQ(e.from.size(), e.headline.size());
    where += e.headline.size() == 5;
    for (size_t k = 0; k < e.headline.size(); ++k) {
      ASSERT_LT(e.from[k], static_cast<int>(e.source.size()));
      ASSERT_EQ(e.source[static_cast<size_t>(e.from[k])], e.headline[k]) << summarize::text(e.source);
      // Each headline word is in its sentence once, so its source word is unambiguous.
      ASSERT_EQ(std::count(e.source.begin(), e.source.end(), e.headline[k]), 1) << summarize::text(e.source);
    }
    std::vector<int> from;
    ASSERT_TRUE(summarize::headline_of(e.source, &from)) << summarize::text(e.source);
    ASSERT_EQ(from, e.from) << summarize::text(e.source);
    passive += e.passive;
    longest = std::max(longest, static_cast<int>(e.source.size()));
    shortest = std::min(shortest, static_cast<int>(e.source.size()));
    ++who_at[e.from[0]];
    ++what_at[e.from[2]];
  }
  EXPECT_LE(longest, summarize::kMaxSource);
  EXPECT_GE(longest, summarize::kMaxSource - 2);
  EXPECT_LE(shortest, 5);
  EXPECT_GT(passive, n / 4);
  EXPECT_LT(passive, n / 2);
  EXPECT_GT(where, n / 2);  // 6 in 10 sentences say where
  EXPECT_LT(where, 2 * n / 3);
  // A role is not a position: the doer's noun is found at many places, none of them most of the time.
  EXPECT_GE(who_at.size(), 15u);
  EXPECT_GE(what_at.size(), 15u);
  for (const auto& [at, count] : who_at) EXPECT_LT(count, n / 5) << "the doer at " << at;
}

TEST(Summarize, SameSeedSameExamplesAndBatches) {
  const TaskConfig t = summarize_task();
  Rng a(3), b(3), c(4);
  bool differs = false;
  for (int i = 0; i < 200; ++i) {
    const Sample x = task_sample(t, a), y = task_sample(t, b), z = task_sample(t, c);
    ASSERT_EQ(x.x, y.x);
    ASSERT_EQ(x.y, y.y);
    differs |= x.x != z.x;
  }
  EXPECT_TRUE(differs);
  Rng d(9), e(9);
  const Batch p = task_batch(t, Arch::kEncoderDecoder, 16, d), q = task_batch(t, Arch::kEncoderDecoder, 16, e);
  EXPECT_EQ(p.src, q.src);
  EXPECT_EQ(p.targets, q.targets);
}

TEST(Summarize, WordsAndIdsRoundTrip) {
  const TaskConfig t = summarize_task();
  const std::vector<std::string>& words = summarize::words();
  EXPECT_EQ(t.vocab_size(), kFirstSymbol + static_cast<int32_t>(words.size()));
  EXPECT_GT(words.size(), 150u);
  EXPECT_EQ(std::set<std::string>(words.begin(), words.end()).size(), words.size()) << "each word once";
  for (size_t i = 0; i < words.size(); ++i) {
    ASSERT_EQ(summarize::word_index(words[i]), static_cast<int>(i));
    ASSERT_EQ(token_label(t, kFirstSymbol + static_cast<int32_t>(i)), words[i]);
  }
  EXPECT_EQ(token_label(t, t.vocab_size()), "<?>");
  EXPECT_EQ(token_label(t, kBos), "<bos>");
  Rng rng(11);
  for (int i = 0; i < 500; ++i) {
    const Sample s = task_sample(t, rng);
    std::vector<int32_t> x;
    ASSERT_TRUE(parse_task_input(t, task_text(t, s.x), &x).ok());
    ASSERT_EQ(x, s.x);
    std::vector<int32_t> y;
    ASSERT_TRUE(rule_answer(t, s.x, &y));
    ASSERT_EQ(y, s.y) << task_text(t, s.x);
  }
  std::vector<int32_t> x;
  ASSERT_TRUE(parse_task_input(t, "Yesterday, the farmer sold his cows.", &x).ok());
  EXPECT_EQ(task_text(t, x), "yesterday the farmer sold his cows");
  EXPECT_EQ(t.max_input(), summarize::kMaxSource);
  EXPECT_EQ(t.max_answer(), summarize::kMaxHeadline);
  EXPECT_EQ(t.max_positions(Arch::kDecoder), summarize::kMaxSource + 1 + summarize::kMaxHeadline);
}

TEST(Summarize, LearnersSentencesAndBadConfigsGetMessages) {
  const TaskConfig t = summarize_task();
  auto message = [&](const std::string& text) {
    std::vector<int32_t> ids;
    return parse_task_input(t, text, &ids).message();
  };
  EXPECT_EQ(message("the farmer sold the cows"), "");
  EXPECT_NE(message("the farmer sold the tractor").find("'tractor' is not a word of the summarize task"), std::string::npos);
  EXPECT_NE(message(" ,. ").find("type a sentence"), std::string::npos);
  std::string long_one;
  for (int i = 0; i < 25; ++i) long_one += "the ";
  EXPECT_NE(message(long_one).find("at most 24 words, please (this one has 25)"), std::string::npos);
  EXPECT_NE(t.validate(Arch::kEncoder).message().find("the summarize task needs a decoder"), std::string::npos);
  EXPECT_TRUE(t.validate(Arch::kDecoder).ok());

  auto config = [](const std::string& text, RunConfig* c) {
    Json j;
    Status st = Json::parse(text, &j);
    return st.ok() ? run_config_from_json(j, c) : st;
  };
  RunConfig c;
  EXPECT_NE(config(R"({"task": {"name": "summarise"}})", &c).message().find("dates or summarize, got 'summarise'"), std::string::npos);
  EXPECT_NE(config(R"({"task": {"name": "summarize", "words": 50}})", &c).message().find("unknown task key 'words'"), std::string::npos);
  EXPECT_NE(config(R"({"task": {"name": "summarize"}, "model": {"arch": "encoder"}})", &c).message().find("needs a decoder"), std::string::npos);
  EXPECT_NE(config(R"({"task": {"name": "summarize"}, "model": {"vocab_size": 10}})", &c).message().find("follows from the task"), std::string::npos);
  ASSERT_TRUE(config(R"({"task": {"name": "summarize"}})", &c).ok());
  EXPECT_EQ(c.model.vocab_size, t.vocab_size());
  EXPECT_EQ(task_config_to_json(c.task).dump(), R"({"name":"summarize"})");
}

}  // namespace
}  // namespace attn

// ----------------------------------------------------------------------------------------- a run that learns it
namespace attn {
namespace {

// How well cross-attention (decoder layer 0, [1, H, T, S]) finds the source word of each headline word, over
// held-out examples, teacher-forced: the row that writes headline word k should weigh its source word most.
struct Alignment {
  double mean_hits = 0;  // share of headline words whose head-mean row has its maximum on the source word
  double head_hits = 0;  // share whose best head (the one weighing the source word most) has its maximum there
  double mean_weight = 0;  // head-mean weight on the source word, averaged over headline words
};

Alignment alignment(TrainingRun& run, size_t examples) {
  Alignment a;
  int64_t words = 0;
  for (size_t e = 0; e < examples; ++e) {
    const Sample& s = run.held_out()[e];
    std::vector<int> indices, from;
    for (int32_t id : s.x) indices.push_back(id - kFirstSymbol);
    EXPECT_TRUE(summarize::headline_of(indices, &from));
    const Tensor& w = run.trace(s).decoder.layers[0].multihead_attn.weights;
    const int64_t H = w.dim(1), T = w.dim(2), S = w.dim(3);
    EXPECT_EQ(T, static_cast<int64_t>(s.y.size()) + 1);  // <bos> y: row k writes y[k], the last writes <eos>
    for (size_t k = 0; k < from.size(); ++k, ++words) {
      std::vector<double> mean(static_cast<size_t>(S), 0.0);
      double best_on_source = -1;
      bool best_hits = false;
      for (int64_t h = 0; h < H; ++h) {
        const float* row = w.ptr() + (h * T + static_cast<int64_t>(k)) * S;
        for (int64_t j = 0; j < S; ++j) mean[static_cast<size_t>(j)] += row[j] / static_cast<double>(H);
        if (row[from[k]] > best_on_source) {
          best_on_source = row[from[k]];
          best_hits = std::max_element(row, row + S) - row == from[k];
        }
      }
      a.mean_hits += std::max_element(mean.begin(), mean.end()) - mean.begin() == from[k];
      a.head_hits += best_hits;
      a.mean_weight += mean[static_cast<size_t>(from[k])];
    }
  }
  a.mean_hits /= static_cast<double>(words);
  a.head_hits /= static_cast<double>(words);
  a.mean_weight /= static_cast<double>(words);
  return a;
}

// The lab's default model (1 encoder and 1 decoder layer, 2 heads, d_model 32, FFN 64; AdamW, lr 0.01 after 50
// warmup steps, batches of 64) learns the task in 600 steps (2.7 s natively): every held-out headline written
// right (measured: 100% with seed 1; 99.6% with seeds 2 and 3), and its cross-attention reads each headline word
// from its source word. Measured on 200 held-out examples, seed 1 (seeds 2 and 3): the head-mean row has its
// maximum on the source word for 100% of headline words (98.7%, 99.8%; untrained 8.9%), the best head for 100%
// (98.9%, 99.9%), with a mean weight of 0.92 on it (0.94 in the WebAssembly build, whose sums round otherwise).
TEST(SummarizeRun, TheLabsDefaultModelLearnsHeadlinesAndCrossAttentionFindsTheirWords) {
  RunConfig c;
  Json j;
  ASSERT_TRUE(Json::parse(R"({"task": {"name": "summarize"}, "model": {"num_layers": 1, "num_decoder_layers": 1,
      "d_model": 32, "nhead": 2, "dim_feedforward": 64}, "train": {"lr": 0.01, "warmup": 50},
      "run": {"steps": 600, "batch": 64, "eval_size": 500}})", &j).ok());
  ASSERT_TRUE(run_config_from_json(j, &c).ok());
  TrainingRun run(c);
  const Alignment before = alignment(run, 200);
  for (int i = 0; i < 600; ++i) run.step();
  const GenerationStats g = run.generate();
  const Alignment after = alignment(run, 200);
  std::printf("summarize, 600 steps: greedy exact match %.1f%%, BLEU %.3f; cross-attention on the source word: head "
              "mean %.1f%% (untrained %.1f%%), best head %.1f%%, mean weight %.2f\n",
              100 * g.exact_match(), g.bleu.bleu, 100 * after.mean_hits, 100 * before.mean_hits, 100 * after.head_hits,
              after.mean_weight);
  EXPECT_GE(g.exact_match(), 0.97);
  EXPECT_GT(g.bleu.bleu, 0.97);
  EXPECT_LT(before.mean_hits, 0.25);
  EXPECT_GE(after.mean_hits, 0.9);
  EXPECT_GE(after.head_hits, 0.95);
  EXPECT_GE(after.mean_weight, 0.6);
}

}  // namespace
}  // namespace attn
