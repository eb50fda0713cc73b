// Tokenizers: GPT-2 pre-tokenization, byte-level BPE and character-level training, encoding (round trips, offsets,
// invalid UTF-8, truncation, long inputs), and Hugging Face tokenizer.json writing and reading.
#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "io/json.h"
#include "test_util.h"
#include "text/pretokenize.h"
#include "text/unicode.h"

namespace attn {
namespace {

using Strings = std::vector<std::string>;

// A small English corpus with some variety (repeated so that merges have counts to work with).
Strings corpus() {
  const Strings lines = {
      "The quick brown fox jumps over the lazy dog.",
      "It's the end of the world as we know it, and I feel fine!",
      "She'd said they're coming at 10:30 tomorrow; we'll see.",
      "Numbers: 1234567890, 3.14159 and 2.71828.",
      "the theory of the thermal theatre then thawed",
      "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve r\u00e9sum\u00e9.",
      "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002",
      "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd, \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
      "emoji \U0001F44B\U0001F3FD and family \U0001F468\u200D\U0001F469\u200D\U0001F467 and flag \U0001F1EB\U0001F1F7",
      "    indented code\n\tand tabs\n\n\nnew lines",
  };
  Strings out;
  for (int i = 0; i < 8; ++i) out.insert(out.end(), lines.begin(), lines.end());
  return out;
}

const Tokenizer& bpe() {
  static const Tokenizer t = Tokenizer::train_bpe(corpus(), 400, {"<pad>", "<bos>", "<eos>"});
  return t;
}

const Tokenizer& chars() {
  static const Tokenizer t = Tokenizer::train_chars(corpus(), 1, {"<pad>", "<bos>", "<eos>"}, "<unk>");
  return t;
}

// Inputs every tokenizer must round-trip: scripts, emoji sequences, marks, controls, NUL, white space runs.
Strings varied() {
  return {
      "",
      "Hello, world!",
      "I'm can't they're we've he'll she'd it's I'M 'tis",
      "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 family, \U0001F44D\U0001F3FF thumbs",
      "flags \U0001F1EB\U0001F1F7\U0001F1EF\U0001F1F5 and keycap 1\uFE0F\u20E3",
      "e\u0301 a\u0308 n\u0303 \u1100\u1161\u11A8 Z\u0351\u0352\u0357\u035B",
      "\u6771\u4eac \u5317\u4eac \uD55C\uAD6D\uC5B4 \u3072\u3089\u304C\u306A",
      "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u202Eevil\u202C mixed \u05d0b\u05d1",
      std::string("nul\0byte and \x01\x02\x07\x1b[31m controls\x7f", 31),
      "   leading and trailing   ",
      "\t\ttabs\n\n\nnewlines\r\n crlf \u00a0nbsp \u3000ideographic \u2028ls \ufeffbom \u0085nel",
      "numbers 123 4.56 \u0664\u0665 \u2167 \u00bd",
      "\U0001D54F\U0001D550 math \U00010348 gothic \U0010FFFD private",
      "''s' !!'s ...\"quoted\" (parens) [brackets] {braces} <tags>",
  };
}

// ------------------------------------------------------------------------------------------- pre-tokenization

TEST(Tokenizer, Gpt2PreTokenizationMatchesTheRegex) {
  // Expected pieces computed with JavaScript's
  // /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu.
  const std::vector<std::pair<std::string, Strings>> cases = {
      {"Hello world", {"Hello", " world"}},
      {"I'm can't they're we've he'll she'd it's",
       {"I", "'m", " can", "'t", " they", "'re", " we", "'ve", " he", "'ll", " she", "'d", " it", "'s"}},
      {"I'M 'tis 'dog", {"I", "'", "M", " '", "tis", " '", "dog"}},
      {"hello  world", {"hello", " ", " world"}},
      {"hello   \n\nworld", {"hello", "   \n", "\n", "world"}},
      {"a1b 123 456 3.14", {"a", "1", "b", " 123", " 456", " 3", ".", "14"}},
      {"!!! ?? !!'s", {"!!!", " ??", " !!'", "s"}},
      {"trailing  ", {"trailing", "  "}},
      {"\t\tx", {"\t", "\t", "x"}},
      {"\u00dcn\u00efc\u00f6d\u00e9 \u03bd\u03b1\u03b9 \u6771\u4eac 123\u0664",
       {"\u00dcn\u00efc\u00f6d\u00e9", " \u03bd\u03b1\u03b9", " \u6771\u4eac", " 123\u0664"}},
      {"e\u0301 cafe\u0301!", {"e", "\u0301", " cafe", "\u0301!"}},
      {"hi \U0001F44B\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467 \U0001F1EB\U0001F1F7",
       {"hi", " \U0001F44B\U0001F3FD", " \U0001F468\u200D\U0001F469\u200D\U0001F467", " \U0001F1EB\U0001F1F7"}},
      {"\u00a0x \u3000y", {"\u00a0", "x", " ", "\u3000", "y"}},
      {"\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd! \u0645\u0631\u062d\u0628\u0627",
       {"\u05e9\u05dc\u05d5\u05dd", " \u05e2\u05d5\u05dc\u05dd", "!", " \u0645\u0631\u062d\u0628\u0627"}},
      {std::string("a\0b\x07 \u0085" "c\ufeff" "d", 12), {"a", std::string(1, '\0'), "b", "\x07", " \u0085", "c", "\ufeff", "d"}},
      {"x  \ny", {"x", "  ", "\n", "y"}},
      {" ", {" "}},
      {"''s'", {"''", "s", "'"}},
      {"a\xff\xfe b", {"a", "\xff\xfe", " b"}},  // invalid bytes read as U+FFFD (a symbol)
  };
  for (const auto& [text, pieces] : cases) EXPECT_EQ(gpt2_split(text), pieces) << text;
}

TEST(Tokenizer, ByteToUnicodeIsGpt2s) {
  EXPECT_EQ(bytes_to_token(" "), "\u0120");
  EXPECT_EQ(bytes_to_token("\n"), "\u010A");
  EXPECT_EQ(bytes_to_token("a!~"), "a!~");
  EXPECT_EQ(bytes_to_token(std::string(1, '\0')), "\u0100");
  EXPECT_EQ(bytes_to_token("\xAD"), "\u0143");  // soft hyphen: the 68th non-printable byte
  for (int b = 0; b < 256; ++b) EXPECT_EQ(byte_from_unicode(byte_to_unicode()[b]), b);
  std::string back;
  EXPECT_FALSE(token_to_bytes(" ", &back));  // a literal space stands for no byte
}

TEST(Tokenizer, Utf8DecodingReplacesMaximalSubparts) {
  // The counts TextDecoder gives (WHATWG): one U+FFFD per maximal invalid subsequence.
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"\xff", 1}, {"\x80\x80", 2}, {"\xe2\x82", 1}, {"\xe2\x82" "A", 1}, {"\xed\xa0\x80", 3},
      {"\xc0\xaf", 2}, {"\xf0\x9f\x98", 1}, {"\xf4\x90\x80\x80", 4}, {"\xf0\x9f\x98\x80", 0}, {"ok", 0},
  };
  for (const auto& [bytes, n] : cases) {
    int64_t replaced = -1;
    const std::string valid = unicode::to_valid_utf8(bytes, &replaced);
    EXPECT_EQ(replaced, n) << bytes;
    EXPECT_EQ(unicode::to_valid_utf8(valid), valid);
  }
}

