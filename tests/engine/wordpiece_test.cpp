// WordPiece (engine/text/wordpiece.h): the BertNormalizer (clean_text, CJK, accents, lowercase) with its
// alignment to the input, the BertPreTokenizer, the WordPiece model ([UNK], long words), the decoder, the
// generated Unicode tables, tokenizer.json and vocab.txt reading (bad files and their messages), linear time.
#include "text/wordpiece.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "io/json.h"
#include "test_util.h"
#include "text/unicode.h"

namespace attn {
namespace {

using Strings = std::vector<std::string>;

const char* kUncased =
    R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true})";
const char* kCased =
    R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":false})";

// A tokenizer.json of a WordPiece model over `vocab` (ids in order).
std::string wordpiece_json(const Strings& vocab, const std::string& normalizer = kUncased,
                           const std::string& model_extra = "", const std::string& decoder =
                               R"({"type":"WordPiece","prefix":"##","cleanup":true})") {
  std::string v;
  for (size_t id = 0; id < vocab.size(); ++id) v += (id ? "," : "") + Json::string(vocab[id]).dump() + ":" + std::to_string(id);
  return R"({"version":"1.0","normalizer":)" + normalizer + R"(,"pre_tokenizer":{"type":"BertPreTokenizer"},)"
         R"("decoder":)" + decoder + R"(,"model":{"type":"WordPiece","unk_token":"[UNK]",)"
         R"("continuing_subword_prefix":"##",)" + model_extra + R"("vocab":{)" + v + "}}}";
}

Status load(const std::string& json, WordPieceTokenizer* out) {
  Json root;
  const Status st = Json::parse(json, &root);
  if (!st.ok()) return Status::error("tokenizer.json: " + st.message());
  return WordPieceTokenizer::from_json(root, out);
}

WordPieceTokenizer make(const Strings& vocab, const std::string& normalizer = kUncased,
                        const std::string& model_extra = "") {
  WordPieceTokenizer t;
  const Status st = load(wordpiece_json(vocab, normalizer, model_extra), &t);
  EXPECT_TRUE(st.ok()) << st.message();
  return t;
}

NormalizedText normalized(const std::string& text, const std::string& normalizer = kUncased) {
  NormalizedText n;
  make({"[UNK]"}, normalizer).normalize(text, 0, &n);
  return n;
}

std::string norm(const std::string& text, const std::string& normalizer = kUncased) {
  return normalized(text, normalizer).text;
}

Encoding encode(const WordPieceTokenizer& t, const std::string& text, int64_t max_tokens = -1) {
  NormalizedText n;
  t.normalize(text, 0, &n);
  Encoding e;
  t.encode_normalized(n, 0, n.text.size(), max_tokens, &e);
  return e;
}

// The small vocabulary of the model tests.
const WordPieceTokenizer& small() {
  static const WordPieceTokenizer t = make({"[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "##a", "##f", "##ab",
                                            "##le", "hello", ",", "!", "world", "##s", "a", "b", "$", "\u00ab", "\u00bb",
                                            "\u4e2d", "'", "s", "it", "cafe", "i", "##stanbul", "."});
  return t;
}

// ------------------------------------------------------------------------------------------- normalization

TEST(WordPiece, CleanTextDropsControlsAndMakesWhiteSpaceSpaces) {
  // NUL, U+FFFD, controls (Cc), format characters (Cf: ZWSP, BOM, RTL marks), private use (Co) go; every
  // White_Space character (tab, newline, CR, NBSP, ideographic space, line separator) becomes " ". U+0085 is a
  // control (Cc) before it is white space, so it goes.
  const char with_nul[] = "a\0b\xEF\xBF\xBD" "c\x07" "d\x1b" "e\x7f" "f";  // 13 bytes (+ the terminating NUL)
  EXPECT_EQ(norm(std::string(with_nul, sizeof with_nul - 1)), "abcdef");
  EXPECT_EQ(norm("a\u200Bb\uFEFFc\u200Fd\u202Ee\uE000f\U000F0000g"), "abcdefg");
  EXPECT_EQ(norm("a\tb\nc\r\nd\u00A0e\u3000f\u2028g\u0085h\u1680i"), "a b c  d e f gh i");
  // Invalid UTF-8 reads as U+FFFD, which clean_text drops; normalize() reports how many there were.
  NormalizedText n;
  EXPECT_EQ(make({"[UNK]"}).normalize("a\xff\xfe" "b\xe2\x82", 0, &n), 3);
  EXPECT_EQ(n.text, "ab");
  // Without a normalizer nothing changes, except that invalid input is U+FFFD.
  EXPECT_EQ(norm("A\u00e9\xff", "null"), "A\u00e9\uFFFD");
}

