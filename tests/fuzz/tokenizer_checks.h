// Shared by the tokenizer fuzz targets (fuzz_tokenizer: text; fuzz_tokenizer_json: tokenizer.json files): the
// checks of an encoding's properties, and the fixed tokenizers the text target encodes with.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "io/json.h"
#include "text/hf_tokenizer.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace fuzz_tok {

using attn::Encoding;
using attn::Tokenizer;

// The target's name, for messages: each target sets it before its first check.
inline const char* target = "fuzz_tokenizer";

// Every broken property aborts: libFuzzer reports it as a crash.
[[noreturn]] inline void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "%s: property broken: %s: %s\n", target, property, detail.c_str());
  std::abort();
}

inline const std::vector<std::string>& corpus() {
  static const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog. It's the end of the world as we know it.",
      "they're we've he'll she'd I'm 12345 3.14 caf\u00e9 na\u00efve \u6771\u4eac \u05e9\u05dc\u05d5\u05dd",
      "emoji \U0001F44B\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467 \U0001F1EB\U0001F1F7   \n\n\ttabs",
  };
  return texts;
}

inline const Tokenizer& bpe() {
  static const Tokenizer t = Tokenizer::train_bpe(corpus(), 320, {"<pad>", "<eos>"});
  return t;
}

inline const Tokenizer& chars() {
  static const Tokenizer t = Tokenizer::train_chars(corpus(), 1, {"<pad>"}, "<unk>");
  return t;
}

// boundary[i]: byte i of text starts a character (or i == text.size()); *invalid: the invalid UTF-8 subsequences.
inline std::vector<bool> char_boundaries(std::string_view text, int64_t* invalid) {
  std::vector<bool> boundary(text.size() + 1, false);
  for (size_t pos = 0; pos < text.size();) {
    boundary[pos] = true;
    const attn::unicode::Utf8Char c = attn::unicode::decode_utf8(text, pos);
    *invalid += c.invalid;
    pos += c.len;
  }
  boundary[text.size()] = true;
  return boundary;
}

inline void check_encoding(const Tokenizer& t, std::string_view text, const Encoding& e, const char* name) {
  const std::string who = std::string(name) + " on " + std::to_string(text.size()) + " bytes";
  if (e.ids.size() != e.tokens.size() || e.ids.size() != e.offsets.size()) broken("one token, one offset", who);
  if (static_cast<int64_t>(text.size()) > Tokenizer::kMaxInputBytes) broken("the input is small", who);
  int64_t invalid = 0;
  const std::vector<bool> boundary = char_boundaries(text, &invalid);
  int64_t prev_start = 0, prev_end = 0;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const int32_t id = e.ids[i];
    if (id < 0 || id >= t.vocab_size()) broken("ids in the vocabulary", who);
    if (e.tokens[i] != t.id_to_token(id)) broken("tokens are the ids' strings", who);
    if (t.is_special(id) && id != t.unk_id()) broken("no special token from text", who);
    const auto [s, f] = e.offsets[i];
    if (s < 0 || f > static_cast<int64_t>(text.size()) || s >= f) broken("offsets in bounds, non-empty", who);
    if (!boundary[s] || !boundary[f]) broken("offsets on character boundaries", who);
    if (s < prev_start || f < prev_end || s > prev_end) broken("offsets ordered, without gaps", who);
    prev_start = s;
    prev_end = f;
  }
  if (!e.truncated) {
    if (prev_end != static_cast<int64_t>(text.size())) broken("offsets cover the text", who);
    if (e.replaced != invalid) broken("replaced counts invalid subsequences", who);
  }
}

// A small BERT-like tokenizer.json: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP], and added tokens
// with every option (lstrip, rstrip, single_word, normalized).
inline const attn::HfTokenizer& wordpiece() {
  static const attn::HfTokenizer t = [] {
    const std::string json =
        R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[)"
        R"({"id":0,"content":"[UNK]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},)"
        R"({"id":1,"content":"[CLS]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},)"
        R"({"id":2,"content":"[SEP]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},)"
        R"({"id":3,"content":"[MASK]","single_word":false,"lstrip":true,"rstrip":true,"normalized":false,"special":true},)"
        R"({"id":23,"content":"Hello","single_word":true,"lstrip":false,"rstrip":false,"normalized":true,"special":false}],)"
        R"("normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},)"
        R"("pre_tokenizer":{"type":"BertPreTokenizer"},"post_processor":{"type":"BertProcessing","sep":["[SEP]",2],"cls":["[CLS]",1]},)"
        R"("decoder":{"type":"WordPiece","prefix":"##","cleanup":true},"model":{"type":"WordPiece","unk_token":"[UNK]",)"
        R"("continuing_subword_prefix":"##","max_input_chars_per_word":20,"vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,)"
        R"("[MASK]":3,"hello":4,"the":5,"a":6,"##a":7,"e":8,"##e":9,"t":10,"##t":11,"h":12,"##h":13,"!":14,)"
        R"(",":15,"中":16,"cafe":17,"##s":18,"ᄒ":19,"##ᅡ":20,"##ᆫ":21,"i":22}}})";
    attn::HfTokenizer out;
    const attn::Status st = attn::HfTokenizer::load({{"tokenizer.json", json}}, &out);
    if (!st.ok()) broken("the fixed WordPiece tokenizer loads", st.message());
    return out;
  }();
  return t;
}

inline void check_hf(const attn::HfTokenizer& t, std::string_view text, const Encoding& e, int64_t max_tokens) {
  const std::string who = "HfTokenizer(" + std::string(t.kind_name()) + ") on " + std::to_string(text.size()) + " bytes";
  if (e.ids.size() != e.tokens.size() || e.ids.size() != e.offsets.size()) broken("one token, one offset", who);
  if (max_tokens >= 0 && static_cast<int64_t>(e.ids.size()) > max_tokens) broken("max_tokens honoured", who);
  int64_t invalid = 0;
  const std::vector<bool> boundary = char_boundaries(text, &invalid);
  int64_t prev_start = 0, prev_end = 0;
  for (size_t i = 0; i < e.ids.size(); ++i) {
    if (e.ids[i] < 0 || e.ids[i] >= t.vocab_size()) broken("ids in the vocabulary", who);
    if (e.tokens[i] != t.id_to_token(e.ids[i])) broken("tokens are the ids' strings", who);
    const auto [s, f] = e.offsets[i];
    if (s < 0 || s > f || f > static_cast<int64_t>(text.size())) broken("offsets in bounds", who);
    if (!boundary[s] || !boundary[f]) broken("offsets on character boundaries", who);
    if (s < prev_start || f < prev_end) broken("offsets never decrease", who);
    prev_start = s;
    prev_end = f;
  }
  if (!e.truncated && e.replaced != invalid) broken("replaced counts invalid subsequences", who);
}

}  // namespace fuzz_tok