// ----------------------------------------------------------------------------------------------------- training

TEST(Tokenizer, TrainsBpeOnASmallCorpus) {
  const Tokenizer& t = bpe();
  EXPECT_EQ(t.kind(), Tokenizer::Kind::kByteBpe);
  EXPECT_EQ(t.vocab_size(), 400);
  EXPECT_EQ(t.token_to_id("<pad>"), 0);
  EXPECT_EQ(t.token_to_id("<bos>"), 1);
  EXPECT_EQ(t.token_to_id("<eos>"), 2);
  EXPECT_TRUE(t.is_special(2));
  EXPECT_FALSE(t.is_special(3));
  EXPECT_EQ(t.id_to_token(3), "!");  // the byte tokens follow, in GPT-2's order
  EXPECT_EQ(t.num_merges(), 400 - 3 - 256);
  // Frequent words become single tokens.
  EXPECT_GE(t.token_to_id("\u0120the"), 0);
  const Encoding e = t.encode("the theory");
  EXPECT_EQ(e.tokens, (Strings{"the", "\u0120the", "or", "y"}));
  EXPECT_EQ(e.offsets, (std::vector<std::pair<int64_t, int64_t>>{{0, 3}, {3, 7}, {7, 9}, {9, 10}}));
}

TEST(Tokenizer, TrainingIsDeterministic) {
  const Tokenizer a = Tokenizer::train_bpe(corpus(), 350, {"<pad>"});
  const Tokenizer b = Tokenizer::train_bpe(corpus(), 350, {"<pad>"});
  EXPECT_EQ(a.to_json(), b.to_json());
  const Tokenizer c = Tokenizer::train_chars(corpus(), 2, {}, "<unk>");
  const Tokenizer d = Tokenizer::train_chars(corpus(), 2, {}, "<unk>");
  EXPECT_EQ(c.to_json(), d.to_json());
}