TEST(WordPiece, ChineseCharactersGetSpaces) {
  EXPECT_EQ(norm("ab\u4e2dc"), "ab \u4e2d c");
  EXPECT_EQ(norm("\u3400\u9fff"), " \u3400  \u9fff ");
  EXPECT_EQ(norm("x\U00020000y"), "x \U00020000 y");  // CJK extension B (astral)
  EXPECT_EQ(norm("x\U0002B820y"), "x\U0002B820y");     // the gap in Hugging Face's ranges (2B820-2B91F)
  EXPECT_EQ(norm("x\U0002B920y"), "x \U0002B920 y");
  // Kana, Hangul and CJK punctuation are not BERT's "Chinese characters".
  EXPECT_EQ(norm("\u3072\u3089\u304c\u306a\u3002", kCased), "\u3072\u3089\u304c\u306a\u3002");
  // A compatibility ideograph gets spaces, then (uncased) its canonical decomposition.
  EXPECT_EQ(norm("\uf900", kCased), " \uf900 ");
  EXPECT_EQ(norm("\uf900"), " \u8c48 ");
}

TEST(WordPiece, StripsAccentsAndLowercasesPerCharacter) {
  EXPECT_EQ(norm("Caf\u00e9 Cr\u00e8me BR\u00dbL\u00c9E na\u00efve"), "cafe creme brulee naive");
  EXPECT_EQ(norm("cafe\u0301 n\u0303o"), "cafe no");                        // decomposed accents
  EXPECT_EQ(norm("\u212b\u00c5\u01fa"), "aaa");                             // Angstrom sign, Å, Ǻ
  EXPECT_EQ(norm("\ud55c\uad6d"), "\u1112\u1161\u11ab\u1100\u116e\u11a8");  // Hangul syllables -> jamo
  EXPECT_EQ(norm("\u0130stanbul"), "istanbul");                             // İ: NFD I + dot, dot dropped
  EXPECT_EQ(norm("\u039f\u0394\u039f\u03a3"), "\u03bf\u03b4\u03bf\u03c3");  // ΟΔΟΣ -> οδοσ: no final sigma
  EXPECT_EQ(norm("\u1e9e"), "\u00df");                                      // ẞ -> ß
  // Cased: strip_accents follows lowercase (null), so nothing changes.
  EXPECT_EQ(norm("Caf\u00e9 \u0130 \u039f\u03a3", kCased), "Caf\u00e9 \u0130 \u039f\u03a3");
  // Lowercase without stripping: İ becomes i + U+0307 (its full lowercase mapping).
  const std::string lower_only =
      R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":false,"lowercase":true})";
  EXPECT_EQ(norm("\u0130\u00c9", lower_only), "i\u0307\u00e9");
  // Stripping without lowercasing.
  const std::string strip_only =
      R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":true,"lowercase":false})";
  EXPECT_EQ(norm("\u00c9t\u00e9", strip_only), "Ete");
}

TEST(WordPiece, TheGeneratedTablesAgreeWithUnicode) {
  using namespace unicode;
  EXPECT_TRUE(is_white_space(0x3000) && is_white_space(0x2028) && is_white_space(0x85) && is_white_space(0xA0));
  EXPECT_FALSE(is_white_space(0xFEFF) || is_white_space(0x200B) || is_white_space('x'));
  EXPECT_TRUE(norm_flags(0x200B) & kControl);   // Cf
  EXPECT_TRUE(norm_flags(0xE000) & kControl);   // Co
  EXPECT_TRUE(norm_flags(0x0301) & kMark);
  EXPECT_FALSE(norm_flags(0x0903) & kMark);     // Mc: spacing, kept
  EXPECT_TRUE(norm_flags(0x00AB) & kPunct);     // « (Pi)
  EXPECT_TRUE(norm_flags('$') & kPunct);        // ASCII symbols are BERT punctuation
  EXPECT_FALSE(norm_flags(0x20AC) & kPunct);    // € (Sc) is not
  EXPECT_TRUE(is_word_char('_') && is_word_char(0x0301) && is_word_char(0x4E2D) && is_word_char(0x0664));
  EXPECT_FALSE(is_word_char('-') || is_word_char(' ') || is_word_char(0x1F600));
  std::vector<uint32_t> out;
  append_lowercase(0x0130, &out);
  EXPECT_EQ(out, (std::vector<uint32_t>{0x69, 0x307}));
  out.clear();
  append_stripped(0x1E69, &out);  // ṩ: s + dot below + dot above
  EXPECT_EQ(out, (std::vector<uint32_t>{0x73}));
  out.clear();
  append_stripped(0xAC00, &out);  // 가
  append_stripped(0xD7A3, &out);  // 힣
  EXPECT_EQ(out, (std::vector<uint32_t>{0x1100, 0x1161, 0x1112, 0x1175, 0x11C2}));
}

