// HfTokenizer (engine/text/hf_tokenizer.h) on the fixtures of tests/fixtures/hf/tokenizers/ (files in the Hub's
// layout): loading each kind, legacy files (vocab.txt, vocab.json + merges.txt) equal to tokenizer.json, added
// tokens typed in the text (and their lstrip / rstrip / single_word / normalized options), the post-processor and
// max_tokens, offsets and `replaced` on any bytes, the 1 MiB cap, decoding, special-token roles, Marian, and bad
// files with their messages.
#include "text/hf_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/json.h"
#include "text/unicode.h"

namespace attn {
namespace {

using Strings = std::vector<std::string>;

std::string fixture_dir() { return std::string(ATTN_GOLDEN_DIR) + "/../fixtures/hf/tokenizers/"; }

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The files of a fixture directory, kept for the whole run.
const std::string& file(const std::string& dir, const std::string& name) {
  static std::map<std::string, std::string> cache;
  const std::string key = dir + "/" + name;
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, read(fixture_dir() + key)).first;
  return it->second;
}

HfTokenizer::Files files(const std::string& dir, const Strings& names) {
  HfTokenizer::Files out;
  for (const std::string& name : names) {
    const std::string& bytes = file(dir, name);
    EXPECT_FALSE(bytes.empty()) << dir << "/" << name;
    out[name] = bytes;
  }
  return out;
}

HfTokenizer load(const HfTokenizer::Files& f) {
  HfTokenizer t;
  const Status st = HfTokenizer::load(f, &t);
  EXPECT_TRUE(st.ok()) << st.message();
  return t;
}

const HfTokenizer& gpt2() {
  static const HfTokenizer t = load(files("gpt2", {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}));
  return t;
}
const HfTokenizer& uncased() {
  static const HfTokenizer t = load(files("bert-uncased", {"tokenizer.json", "tokenizer_config.json"}));
  return t;
}
const HfTokenizer& cased() {
  static const HfTokenizer t = load(files("bert-cased", {"tokenizer.json", "tokenizer_config.json"}));
  return t;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// Texts of every kind: scripts, accents (composed and not), CJK, emoji, controls, white space, added tokens.
Strings varied() {
  return {
      "",
      "Hello, world! How are you doing today?",
      "I'm sure they'd've said it's fine; we'll see, won't we? I'M 'tis",
      "Numbers: 3.14159, 1,000,000 and 2024-01-15 at 10:30pm; 42nd 7x \u0664\u0665 \u2167 \u00bd",
      "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m e\u0301 n\u0303 Z\u0351\u0352",
      "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002\u5317\u4eac \uc11c\uc6b8 \u3072\u3089\u304c\u306a \U00020000x",
      "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u202Eevil\u202C \u200F",
      "emoji \U0001F44B\U0001F3FD family \U0001F468\u200D\U0001F469\u200D\U0001F467 flags \U0001F1EB\U0001F1F7",
      std::string("nul\0byte \x01\x07\x1b[31m ctrl\x7f", 22),
      "\t\ttabs\n\nnewlines\r\n crlf \u00a0nbsp \u3000ideo \u2028ls \ufeffbom \u200bzw \u0085nel",
      "Paris is the [MASK] of France. [mask] [MASK][MASK]a[SEP]b",
      "end of text<|endoftext|>next one <|endoftext|> <|endoftext",
      "\u0130stanbul \u039f\u0394\u039f\u03a3 \u1e9e stra\u00dfe \ufb01ne",
      std::string(150, 'x') + " " + std::string(99, 'y') + "z",
  };
}

// Offsets in bounds, on character boundaries, never decreasing; ids in the vocabulary; tokens their strings.
void expect_well_formed(const HfTokenizer& t, const std::string& text, const Encoding& e) {
  ASSERT_EQ(e.ids.size(), e.tokens.size());
  ASSERT_EQ(e.ids.size(), e.offsets.size());
  std::vector<bool> boundary(text.size() + 1, false);
  int64_t invalid = 0;
  for (size_t pos = 0; pos < text.size();) {
    boundary[pos] = true;
    const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
    invalid += c.invalid;
    pos += c.len;
  }
  boundary[text.size()] = true;
  int64_t prev_start = 0, prev_end = 0;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    ASSERT_GE(e.ids[i], 0);
    ASSERT_LT(e.ids[i], t.vocab_size());
    EXPECT_EQ(e.tokens[i], t.id_to_token(e.ids[i]));
    const auto [s, f] = e.offsets[i];
    ASSERT_LE(0, s);
    ASSERT_LE(s, f);
    ASSERT_LE(f, static_cast<int64_t>(text.size()));
    EXPECT_TRUE(boundary[s] && boundary[f]) << i;
    EXPECT_GE(s, prev_start);
    EXPECT_GE(f, prev_end);
    prev_start = s;
    prev_end = f;
  }
  if (!e.truncated) {
    EXPECT_EQ(e.replaced, invalid);
  }
}

// ------------------------------------------------------------------------------------------------ loading

TEST(HfTokenizer, LoadsTheFixtures) {
  EXPECT_STREQ(gpt2().kind_name(), "bpe");
  EXPECT_EQ(gpt2().source(), "tokenizer.json");
  EXPECT_EQ(gpt2().vocab_size(), 1200);
  EXPECT_EQ(gpt2().token_to_id("<|endoftext|>"), 1199);
  EXPECT_TRUE(gpt2().is_special(1199));
  EXPECT_FALSE(gpt2().is_special(0));
  for (const char* role : {"bos", "eos", "unk"}) EXPECT_EQ(gpt2().special_id(role), 1199) << role;
  for (const char* role : {"cls", "sep", "mask", "pad"}) EXPECT_EQ(gpt2().special_id(role), -1) << role;
  for (const HfTokenizer* t : {&uncased(), &cased()}) {
    EXPECT_EQ(t->kind(), HfTokenizer::Kind::kWordPiece);
    EXPECT_EQ(t->special_id("pad"), 0);
    EXPECT_EQ(t->special_id("unk"), 100);
    EXPECT_EQ(t->special_id("cls"), 101);
    EXPECT_EQ(t->special_id("sep"), 102);
    EXPECT_EQ(t->special_id("mask"), 103);
    EXPECT_EQ(t->special_id("bos"), -1);
    EXPECT_EQ(t->special_id("eos"), -1);
    EXPECT_EQ(t->special_id("nonsense"), -1);
    EXPECT_EQ(t->id_to_token(1), "[unused0]");
    for (int32_t id : {0, 100, 101, 102, 103}) EXPECT_TRUE(t->is_special(id)) << id;
    EXPECT_FALSE(t->is_special(1));
  }
  EXPECT_EQ(uncased().vocab_size(), 1500);
  EXPECT_EQ(cased().vocab_size(), 1600);
  EXPECT_EQ(uncased().id_to_token(5000), "");
  EXPECT_EQ(uncased().token_to_id("no such token"), -1);
  EXPECT_FALSE(HfTokenizer::present({{"config.json", "{}"}}));
  EXPECT_TRUE(HfTokenizer::present({{"vocab.txt", ""}}));
}

TEST(HfTokenizer, LegacyFilesGiveWhatTokenizerJsonGives) {
  const HfTokenizer uncased_txt = load(files("bert-uncased", {"vocab.txt", "tokenizer_config.json"}));
  const HfTokenizer cased_txt = load(files("bert-cased", {"vocab.txt", "tokenizer_config.json"}));
  const HfTokenizer gpt2_pair = load(files("gpt2", {"vocab.json", "merges.txt", "special_tokens_map.json"}));
  EXPECT_EQ(uncased_txt.source(), "vocab.txt");
  EXPECT_EQ(gpt2_pair.source(), "vocab.json + merges.txt");
  const std::vector<std::pair<const HfTokenizer*, const HfTokenizer*>> pairs = {
      {&uncased(), &uncased_txt}, {&cased(), &cased_txt}, {&gpt2(), &gpt2_pair}};
  for (const auto& [json, legacy] : pairs) {
    EXPECT_EQ(legacy->vocab_size(), json->vocab_size());
    EXPECT_EQ(legacy->kind(), json->kind());
    for (const char* role : {"cls", "sep", "mask", "pad", "unk", "bos", "eos"})
      EXPECT_EQ(legacy->special_id(role), json->special_id(role)) << role;
    for (int32_t id = 0; id < json->vocab_size(); ++id) {
      ASSERT_EQ(legacy->id_to_token(id), json->id_to_token(id));
      ASSERT_EQ(legacy->is_special(id), json->is_special(id)) << id;
    }
    for (const std::string& text : varied()) {
      for (const bool specials : {true, false}) {
        const Encoding a = json->encode(text, specials), b = legacy->encode(text, specials);
        EXPECT_EQ(a.ids, b.ids) << text;
        EXPECT_EQ(a.offsets, b.offsets) << text;
        EXPECT_EQ(json->decode(a.ids), legacy->decode(b.ids));
      }
    }
  }
  // vocab.txt alone is BertTokenizer's default: lowercased.
  const HfTokenizer cased_no_config = load(files("bert-cased", {"vocab.txt"}));
  EXPECT_EQ(cased_no_config.encode("Hello WORLD").ids, cased_no_config.encode("hello world").ids);
  EXPECT_NE(cased().encode("Hello WORLD").ids, cased().encode("hello world").ids);
}

TEST(HfTokenizer, Gpt2FileVariantsLoad) {
  // Merges as arrays (newer tokenizers), truncation and padding set, a TemplateProcessing post-processor.
  const std::string& json = file("gpt2", "tokenizer.json");
  Json root;
  ASSERT_TRUE(Json::parse(json, &root).ok());
  Json merges = Json::array();
  for (const Json& m : root.find("model")->find("merges")->items()) {
    const std::string& s = m.as_string();
    Json pair = Json::array();
    pair.push(Json::string(s.substr(0, s.find(' '))));
    pair.push(Json::string(s.substr(s.find(' ') + 1)));
    merges.push(pair);
  }
  Json model = *root.find("model");
  model.set("merges", merges);
  Json arrays = root;
  arrays.set("model", model);
  Json truncation = Json::object();
  truncation.set("max_length", Json::number(1024));
  arrays.set("truncation", truncation);
  const HfTokenizer a = load({{"tokenizer.json", arrays.dump()}});
  for (const std::string& text : varied()) EXPECT_EQ(a.encode(text).ids, gpt2().encode(text).ids) << text;

  Json bos = root;
  Json post;
  ASSERT_TRUE(Json::parse(R"({"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}},)"
                          R"({"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<|endoftext|>":)"
                          R"({"id":"<|endoftext|>","ids":[1199],"tokens":["<|endoftext|>"]}}})", &post).ok());
  bos.set("post_processor", post);
  const HfTokenizer b = load({{"tokenizer.json", bos.dump()}});
  const Encoding e = b.encode("hi");
  ASSERT_GE(e.ids.size(), 2u);
  EXPECT_EQ(e.ids[0], 1199);
  EXPECT_EQ(e.offsets[0], std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(std::vector<int32_t>(e.ids.begin() + 1, e.ids.end()), gpt2().encode("hi").ids);
}