TEST(Tokenizer, TrainsCharacters) {
  const Tokenizer& t = chars();
  EXPECT_EQ(t.kind(), Tokenizer::Kind::kChar);
  EXPECT_EQ(t.token_to_id("<unk>"), 3);  // appended to the special tokens
  EXPECT_EQ(t.unk_id(), 3);
  EXPECT_EQ(t.id_to_token(4), "\t");  // then the characters in code point order
  const Encoding e = t.encode("the \u6771\u4eac?");  // '?' is not in the corpus
  ASSERT_EQ(e.ids.size(), 7u);
  EXPECT_EQ(e.tokens[6], "<unk>");
  EXPECT_EQ(e.offsets[4], (std::pair<int64_t, int64_t>{4, 7}));
  EXPECT_EQ(t.decode(e.ids), "the \u6771\u4eac<unk>");
  EXPECT_EQ(t.decode(e.ids, true), "the \u6771\u4eac");
  // min_count drops rare characters.
  const Tokenizer rare = Tokenizer::train_chars({"aaab"}, 2, {}, "<unk>");
  EXPECT_EQ(rare.vocab_size(), 2);
  EXPECT_EQ(rare.encode("ab").ids, (std::vector<int32_t>{1, 0}));
}

TEST(Tokenizer, SpecialTokensAreRulesCheckedAndNeverMatchedInText) {
  EXPECT_TRUE(Tokenizer::check_special_tokens(Tokenizer::Kind::kByteBpe, {"<pad>", "<eos>"}).ok());
  EXPECT_NE(Tokenizer::check_special_tokens(Tokenizer::Kind::kByteBpe, {"<pad>", "<pad>"}).message().find("twice"),
            std::string::npos);
  EXPECT_NE(Tokenizer::check_special_tokens(Tokenizer::Kind::kByteBpe, {"|"}).message().find("single character"),
            std::string::npos);
  EXPECT_FALSE(Tokenizer::check_special_tokens(Tokenizer::Kind::kByteBpe, {""}).ok());
  EXPECT_FALSE(Tokenizer::check_special_tokens(Tokenizer::Kind::kByteBpe, {"<\xff>"}).ok());
  EXPECT_FALSE(Tokenizer::check_special_tokens(Tokenizer::Kind::kChar, {}, "?").ok());
  EXPECT_TRUE(Tokenizer::check_special_tokens(Tokenizer::Kind::kChar, {"<unk>"}, "<unk>").ok());
  // Training drops the tokens that break the rules.
  const Tokenizer t = Tokenizer::train_bpe({"x"}, 0, {"<a>", "", "<a>", "!", "<b>"});
  EXPECT_EQ(t.vocab_size(), 2 + 256);
  EXPECT_EQ(t.id_to_token(1), "<b>");

  // "<eos>" typed in the text is text.
  const Tokenizer& b = bpe();
  const Encoding e = b.encode("end<eos>");
  for (const int32_t id : e.ids) EXPECT_FALSE(b.is_special(id));
  EXPECT_EQ(b.decode(e.ids), "end<eos>");
  EXPECT_EQ(b.decode({1, b.token_to_id("end"), 2}), "<bos>end<eos>");
  EXPECT_EQ(b.decode({1, b.token_to_id("end"), 2}, true), "end");
  EXPECT_EQ(b.decode({-1, 100000, b.token_to_id("end")}), "end");  // out-of-range ids are skipped
}

