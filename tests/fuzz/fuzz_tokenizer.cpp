// libFuzzer target: attn::Tokenizer (engine/text/tokenizer.h) on arbitrary bytes.
//
// The input is used twice:
//  1. as text (its first 256 bytes), encoded by a small fixed byte-level BPE tokenizer and a small character tokenizer (trained once on a
//     fixed corpus), with no limit and with max_tokens taken from the first byte. Properties: ids in the
//     vocabulary, tokens are the ids' strings, offsets on character boundaries, in bounds, never decreasing and
//     covering the text without gaps; `replaced` is the number of invalid UTF-8 subsequences; max_tokens gives a
//     prefix; BPE decodes to the text (U+FFFD for invalid input), char level too when no character was unknown;
//  2. as a tokenizer.json, read by Tokenizer::from_json: never crashes, a failure says why (starting
//     "tokenizer.json: "); a success writes a file that reads back to the same file (to_json is a fixed point), and
//     the loaded tokenizer encodes a fixed text consistently.
// And through attn::HfTokenizer (text/hf_tokenizer.h), the Hugging Face path:
//  3. as text (the same 256 bytes), encoded by a small fixed WordPiece tokenizer (BERT's pipeline, with added tokens of every option):
//     ids in the vocabulary, tokens their strings, offsets in bounds, on character boundaries and never
//     decreasing, `replaced` the number of invalid subsequences, max_tokens honoured (special tokens included);
//  4. as a tokenizer.json read by HfTokenizer::load (WordPiece or BPE): never crashes, a failure says why
//     ("tokenizer.json: ..."), a success encodes a fixed text with the same properties.
#include <algorithm>
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

namespace {

using attn::Encoding;
using attn::Tokenizer;

constexpr size_t kTextBytes = 256;  // the part of an input encoded as text

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_tokenizer: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog. It's the end of the world as we know it.",
      "they're we've he'll she'd I'm 12345 3.14 caf\u00e9 na\u00efve \u6771\u4eac \u05e9\u05dc\u05d5\u05dd",
      "emoji \U0001F44B\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467 \U0001F1EB\U0001F1F7   \n\n\ttabs",
  };
  return texts;
}

const Tokenizer& bpe() {
  static const Tokenizer t = Tokenizer::train_bpe(corpus(), 320, {"<pad>", "<eos>"});
  return t;
}

const Tokenizer& chars() {
  static const Tokenizer t = Tokenizer::train_chars(corpus(), 1, {"<pad>"}, "<unk>");
  return t;
}