// ------------------------------------------------------------------------------------------------ encoding

TEST(HfTokenizer, AddedTokensInTextBecomeTheirIds) {
  const std::string text = "Paris is the [MASK] of France.";
  const Encoding e = uncased().encode(text);
  ASSERT_FALSE(e.ids.empty());
  EXPECT_EQ(e.ids.front(), 101);
  EXPECT_EQ(e.ids.back(), 102);
  const auto mask = std::find(e.ids.begin(), e.ids.end(), 103);
  ASSERT_NE(mask, e.ids.end());
  EXPECT_EQ(e.offsets[mask - e.ids.begin()], std::make_pair(int64_t{13}, int64_t{19}));
  EXPECT_EQ(std::count(e.ids.begin(), e.ids.end(), 103), 1);
  // normalized: false, so "[mask]" is text: "[", "mask" (pieces), "]".
  const Encoding lower = uncased().encode("[mask]", false);
  EXPECT_EQ(lower.tokens.front(), "[");
  EXPECT_EQ(lower.tokens.back(), "]");
  EXPECT_EQ(std::count(lower.ids.begin(), lower.ids.end(), 103), 0);
  // Inside words and next to each other.
  EXPECT_EQ(uncased().encode("a[MASK][MASK]b", false).tokens, (Strings{"a", "[MASK]", "[MASK]", "b"}));
  EXPECT_EQ(uncased().encode("[CLS][SEP][PAD][UNK]", false).ids, (std::vector<int32_t>{101, 102, 0, 100}));
  // GPT-2: <|endoftext|> splits the text; each side is encoded on its own.
  const Encoding g = gpt2().encode("Hello<|endoftext|> world");
  const Encoding hello = gpt2().encode("Hello"), world = gpt2().encode(" world");
  std::vector<int32_t> expected = hello.ids;
  expected.push_back(1199);
  expected.insert(expected.end(), world.ids.begin(), world.ids.end());
  EXPECT_EQ(g.ids, expected);
  EXPECT_EQ(g.offsets[hello.ids.size()], std::make_pair(int64_t{5}, int64_t{18}));
  EXPECT_EQ(std::count(g.ids.begin(), g.ids.end(), 1199), 1);
  const Encoding partial = gpt2().encode("<|endoftext");
  EXPECT_EQ(std::count(partial.ids.begin(), partial.ids.end(), 1199), 0);
}