TEST(Tokenizer, MergesSkipSpecialTokenStrings) {
  // "ab" is frequent but is a special token's string: the merge is skipped.
  const Tokenizer t = Tokenizer::train_bpe({"ab ab ab ab cd cd"}, 300, {"ab"});
  EXPECT_EQ(t.token_to_id("ab"), 0);
  EXPECT_TRUE(t.is_special(0));
  const Encoding e = t.encode("ab");
  EXPECT_EQ(e.tokens, (Strings{"a", "b"}));
  EXPECT_GE(t.token_to_id("\u0120cd"), 0);
}

// ----------------------------------------------------------------------------------------------------- encoding

// Offsets: on character boundaries, never decreasing, covering the text without gaps, and each span contains the
// token's bytes (the whole character when a token has only part of it).
void expect_offsets_consistent(const Tokenizer& t, const std::string& text, const Encoding& e) {
  ASSERT_EQ(e.offsets.size(), e.ids.size());
  ASSERT_EQ(e.tokens.size(), e.ids.size());
  std::vector<bool> boundary(text.size() + 1, false);
  for (size_t pos = 0; pos < text.size(); pos += unicode::decode_utf8(text, pos).len) boundary[pos] = true;
  boundary[text.size()] = true;
  int64_t prev_start = 0, prev_end = 0;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const auto [s, f] = e.offsets[i];
    ASSERT_LE(0, s);
    ASSERT_LT(s, f);
    ASSERT_LE(f, static_cast<int64_t>(text.size()));
    EXPECT_TRUE(boundary[s] && boundary[f]) << "token " << i << " of " << text;
    EXPECT_GE(s, prev_start);
    EXPECT_GE(f, prev_end);
    EXPECT_LE(s, prev_end) << "gap before token " << i;  // covers the text
    EXPECT_EQ(e.tokens[i], t.id_to_token(e.ids[i]));
    prev_start = s;
    prev_end = f;
  }
  if (!e.truncated) {
    EXPECT_EQ(prev_end, static_cast<int64_t>(text.size()));
  }
  // Tokens whose spans do not overlap their neighbours' decode to exactly the text they cover.
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const bool alone = (i == 0 || e.offsets[i - 1].second <= e.offsets[i].first) &&
                       (i + 1 == e.ids.size() || e.offsets[i].second <= e.offsets[i + 1].first);
    if (alone && e.replaced == 0) {
      EXPECT_EQ(t.decode({e.ids[i]}), text.substr(e.offsets[i].first, e.offsets[i].second - e.offsets[i].first));
    }
  }
}

TEST(Tokenizer, RoundTripsVariedText) {
  for (const std::string& text : varied()) {
    const Encoding e = bpe().encode(text);
    EXPECT_EQ(bpe().decode(e.ids), text);
    EXPECT_EQ(e.replaced, 0);
    EXPECT_FALSE(e.truncated);
    expect_offsets_consistent(bpe(), text, e);
  }
  // Character level round-trips when every character is in the vocabulary.
  const Tokenizer all = Tokenizer::train_chars(varied(), 1, {"<pad>"}, "<unk>");
  for (const std::string& text : varied()) {
    const Encoding e = all.encode(text);
    EXPECT_EQ(all.decode(e.ids), text);
    EXPECT_EQ(static_cast<int64_t>(e.ids.size()), unicode::count_chars(text));
    expect_offsets_consistent(all, text, e);
  }
}