void check_encoding(const Tokenizer& t, std::string_view text, const Encoding& e, const char* name) {
  const std::string who = std::string(name) + " on " + std::to_string(text.size()) + " bytes";
  if (e.ids.size() != e.tokens.size() || e.ids.size() != e.offsets.size()) broken("one token, one offset", who);
  if (static_cast<int64_t>(text.size()) > Tokenizer::kMaxInputBytes) broken("the input is small", who);
  std::vector<bool> boundary(text.size() + 1, false);
  int64_t invalid = 0;
  for (size_t pos = 0; pos < text.size();) {
    boundary[pos] = true;
    const attn::unicode::Utf8Char c = attn::unicode::decode_utf8(text, pos);
    invalid += c.invalid;
    pos += c.len;
  }
  boundary[text.size()] = true;
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

void fuzz_encode(std::string_view text, int64_t max_tokens) {
  for (const Tokenizer* t : {&bpe(), &chars()}) {
    const char* name = t == &bpe() ? "bpe" : "chars";
    const Encoding full = t->encode(text);
    check_encoding(*t, text, full, name);
    if (full.truncated) broken("a small input is not truncated", name);
    const std::string valid = attn::unicode::to_valid_utf8(text);
    bool known = true;
    for (const int32_t id : full.ids) known = known && id != t->unk_id();
    if (known && t->decode(full.ids) != valid) broken("decode(encode(x)) == x", name);

    const Encoding part = t->encode(text, max_tokens);
    check_encoding(*t, text, part, name);
    const size_t n = std::min(full.ids.size(), static_cast<size_t>(max_tokens));
    if (part.ids != std::vector<int32_t>(full.ids.begin(), full.ids.begin() + n)) broken("max_tokens gives a prefix", name);
    if (part.truncated != (full.ids.size() > n)) broken("truncated iff tokens were left out", name);
  }
}

void fuzz_json(std::string_view json) {
  // Reused: from_json replaces all of it on success and leaves it alone on failure, and a Tokenizer made per
  // input (a byte-level vocabulary of 256 tokens) costs more than rejecting most inputs.
  static Tokenizer t;
  const attn::Status st = Tokenizer::from_json(json, &t);
  if (!st.ok()) {
    if (st.message().rfind("tokenizer.json: ", 0) != 0) broken("a failed load says why", st.message());
    return;
  }
  const std::string written = t.to_json();
  Tokenizer back;
  const attn::Status st2 = Tokenizer::from_json(written, &back);
  if (!st2.ok()) broken("to_json reads back", st2.message());
  if (back.to_json() != written) broken("to_json is a fixed point", written.substr(0, 200));
  const std::string text = "Hello, w\u00f6rld! 12 \U0001F44D\xff";
  const Encoding e = t.encode(text);
  check_encoding(t, text, e, "loaded");
  if (back.encode(text).ids != e.ids) broken("the re-read tokenizer encodes the same", written.substr(0, 200));
  if (t.kind() == Tokenizer::Kind::kByteBpe && t.decode(e.ids) != attn::unicode::to_valid_utf8(text))
    broken("a loaded byte-level BPE round-trips", written.substr(0, 200));
}

// A small BERT-like tokenizer.json: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP], and added tokens
// with every option (lstrip, rstrip, single_word, normalized).
const attn::HfTokenizer& wordpiece() {
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

void check_hf(const attn::HfTokenizer& t, std::string_view text, const Encoding& e, int64_t max_tokens) {
  const std::string who = "HfTokenizer(" + std::string(t.kind_name()) + ") on " + std::to_string(text.size()) + " bytes";
  if (e.ids.size() != e.tokens.size() || e.ids.size() != e.offsets.size()) broken("one token, one offset", who);
  if (max_tokens >= 0 && static_cast<int64_t>(e.ids.size()) > max_tokens) broken("max_tokens honoured", who);
  std::vector<bool> boundary(text.size() + 1, false);
  int64_t invalid = 0;
  for (size_t pos = 0; pos < text.size();) {
    boundary[pos] = true;
    const attn::unicode::Utf8Char c = attn::unicode::decode_utf8(text, pos);
    invalid += c.invalid;
    pos += c.len;
  }
  boundary[text.size()] = true;
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

// text: encoded by the fixed WordPiece tokenizer; bytes: read as a tokenizer.json.
void fuzz_hf(std::string_view text, std::string_view bytes, int64_t max_tokens) {
  const Encoding full = wordpiece().encode(text);
  check_hf(wordpiece(), text, full, -1);
  if (full.truncated) broken("a small input is not truncated", "wordpiece");
  if (!attn::valid_utf8(wordpiece().decode(full.ids))) broken("decode gives valid UTF-8", "wordpiece");
  const Encoding part = wordpiece().encode(text, max_tokens % 2 == 0, max_tokens);
  check_hf(wordpiece(), text, part, max_tokens);
  if (max_tokens % 2 == 0 && part.truncated != (full.ids.size() > static_cast<size_t>(max_tokens)))
    broken("truncated iff cut", "wordpiece");

  attn::HfTokenizer t;
  const attn::Status st = attn::HfTokenizer::load({{"tokenizer.json", bytes}}, &t);
  if (!st.ok()) {
    if (st.message().rfind("tokenizer.json: ", 0) != 0) broken("a failed load says why", st.message());
    return;
  }
  const std::string fixed = "Hello, w\u00f6rld! [MASK] 12 \u4e2d\U0001F44D\xff";
  check_hf(t, fixed, t.encode(fixed), -1);
  check_hf(t, fixed, t.encode(fixed, true, 3), 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const int64_t max_tokens = size ? data[0] % 64 : 0;
  // As text, only the first kTextBytes: encoding cost grows with the text, and a tokenizer.json seed is ~3 KB
  // (long texts are the unit tests' job). As a file, all of it.
  const std::string_view text = bytes.substr(0, kTextBytes);
  fuzz_encode(text, max_tokens);
  fuzz_json(bytes);
  fuzz_hf(text, bytes, max_tokens);
  return 0;
}