TEST(HfTokenizer, AddedTokenOptionsAreHonoured) {
  // Five more tokens on the uncased BERT: lstrip, rstrip, single_word, normalized (matched in the lowercased
  // text) and a plain non-special one.
  const std::string json = replaced(
      file("bert-uncased", "tokenizer.json"), "\"added_tokens\":[",
      R"("added_tokens":[{"id":1500,"special":true,"content":"<L>","single_word":false,"lstrip":true,"rstrip":false,"normalized":false},)"
      R"({"id":1501,"special":true,"content":"<R>","single_word":false,"lstrip":false,"rstrip":true,"normalized":false},)"
      R"({"id":1502,"special":false,"content":"ony","single_word":true,"lstrip":false,"rstrip":false,"normalized":false},)"
      R"({"id":1503,"special":false,"content":"Yesterday","single_word":false,"lstrip":false,"rstrip":false,"normalized":true},)"
      R"({"id":1504,"special":false,"content":"<plain>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false},)");
  const HfTokenizer t = load({{"tokenizer.json", json}});
  EXPECT_EQ(t.vocab_size(), 1505);
  auto spans = [](const std::string& text, const Encoding& e) {
    Strings out;
    for (const auto& [s, f] : e.offsets) out.push_back(text.substr(s, f - s));
    return out;
  };
  std::string text = "the  <L>and";
  Encoding e = t.encode(text, false);
  EXPECT_EQ(e.tokens, (Strings{"the", "<L>", "and"}));
  EXPECT_EQ(spans(text, e), (Strings{"the", "  <L>", "and"}));
  text = "the<R> \t and";
  e = t.encode(text, false);
  EXPECT_EQ(e.tokens, (Strings{"the", "<R>", "and"}));
  EXPECT_EQ(spans(text, e), (Strings{"the", "<R> \t ", "and"}));
  // single_word: not inside "anthony" nor before a letter, but before "." and at the ends.
  e = t.encode("ony anthony onyx ony.", false);
  EXPECT_EQ(std::count(e.ids.begin(), e.ids.end(), 1502), 2);
  EXPECT_EQ(e.ids.front(), 1502);
  // normalized: true matches the normalized (lowercased) text; the span is the typed text.
  text = "the YESTERDAY!";
  e = t.encode(text, false);
  EXPECT_EQ(e.tokens, (Strings{"the", "Yesterday", "!"}));
  EXPECT_EQ(spans(text, e), (Strings{"the", "YESTERDAY", "!"}));
  // Special or not: decode keeps the non-special one when skipping specials.
  EXPECT_TRUE(t.is_special(1500));
  EXPECT_FALSE(t.is_special(1504));
  e = t.encode("<L><plain>", false);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1500, 1504}));
  EXPECT_EQ(t.decode(e.ids, true), "<plain>");
}