TEST(Tokenizer, SplitCharactersReportTheWholeCharacter) {
  // The default tokenizer has no merges: one token per byte, so the 4-byte emoji is 4 tokens.
  const Tokenizer bytes;
  const std::string text = "a\U0001F44Db";
  const Encoding e = bytes.encode(text);
  ASSERT_EQ(e.ids.size(), 6u);
  const std::vector<std::pair<int64_t, int64_t>> want = {{0, 1}, {1, 5}, {1, 5}, {1, 5}, {1, 5}, {5, 6}};
  EXPECT_EQ(e.offsets, want);
  EXPECT_EQ(bytes.decode(e.ids), text);
  // Half of the emoji's tokens decode to U+FFFD (replacement), never to invalid UTF-8.
  EXPECT_EQ(bytes.decode({e.ids[1], e.ids[2]}), "\uFFFD");
}

TEST(Tokenizer, InvalidUtf8IsReplacedAndReported) {
  const std::string text = "ok\xff \xe2\x82 \xed\xa0\x80!";
  for (const Tokenizer* t : {&bpe(), &chars()}) {
    const Encoding e = t->encode(text);
    EXPECT_EQ(e.replaced, 5);
    expect_offsets_consistent(*t, text, e);
  }
  EXPECT_EQ(bpe().decode(bpe().encode(text).ids), unicode::to_valid_utf8(text));
  EXPECT_EQ(chars().decode(chars().encode(text).ids), "ok<unk> <unk> <unk><unk><unk>!");  // U+FFFD is unknown
  // The span of a replaced subsequence is its bytes in the input.
  const Encoding c = chars().encode("a\xe2\x82z");
  ASSERT_EQ(c.offsets.size(), 3u);
  EXPECT_EQ(c.offsets[1], (std::pair<int64_t, int64_t>{1, 3}));
  EXPECT_EQ(c.offsets[2], (std::pair<int64_t, int64_t>{3, 4}));
}

TEST(Tokenizer, MaxTokensGivesAPrefix) {
  const std::string text = "The quick brown fox jumps over the lazy dog. \U0001F44B\U0001F3FD";
  for (const Tokenizer* t : {&bpe(), &chars()}) {
    const Encoding full = t->encode(text);
    const auto n = static_cast<int64_t>(full.ids.size());
    for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{5}, n - 1, n, n + 3}) {
      const Encoding e = t->encode(text, k);
      const auto m = static_cast<size_t>(std::min(k, n));
      EXPECT_EQ(e.ids, std::vector<int32_t>(full.ids.begin(), full.ids.begin() + m));
      EXPECT_EQ(e.truncated, k < n) << k;
    }
  }
  EXPECT_FALSE(bpe().encode("", 0).truncated);
}

TEST(Tokenizer, InputIsCappedAtKMaxInputBytes) {
  // 3 ASCII bytes short of the cap, then a 4-byte character that crosses it: the character is left out whole.
  std::string text(static_cast<size_t>(Tokenizer::kMaxInputBytes) - 3, 'x');
  for (size_t i = 100; i < text.size(); i += 100) text[i] = ' ';
  text += "\U0001F600 more text";
  const Encoding e = bpe().encode(text);
  EXPECT_TRUE(e.truncated);
  EXPECT_EQ(e.offsets.back().second, Tokenizer::kMaxInputBytes - 3);
  EXPECT_EQ(bpe().decode(e.ids), text.substr(0, Tokenizer::kMaxInputBytes - 3));
}

TEST(Tokenizer, LongWordsAreLinear) {
  // 1 MiB without a space is one piece; it is merged in chunks, so time stays linear (well under a second).
  std::string word;
  while (word.size() < static_cast<size_t>(Tokenizer::kMaxInputBytes)) word += "theorythermal";
  word.resize(Tokenizer::kMaxInputBytes);
  const auto t0 = std::chrono::steady_clock::now();
  const Encoding e = bpe().encode(word);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_FALSE(e.truncated);
  EXPECT_LT(e.ids.size(), word.size() / 2);  // merges happened
  EXPECT_EQ(bpe().decode(e.ids), word);
  EXPECT_LT(seconds, 5.0 * test::kSlowdown);
  // max_tokens stops early also inside one long piece.
  EXPECT_EQ(bpe().encode(word, 10).ids.size(), 10u);
}