TEST(WordPiece, NormalizationIsAlignedToTheInput) {
  // "Café" -> "cafe": é (2 bytes) gives "e", which covers both.
  NormalizedText n = normalized("Caf\u00e9");
  EXPECT_EQ(n.text, "cafe");
  EXPECT_EQ(n.start, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(n.end, (std::vector<int32_t>{1, 2, 3, 5}));
  // A dropped character (the combining accent, 2 bytes) joins the character before it.
  n = normalized("cafe\u0301!");
  EXPECT_EQ(n.text, "cafe!");
  EXPECT_EQ(n.end[3], 6);
  EXPECT_EQ(n.start[4], 6);
  // A character that expands maps every piece to itself: lowercase-only İ -> "i\u0307" (3 bytes), all [0, 2).
  const std::string lower_only =
      R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":false,"lowercase":true})";
  n = normalized("\u0130x", lower_only);
  EXPECT_EQ(n.text, "i\u0307x");
  EXPECT_EQ(n.start, (std::vector<int32_t>{0, 0, 0, 2}));
  EXPECT_EQ(n.end, (std::vector<int32_t>{2, 2, 2, 3}));
  // CJK spacing: the spaces belong to the character too; offsets shift by the argument.
  NormalizedText m;
  make({"[UNK]"}).normalize("\u4e2d", 10, &m);
  EXPECT_EQ(m.text, " \u4e2d ");
  for (size_t i = 0; i < m.text.size(); ++i) EXPECT_EQ(std::make_pair(m.start[i], m.end[i]), std::make_pair(10, 13));
  // A leading dropped character belongs to nothing.
  n = normalized("\u200Bab");
  EXPECT_EQ(n.text, "ab");
  EXPECT_EQ(n.start[0], 3);
}

// ------------------------------------------------------------------------------------- the model, encoding

TEST(WordPiece, GreedyLongestMatchFirstWithThePrefix) {
  EXPECT_EQ(encode(small(), "unaffable").tokens, (Strings{"un", "##aff", "##able"}));
  EXPECT_EQ(encode(small(), "Hello, world!").tokens, (Strings{"hello", ",", "world", "!"}));
  EXPECT_EQ(encode(small(), "worlds").tokens, (Strings{"world", "##s"}));
  EXPECT_EQ(encode(small(), "\u00aba\u00bb a$b").tokens, (Strings{"\u00ab", "a", "\u00bb", "a", "$", "b"}));
  // A word with a part that matches nothing is one [UNK] for the whole word.
  const Encoding e = encode(small(), "hello xyz unaffx!");
  EXPECT_EQ(e.tokens, (Strings{"hello", "[UNK]", "[UNK]", "!"}));
  EXPECT_EQ(e.offsets[1], std::make_pair(int64_t{6}, int64_t{9}));
  EXPECT_EQ(e.offsets[2], std::make_pair(int64_t{10}, int64_t{16}));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{10, 0, 0, 12}));
  // Contractions are split on the apostrophe (punctuation).
  EXPECT_EQ(encode(small(), "it's").tokens, (Strings{"it", "'", "s"}));
  // A CJK character is a word of its own.
  EXPECT_EQ(encode(small(), "a\u4e2db").tokens, (Strings{"a", "\u4e2d", "b"}));
}

TEST(WordPiece, OffsetsMapBackToTheTypedText) {
  const WordPieceTokenizer& t = small();
  const std::string text = "  Caf\u00e9\u0301\u200B, \u0130stanbul \u4e2d!";
  const Encoding e = encode(t, text);
  ASSERT_EQ(e.tokens, (Strings{"cafe", ",", "i", "##stanbul", "\u4e2d", "!"}));
  Strings spans;
  for (const auto& [s, f] : e.offsets) spans.push_back(text.substr(s, f - s));
  // "Café" with an extra combining accent and a zero-width space after it: one span of all of it.
  EXPECT_EQ(spans, (Strings{"Caf\u00e9\u0301\u200B", ",", "\u0130", "stanbul", "\u4e2d", "!"}));
}