TEST(HfTokenizer, PostProcessorTokensHaveEmptySpansAndCountInMaxTokens) {
  const std::string text = "the and in of";
  const Encoding e = uncased().encode(text);
  EXPECT_EQ(e.tokens, (Strings{"[CLS]", "the", "and", "in", "of", "[SEP]"}));
  EXPECT_EQ(e.offsets.front(), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(e.offsets.back(), std::make_pair(int64_t{13}, int64_t{13}));
  EXPECT_FALSE(e.truncated);
  EXPECT_EQ(uncased().encode(text, false).tokens, (Strings{"the", "and", "in", "of"}));
  EXPECT_EQ(uncased().encode(text, true, 4).tokens, (Strings{"[CLS]", "the", "and", "[SEP]"}));
  EXPECT_TRUE(uncased().encode(text, true, 4).truncated);
  EXPECT_EQ(uncased().encode(text, true, 6).tokens.size(), 6u);
  EXPECT_FALSE(uncased().encode(text, true, 6).truncated);
  EXPECT_EQ(uncased().encode(text, true, 2).tokens, (Strings{"[CLS]", "[SEP]"}));
  EXPECT_EQ(uncased().encode(text, true, 1).tokens, (Strings{"[CLS]"}));
  EXPECT_TRUE(uncased().encode(text, true, 0).ids.empty());
  EXPECT_TRUE(uncased().encode(text, true, 0).truncated);
  EXPECT_EQ(uncased().encode(text, false, 2).tokens, (Strings{"the", "and"}));
  const Encoding empty = uncased().encode("");
  EXPECT_EQ(empty.tokens, (Strings{"[CLS]", "[SEP]"}));
  EXPECT_EQ(empty.offsets[1], std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_FALSE(empty.truncated);
  // The older BertProcessing (distilbert's files) and RobertaProcessing give the same; null adds nothing.
  const std::string& json = file("bert-uncased", "tokenizer.json");
  const std::string post = json.substr(json.find("\"post_processor\":"), json.find(",\"decoder\":") - json.find("\"post_processor\":"));
  for (const std::string& other : {std::string(R"("post_processor":{"type":"BertProcessing","sep":["[SEP]",102],"cls":["[CLS]",101]})"),
                                   std::string(R"("post_processor":{"type":"RobertaProcessing","sep":["[SEP]",102],"cls":["[CLS]",101],"trim_offsets":true,"add_prefix_space":false})")}) {
    const HfTokenizer t = load({{"tokenizer.json", replaced(json, post, other)}});
    for (const std::string& s : varied()) EXPECT_EQ(t.encode(s).ids, uncased().encode(s).ids);
  }
  const HfTokenizer none = load({{"tokenizer.json", replaced(json, post, R"("post_processor":null)")}});
  EXPECT_EQ(none.encode(text).tokens, (Strings{"the", "and", "in", "of"}));
  // GPT-2's ByteLevel post-processor adds nothing.
  EXPECT_EQ(gpt2().encode("hi there").ids, gpt2().encode("hi there", false).ids);
}

TEST(HfTokenizer, OffsetsPointAtTheTypedText) {
  // WordPiece: accents, CJK and removed characters map back to what was typed.
  std::string text = "Caf\u00e9\u0301 \u6771\u4eac!";
  Encoding e = uncased().encode(text, false);
  Strings spans;
  for (const auto& [s, f] : e.offsets) spans.push_back(text.substr(s, f - s));
  EXPECT_EQ(e.tokens, (Strings{"cafe", "\u6771", "\u4eac", "!"}));
  EXPECT_EQ(spans, (Strings{"Caf\u00e9\u0301", "\u6771", "\u4eac", "!"}));
  // Byte-level BPE: a token's span includes its leading space, and decoding one token gives its span.
  text = "The quick brown fox jumps over the lazy dog.";
  e = gpt2().encode(text);
  std::string joined;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const auto [s, f] = e.offsets[i];
    EXPECT_EQ(gpt2().decode({e.ids[i]}), text.substr(s, f - s));
    joined += text.substr(s, f - s);
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(e.tokens[1].substr(0, 2), "\u0120");  // " quick" starts with Ġ
  EXPECT_EQ(e.offsets[1].first, 3);
}

TEST(HfTokenizer, AnyBytesGiveWellFormedEncodings) {
  uint64_t state = 12345;
  auto next = [&]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  const char* pieces[] = {"a", "B", " ", "\u00e9", "e\u0301", "\u4e2d", "\U0001F600", "\xff", "\xe2\x82", "[MASK]",
                          "<|endoftext|>", "\t", "\u200b", "!", "##", "\x80", "(NUL)", "the"};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const uint32_t n = next() % 40;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t k = next() % (sizeof(pieces) / sizeof(pieces[0]) + 1);
      if (k == sizeof(pieces) / sizeof(pieces[0]))
        text += static_cast<char>(next() & 0xFF);
      else if (k == 16)
        text += std::string(1, '\0');
      else
        text += pieces[k];
    }
    for (const HfTokenizer* t : {&gpt2(), &uncased(), &cased()}) {
      for (const bool specials : {true, false}) {
        const Encoding full = t->encode(text, specials);
        expect_well_formed(*t, text, full);
        EXPECT_FALSE(full.truncated);
        const int64_t k = next() % 12;
        const Encoding part = t->encode(text, specials, k);
        expect_well_formed(*t, text, part);
        EXPECT_LE(part.ids.size(), static_cast<size_t>(k));
        EXPECT_EQ(part.truncated, full.ids.size() > static_cast<size_t>(k));
        if (!specials) {
          EXPECT_EQ(part.ids, std::vector<int32_t>(full.ids.begin(), full.ids.begin() + part.ids.size()));
        }
      }
    }
    // GPT-2 is lossless: decoding gives the text back (invalid bytes as U+FFFD).
    EXPECT_EQ(gpt2().decode(gpt2().encode(text).ids), unicode::to_valid_utf8(text));
  }
}