TEST(Tokenizer, BpeMergesByRankThenLeftmost) {
  // A hand-written file: merges "a a" (rank 0), then "b c"; "aaa" -> "aa" "a" (leftmost first).
  std::string vocab;
  const Tokenizer bytes;
  for (int32_t id = 0; id < 256; ++id) vocab += Json::string(bytes.id_to_token(id)).dump() + ":" + std::to_string(id) + ",";
  const std::string json =
      R"({"version":"1.0","added_tokens":[],"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,)"
      R"("trim_offsets":true,"use_regex":true},"decoder":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{)" +
      vocab + R"("aa":256,"bc":257,"abc":258},"merges":["a a",["b","c"],"a bc"]}})";
  Tokenizer t;
  const Status st = Tokenizer::from_json(json, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(t.encode("aaa").tokens, (Strings{"aa", "a"}));
  EXPECT_EQ(t.encode("aabc").tokens, (Strings{"aa", "bc"}));  // "a a" outranks "a bc"
  EXPECT_EQ(t.encode("abc").tokens, (Strings{"abc"}));
  EXPECT_EQ(t.decode(t.encode("aabc abc").ids), "aabc abc");
}

// ------------------------------------------------------------------------------------------- tokenizer.json

TEST(Tokenizer, JsonRoundTrips) {
  for (const Tokenizer* t : {&bpe(), &chars()}) {
    const std::string json = t->to_json();
    Tokenizer back;
    const Status st = Tokenizer::from_json(json, &back);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(back.kind(), t->kind());
    EXPECT_EQ(back.to_json(), json);
    EXPECT_EQ(back.vocab_size(), t->vocab_size());
    for (const std::string& text : varied()) {
      EXPECT_EQ(back.encode(text).ids, t->encode(text).ids) << text;
      EXPECT_EQ(back.encode(text).offsets, t->encode(text).offsets) << text;
    }
    EXPECT_TRUE(back.is_special(0));
  }
  const std::string json = bpe().to_json();
  EXPECT_NE(json.find(R"("pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false)"), std::string::npos);
  EXPECT_NE(json.find("\"merges\":[\"h e\",\"\u0120 t\","), std::string::npos) << json.substr(json.find("merges"), 40);
  EXPECT_NE(chars().to_json().find(R"("decoder":{"type":"Fuse"})"), std::string::npos);
}

TEST(Tokenizer, ReadsAGpt2StyleFile) {
  // GPT-2's tokenizer.json layout: ByteLevel post-processor, "" prefixes, <|endoftext|> both in the vocabulary and
  // an added token, merges as strings.
  std::string vocab;
  const Tokenizer bytes;
  for (int32_t id = 0; id < 256; ++id) vocab += Json::string(bytes.id_to_token(id)).dump() + ":" + std::to_string(id) + ",";
  const std::string json =
      R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[{"id":259,"content":"<|endoftext|>",)"
      R"("single_word":false,"lstrip":false,"rstrip":false,"normalized":true,"special":true}],"normalizer":null,)"
      R"("pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},)"
      R"("post_processor":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},)"
      R"("decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},)"
      R"("model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"",)"
      R"("end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{)" +
      vocab + R"("\u0120t":256,"he":257,"\u0120the":258,"<|endoftext|>":259},"merges":["\u0120 t","h e","\u0120t he"]}})";
  Tokenizer t;
  const Status st = Tokenizer::from_json(json, &t);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(t.vocab_size(), 260);
  EXPECT_TRUE(t.is_special(259));
  EXPECT_EQ(t.encode(" the them").tokens, (Strings{"\u0120the", "\u0120the", "m"}));
}