TEST(WordPiece, WordsLongerThanMaxInputCharsAreUnk) {
  const WordPieceTokenizer t = make({"[UNK]", "a", "##a", "\u00e9", "##\u00e9"}, kCased);
  const std::string hundred(100, 'a');
  EXPECT_EQ(encode(t, hundred).ids.size(), 100u);
  EXPECT_EQ(encode(t, hundred + "a").tokens, (Strings{"[UNK]"}));
  // Characters, not bytes: 100 two-byte characters are fine.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\u00e9";
  EXPECT_EQ(encode(t, accents).ids.size(), 100u);
  EXPECT_EQ(encode(t, accents + "\u00e9").ids, (std::vector<int32_t>{0}));
  // The limit comes from the file.
  const WordPieceTokenizer three = make({"[UNK]", "a", "##a"}, kCased, R"("max_input_chars_per_word":3,)");
  EXPECT_EQ(three.max_input_chars_per_word(), 3);
  EXPECT_EQ(encode(three, "aaa aaaa").tokens, (Strings{"a", "##a", "##a", "[UNK]"}));
}

TEST(WordPiece, MaxTokensStopsEarly) {
  const Encoding full = encode(small(), "hello, world! unaffable worlds");
  for (int64_t k = 0; k <= static_cast<int64_t>(full.ids.size()) + 1; ++k) {
    const Encoding e = encode(small(), "hello, world! unaffable worlds", k);
    const size_t m = std::min(static_cast<size_t>(k), full.ids.size());
    EXPECT_EQ(e.ids, std::vector<int32_t>(full.ids.begin(), full.ids.begin() + m));
    EXPECT_EQ(e.truncated, m < full.ids.size());
  }
}

TEST(WordPiece, LongInputsAreLinear) {
  // 1 MiB: distinct words of 100 characters that walk deep into the trie (a token of 60 "a" and a "b") but
  // match one character at a time; and 1 MiB without a space, counted and given up as one [UNK].
  const WordPieceTokenizer t = make({"[UNK]", "a", "##a", "##" + std::string(60, 'a') + "b", "##0", "##1", "##2",
                                     "##3", "##4", "##5", "##6", "##7", "##8", "##9"}, kCased);
  std::string text;
  for (int i = 0; text.size() < (1u << 20); ++i) text += std::string(95, 'a') + std::to_string(10000 + i) + " ";
  std::string one(1u << 20, 'a');
  const auto t0 = std::chrono::steady_clock::now();
  const Encoding many = encode(t, text);
  const Encoding single = encode(t, one);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(many.ids.size(), (text.size() / 101) * 100);
  EXPECT_EQ(single.tokens, (Strings{"[UNK]"}));
  EXPECT_LT(seconds, 5.0 * test::kSlowdown);
}

// ------------------------------------------------------------------------------------------- decoding