TEST(HfTokenizer, InputIsCappedAtOneMiB) {
  std::string text;
  while (text.size() < static_cast<size_t>(HfTokenizer::kMaxInputBytes) - 1) text += "the and ";
  text.resize(HfTokenizer::kMaxInputBytes - 1);
  text += "\u00e9 more";  // the 2-byte character crosses the cap and is left out whole
  for (const HfTokenizer* t : {&gpt2(), &uncased()}) {
    const Encoding e = t->encode(text);
    EXPECT_TRUE(e.truncated);
    for (const auto& [s, f] : e.offsets) EXPECT_LE(f, HfTokenizer::kMaxInputBytes - 1);
  }
  EXPECT_EQ(uncased().encode(text).offsets.back(),
            std::make_pair(HfTokenizer::kMaxInputBytes - 1, HfTokenizer::kMaxInputBytes - 1));  // [SEP]
  const Encoding few = uncased().encode(text, true, 10);
  EXPECT_EQ(few.ids.size(), 10u);
  EXPECT_EQ(few.ids.back(), 102);
}

// ------------------------------------------------------------------------------------------------ decoding

TEST(HfTokenizer, DecodesAsHuggingFace) {
  const Encoding e = uncased().encode("The quick, brown fox!");
  EXPECT_EQ(uncased().decode(e.ids), "[CLS] the quick, brown fox! [SEP]");
  EXPECT_EQ(uncased().decode(e.ids, true), "the quick, brown fox!");
  EXPECT_EQ(uncased().decode({101, -1, 5000, 102}), "[CLS] [SEP]");  // out-of-range ids are skipped
  for (const std::string& text : varied()) {
    const Encoding g = gpt2().encode(text);
    EXPECT_EQ(gpt2().decode(g.ids), text) << text;
  }
  const std::vector<int32_t> ids = gpt2().encode("a<|endoftext|>b").ids;
  EXPECT_EQ(gpt2().decode(ids), "a<|endoftext|>b");
  EXPECT_EQ(gpt2().decode(ids, true), "ab");
}