TEST(Tokenizer, JsonRejectsWithClearMessages) {
  const std::string good = bpe().to_json();
  const std::string good_chars = chars().to_json();
  auto replaced = [](std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "tokenizer.json: "},
      {"[]", "must be a JSON object"},
      {"{\"model\":1}", "model must be an object"},
      {"{\"a\":1}", "unknown key \"a\""},
      {"{\"model\":{}}", "model.type must be \"BPE\""},
      {replaced(good, "\"normalizer\":null", "\"normalizer\":{\"type\":\"NFC\"}"), "normalizer is not supported"},
      {replaced(good, "\"add_prefix_space\":false", "\"add_prefix_space\":true"), "add_prefix_space = true"},
      {replaced(good, "\"pre_tokenizer\":{\"type\":\"ByteLevel\"", "\"pre_tokenizer\":{\"type\":\"Whitespace\""),
       "pre_tokenizer must be ByteLevel"},
      {replaced(good, "\"decoder\":{\"type\":\"ByteLevel\"", "\"decoder\":{\"type\":\"WordPiece\""),
       "decoder must be"},
      {replaced(good, "\"dropout\":null", "\"dropout\":0.1"), "model.dropout is not supported"},
      {replaced(good, "\"byte_fallback\":false", "\"byte_fallback\":true"), "byte_fallback = true"},
      {replaced(good, "\"<pad>\":0", "\"<pad>\":-1"), "must be an integer id"},
      {replaced(good, "\"<pad>\":0", "\"<pad>\":0.5"), "must be an integer id"},
      // Found by fuzz_tokenizer in CI: 2e91 was cast to an integer before its range was checked (undefined behaviour).
      {replaced(good, "\"<pad>\":0", "\"<pad>\":2.02333e91"), "must be an integer id"},
      {replaced(good, "\"<pad>\":0", "\"<pad>\":-1e300"), "must be an integer id"},
      {replaced(good, "\"<bos>\":1", "\"<bos>\":0"), "id 0 is given to both"},
      {replaced(good, "\"!\":3", "\"!\":1000"), "id 3 has no token"},
      {replaced(good, "\"!\":3", "\"! \":3"), "stand for no byte"},
      {replaced(good, "\"!\":3", "\"\\u0120\\u0100\\u0120\\u0100\":3"), "no token for byte 33"},
      {replaced(good, "\"merges\":[\"", "\"merges\":[\"\\u0100\\u0100 \\u0100\",\""), "is not a token of the model"},
      {replaced(good, "\"merges\":[\"", "\"merges\":[\"nope\",\""), "two tokens separated by one space"},
      {replaced(good, "\"merges\":[\"", "\"merges\":[[\"a\"],\""), "must be a string"},
      {replaced(good, "\"merges\":[\"h e\",", "\"merges\":[\"h e\",\"h e\","), "appears twice"},
      {replaced(good, "\"id\":0,\"content\":\"<pad>\"", "\"id\":5,\"content\":\"<pad>\""), "id 0 in model.vocab"},
      {replaced(good, "\"special\":true", "\"special\":\"yes\""), "special must be true or false"},
      {replaced(good, "\"version\":\"1.0\"", "\"version\":\"2.0\""), "version must be \"1.0\""},
      {replaced(good_chars, "\"unk_token\":\"<unk>\"", "\"unk_token\":null"), "unk_token is required"},
      {replaced(good_chars, "\"unk_token\":\"<unk>\"", "\"unk_token\":\"<nope>\""), "is not in the vocabulary"},
      {replaced(good_chars, "\"decoder\":{\"type\":\"Fuse\"}", "\"decoder\":null"), "decoder must be {\"type\": \"Fuse\"}"},
      {replaced(good_chars, "\"merges\":[]", "\"merges\":[\"a b\"]"), "has no merges"},
      {replaced(good_chars, "\"\\t\":4", "\"ab\":4"), "not a single character"},
      {replaced(good, "\"vocab\":{", "\"vocab\":{\"\":9999,"), "empty token"},
      {std::string("{\"model\":\"\xff\"}"), "UTF-8"},
  };
  for (const auto& [json, message] : cases) {
    Tokenizer t = Tokenizer::train_chars({"unchanged"}, 1, {}, "<unk>");
    const std::string before = t.to_json();
    const Status st = Tokenizer::from_json(json, &t);
    ASSERT_FALSE(st.ok()) << json.substr(0, 200);
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message() << "\n  wanted: " << message;
    EXPECT_EQ(st.message().rfind("tokenizer.json: ", 0), 0u) << st.message();
    EXPECT_EQ(t.to_json(), before);  // untouched on failure
  }
}

}  // namespace
}  // namespace attn