TEST(WordPiece, DecoderJoinsPiecesAndCleansUpPerToken) {
  const WordPieceTokenizer& t = small();
  EXPECT_EQ(t.decode_tokens({"hello", ",", "world", "##s", "!", "[SEP]"}), "hello, worlds! [SEP]");
  EXPECT_EQ(t.decode_tokens({"##s", "un", "##aff", "##able", "."}), "##s unaffable.");  // the first keeps ##
  // The cleanup runs on each token with its leading space, as Rust's decoder does: " ' s" never joins.
  EXPECT_EQ(t.decode_tokens({"it", "'", "s"}), "it ' s");
  EXPECT_EQ(t.decode_tokens({}), "");
  WordPieceTokenizer raw;
  ASSERT_TRUE(load(wordpiece_json({"[UNK]", "a"}, kUncased, "", R"({"type":"WordPiece","prefix":"##","cleanup":false})"),
                   &raw).ok());
  EXPECT_EQ(raw.decode_tokens({"hello", ",", "world", "##s"}), "hello , worlds");
  WordPieceTokenizer none;
  ASSERT_TRUE(load(wordpiece_json({"[UNK]", "a"}, kUncased, "", "null"), &none).ok());
  EXPECT_EQ(none.decode_tokens({"hello", ",", "world", "##s"}), "hello , world ##s");
}

// ------------------------------------------------------------------------------------------- loading

TEST(WordPiece, ReadsVocabTxt) {
  WordPieceTokenizer t;
  BertNormalizerOptions options;
  ASSERT_TRUE(WordPieceTokenizer::from_vocab_txt("[PAD]\r\n[UNK]\r\nhello\r\n##s", options, &t).ok());
  EXPECT_EQ(t.model_tokens(), (Strings{"[PAD]", "[UNK]", "hello", "##s"}));
  EXPECT_EQ(t.unk_id(), 1);
  EXPECT_EQ(encode(t, "HELLOS Hello").tokens, (Strings{"hello", "##s", "hello"}));
  options.lowercase = options.strip_accents = false;
  ASSERT_TRUE(WordPieceTokenizer::from_vocab_txt("[UNK]\nhello\n", options, &t).ok());
  EXPECT_EQ(encode(t, "HELLO hello").tokens, (Strings{"[UNK]", "hello"}));
}

TEST(WordPiece, BadFilesAreRefusedWithClearMessages) {
  const std::string good = wordpiece_json({"[UNK]", "a", "##b"});
  auto replaced = [](std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {replaced(good, R"("type":"BertNormalizer")", R"("type":"Sequence")"),
       "normalizer type \"Sequence\" is not supported for a WordPiece tokenizer"},
      {replaced(good, R"("lowercase":true)", R"("lowercase":true,"extra":1)"), "normalizer: unknown key \"extra\""},
      {replaced(good, R"("strip_accents":null)", R"("strip_accents":"yes")"), "normalizer.strip_accents must be"},
      {replaced(good, R"("clean_text":true)", R"("clean_text":1)"), "normalizer.clean_text must be true or false"},
      {replaced(good, R"({"type":"BertPreTokenizer"})", R"({"type":"Whitespace"})"),
       "pre_tokenizer type \"Whitespace\" is not supported for a WordPiece tokenizer (BertPreTokenizer)"},
      {replaced(good, R"({"type":"BertPreTokenizer"})", "null"), "pre_tokenizer must be {\"type\": \"BertPreTokenizer\"}"},
      {replaced(good, R"("normalizer":{)", R"("normalizer":[],"x":{)"), "normalizer must be an object or null"},
      {replaced(good, R"("decoder":{"type":"WordPiece")", R"("decoder":{"type":"BPEDecoder")"),
       "decoder type \"BPEDecoder\" is not supported"},
      {replaced(good, R"("unk_token":"[UNK]")", R"("unk_token":"<unk>")"),
       "tokenizer.json: model.unk_token \"<unk>\" is not in the vocabulary"},
      {replaced(good, R"("a":1)", R"("a":0)"), "model.vocab: id 0 is given to both \"[UNK]\" and \"a\""},
      {replaced(good, R"("a":1)", R"("a":1.5)"), "model.vocab[\"a\"] must be an integer id"},
      {replaced(good, R"("a":1)", R"("":1)"), "model.vocab has an empty token"},
      {replaced(good, R"("unk_token")", R"("dropout":null,"unk_token")"), "model: unknown key \"dropout\""},
      {replaced(good, R"("unk_token")", R"("max_input_chars_per_word":1e9,"unk_token")"),
       "model.max_input_chars_per_word must be an integer in [0, 1000]"},
      {replaced(good, R"("type":"WordPiece","unk_token")", R"("type":"BPE","unk_token")"), "model.type must be"},
      {replaced(good, R"("vocab":{"[UNK]":0,"a":1,"##b":2})", R"("vocab":{})"), "model.vocab is empty"},
  };
  for (const auto& [json, message] : cases) {
    WordPieceTokenizer t = small();
    const Status st = load(json, &t);
    ASSERT_FALSE(st.ok()) << json;
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message() << "\n  wanted: " << message;
    EXPECT_EQ(st.message().rfind("tokenizer.json: ", 0), 0u) << st.message();
    EXPECT_EQ(t.model_tokens().size(), small().model_tokens().size());  // untouched on failure
  }
  const std::vector<std::pair<std::string, std::string>> vocab_cases = {
      {"[UNK]\n\nb\n", "vocab.txt: line 2 is empty (one token per line)"},
      {"[UNK]\na\nb\na\n", "vocab.txt: line 4: \"a\" is already on line 2"},
      {"[UNK]\n\xff\n", "vocab.txt: line 2 is not valid UTF-8"},
      {"a\nb\n", "vocab.txt: the unk_token \"[UNK]\" is not in the vocabulary"},
      {"", "vocab.txt is empty"},
  };
  for (const auto& [text, message] : vocab_cases) {
    WordPieceTokenizer t;
    const Status st = WordPieceTokenizer::from_vocab_txt(text, BertNormalizerOptions(), &t);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_EQ(st.message(), message);
  }
}

}  // namespace
}  // namespace attn