// ------------------------------------------------------------------------------------------------ roles

TEST(HfTokenizer, RolesComeFromTheConfigFiles) {
  HfTokenizer::Files f = files("gpt2", {"tokenizer.json"});
  f["special_tokens_map.json"] = R"({"pad_token":{"content":"<|endoftext|>","lstrip":false},"unk_token":null})";
  const HfTokenizer t = load(f);
  EXPECT_EQ(t.special_id("pad"), 1199);
  EXPECT_EQ(t.special_id("unk"), -1);
  EXPECT_EQ(t.special_id("eos"), 1199);
  HfTokenizer::Files b = files("bert-uncased", {"tokenizer.json"});
  b["tokenizer_config.json"] = R"({"mask_token":null,"cls_token":"[SEP]","model_max_length":512})";
  b["special_tokens_map.json"] = R"({"cls_token":"[CLS]","sep_token":"no such token"})";
  const HfTokenizer u = load(b);
  EXPECT_EQ(u.special_id("mask"), -1);
  EXPECT_EQ(u.special_id("cls"), 101);  // special_tokens_map.json wins
  EXPECT_EQ(u.special_id("sep"), -1);   // a token the vocabulary does not have
}

// ------------------------------------------------------------------------------------------------ Marian

TEST(HfTokenizer, MarianSourceTargetAndDecode) {
  HfTokenizer t;
  const Status st = HfTokenizer::load(files("marian", {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"}), &t);
  if (!st.ok() && st.message().find("not supported yet") != std::string::npos) GTEST_SKIP() << st.message();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_STREQ(t.kind_name(), "sentencepiece");
  const int32_t eos = t.special_id("eos"), unk = t.special_id("unk"), pad = t.special_id("pad");
  EXPECT_EQ(t.id_to_token(eos), "</s>");
  EXPECT_EQ(t.id_to_token(unk), "<unk>");
  EXPECT_EQ(t.id_to_token(pad), "<pad>");
  EXPECT_EQ(t.special_id("bos"), -1);
  for (const std::string& text : varied()) {
    const Encoding e = t.encode(text);
    expect_well_formed(t, text, e);
    ASSERT_FALSE(e.ids.empty());
    EXPECT_EQ(e.ids.back(), eos);
    EXPECT_EQ(e.offsets.back(), std::make_pair(static_cast<int64_t>(text.size()), static_cast<int64_t>(text.size())));
    EXPECT_EQ(t.encode(text, false).ids, std::vector<int32_t>(e.ids.begin(), e.ids.end() - 1));
  }
  // Typed specials are their ids; an unknown language code is one unknown token.
  const Encoding s = t.encode("Hello </s> world", false);
  EXPECT_EQ(std::count(s.ids.begin(), s.ids.end(), eos), 1);
  const Encoding code = t.encode(">>xx<< Hello", false);
  EXPECT_EQ(code.ids[0], unk);
  EXPECT_EQ(code.offsets[0], std::make_pair(int64_t{0}, int64_t{6}));
  // Target side (forced decoding) and decoding go through target.spm.
  const std::string french = "Le chat est sur la table.";
  const Encoding target = t.encode(french, true, -1, true);
  EXPECT_EQ(target.ids.back(), eos);
  EXPECT_EQ(t.decode(target.ids, true), french);
  EXPECT_EQ(t.decode(target.ids), french + "</s>");
  EXPECT_EQ(t.decode({pad, target.ids[0]}, true), t.decode({target.ids[0]}));

  // A separate target vocabulary (target_vocab.json): the same tokens with the ids reversed.
  const int32_t n = t.vocab_size();
  std::string reversed = "{";
  for (int32_t id = 0; id < n; ++id)
    reversed += (id ? "," : "") + Json::string(t.id_to_token(id)).dump() + ":" + std::to_string(n - 1 - id);
  reversed += "}";
  HfTokenizer::Files f = files("marian", {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"});
  f["target_vocab.json"] = reversed;
  const HfTokenizer sep = load(f);
  EXPECT_TRUE(sep.separate_target_vocab());
  EXPECT_EQ(sep.source(), "source.spm + target.spm + vocab.json + target_vocab.json");
  const Encoding tt = sep.encode(french, true, -1, true);
  EXPECT_EQ(tt.tokens, target.tokens);
  for (size_t i = 0; i < tt.ids.size(); ++i) EXPECT_EQ(tt.ids[i], n - 1 - target.ids[i]);
  EXPECT_EQ(sep.target_id_to_token(tt.ids[0]), target.tokens[0]);
  EXPECT_EQ(sep.decode(tt.ids, true), french);
  EXPECT_EQ(sep.encode(french).ids, t.encode(french).ids);  // the source side is unchanged
}

// ------------------------------------------------------------------------------------------------ bad files

TEST(HfTokenizer, BadFilesAreRefusedWithClearMessages) {
  const std::string& bert = file("bert-uncased", "tokenizer.json");
  const std::string& gpt = file("gpt2", "tokenizer.json");
  const std::string& vocab_json = file("gpt2", "vocab.json");
  const std::string& merges = file("gpt2", "merges.txt");
  const std::string post = bert.substr(bert.find("\"post_processor\":"), bert.find(",\"decoder\":") - bert.find("\"post_processor\":"));
  const std::string long_token(300, 'x');
  using Owned = std::map<std::string, std::string>;  // the files of a case, owned (Files only views them)
  const std::vector<std::pair<Owned, std::string>> cases = {
      {{}, "no tokenizer file"},
      {{{"vocab.json", vocab_json}}, "merges.txt is missing"},
      {{{"merges.txt", merges}}, "vocab.json is missing"},
      {{{"source.spm", "x"}, {"vocab.json", "{}"}}, "target.spm is missing"},
      {{{"tokenizer.json", "{"}}, "tokenizer.json: "},
      {{{"tokenizer.json", replaced(bert, R"("type":"WordPiece","unk_token")", R"("type":"Unigram","unk_token")")}},
       "tokenizer.json: model.type \"Unigram\" is not supported (BPE for GPT-2, WordPiece for BERT)"},
      {{{"tokenizer.json", replaced(bert, post, R"("post_processor":{"type":"Sequence","processors":[]})")}},
       "tokenizer.json: post_processor type \"Sequence\" is not supported"},
      {{{"tokenizer.json", replaced(bert, post, R"("post_processor":{"type":"ByteLevel"})")}},
       "tokenizer.json: post_processor type \"ByteLevel\" is not supported"},
      {{{"tokenizer.json", replaced(bert, "\"ids\":[101]", "\"ids\":[5000]")}},
       "tokenizer.json: post_processor: token id 5000 is outside the vocabulary [0, 1500)"},
      {{{"tokenizer.json", replaced(bert, "{\"SpecialToken\":{\"id\":\"[CLS]\"", "{\"SpecialToken\":{\"id\":\"[BOS]\"")}},
       "tokenizer.json: post_processor.single[0]: \"[BOS]\" is not in special_tokens"},
      {{{"tokenizer.json", replaced(bert, "\"content\":\"[MASK]\"", "\"content\":\"" + long_token + "\"")}},
       "is longer than 256 bytes, which is not supported"},
      {{{"tokenizer.json", replaced(bert, "{\"id\":103,", "{\"id\":7,")}},
       "tokenizer.json: added_tokens[4]: \"[MASK]\" has id 7 but id 103 in model.vocab"},
      {{{"tokenizer.json", replaced(bert, "{\"id\":103,\"special\":true,\"content\":\"[MASK]\"",
                                    "{\"id\":103,\"special\":true,\"content\":\"[MASK]\"},{\"id\":1501,\"content\":\"<x>\"")}},
       "tokenizer.json: id 1500 has no token (ids must run from 0 to 1501)"},
      {{{"tokenizer.json", replaced(bert, "\"normalized\":false}", "\"normalized\":0}")}},
       "tokenizer.json: added_tokens[0].normalized must be true or false"},
      {{{"tokenizer.json", replaced(bert, "\"truncation\":null", "\"truncation\":7")}},
       "tokenizer.json: truncation must be an object or null"},
      {{{"tokenizer.json", replaced(gpt, "\"normalizer\":null", "\"normalizer\":{\"type\":\"NFC\"}")}},
       "tokenizer.json: normalizer is not supported"},
      {{{"vocab.json", vocab_json}, {"merges.txt", replaced(merges, "\n", "\nnot-a-merge\n")}},
       "merges.txt: line 2 \"not-a-merge\" must be two tokens separated by one space"},
      {{{"vocab.json", vocab_json}, {"merges.txt", replaced(merges, "\n", "\nzzzz qqqq\n")}},
       "merges.txt: line 2 \"zzzz qqqq\": \"zzzz\" is not a token of the model's vocabulary"},
      {{{"vocab.json", "[]"}, {"merges.txt", merges}}, "vocab.json: the file must be a JSON object {token: id}"},
      {{{"vocab.json", R"({"a":0,"b":2})"}, {"merges.txt", merges}},
       "vocab.json: the id of \"b\" must be an integer in [0, 2) (ids run from 0, one per token)"},
      {{{"vocab.json", R"({"a":0,"b":1})"}, {"merges.txt", "#version: 0.2\n"}}, "vocab.json has no token for byte 0"},
      {{{"vocab.txt", file("bert-uncased", "vocab.txt")}, {"tokenizer_config.json", "{"}}, "tokenizer_config.json: "},
      {{{"vocab.txt", file("bert-uncased", "vocab.txt")}, {"tokenizer_config.json", R"({"do_basic_tokenize":false})"}},
       "tokenizer_config.json: do_basic_tokenize = false is not supported"},
      {{{"vocab.txt", file("bert-uncased", "vocab.txt")}, {"tokenizer_config.json", R"({"do_lower_case":"yes"})"}},
       "tokenizer_config.json: do_lower_case must be true or false"},
      {{{"vocab.txt", "[PAD]\n"}}, "vocab.txt: the unk_token \"[UNK]\" is not in the vocabulary"},
      {{{"tokenizer.json", gpt}, {"special_tokens_map.json", R"({"bos_token":5})"}},
       "special_tokens_map.json: bos_token must be a string, an object with a \"content\" string, or null"},
      {{{"source.spm", "not a model"}, {"target.spm", "x"}, {"vocab.json", "{}"}}, "source.spm: "},
  };
  for (const auto& [owned, message] : cases) {
    HfTokenizer::Files f;
    for (const auto& [name, bytes] : owned) f[name] = bytes;
    HfTokenizer t = uncased();
    const Status st = HfTokenizer::load(f, &t);
    ASSERT_FALSE(st.ok()) << message;
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message() << "\n  wanted: " << message;
    EXPECT_EQ(t.vocab_size(), 1500);  // untouched on failure
  }
}

TEST(HfTokenizer, CopiesAreIndependentOfTheOriginal) {
  HfTokenizer copy;
  {
    const HfTokenizer original = load(files("bert-uncased", {"tokenizer.json"}));
    copy = original;
  }
  EXPECT_EQ(copy.encode("the [MASK]").ids, uncased().encode("the [MASK]").ids);
  EXPECT_TRUE(HfTokenizer().encode("text").ids.empty());  // an unloaded tokenizer encodes to nothing
}

}  // namespace
}  // namespace attn
