// libFuzzer target: tokenizers encoding arbitrary text (at most its first 256 bytes; long texts are the unit
// tests' job). The text is encoded by a small fixed byte-level BPE tokenizer and a small character tokenizer
// (attn::Tokenizer, trained once on a fixed corpus), and by a small fixed WordPiece tokenizer through
// attn::HfTokenizer (BERT's pipeline, with added tokens of every option), with no limit and with max_tokens taken
// from the first byte. Properties: ids in the vocabulary, tokens are the ids' strings, offsets on character
// boundaries, in bounds and never decreasing (covering the text without gaps for attn::Tokenizer); `replaced` is
// the number of invalid UTF-8 subsequences; max_tokens gives a prefix (honoured, special tokens included, for
// WordPiece); BPE decodes to the text (U+FFFD for invalid input), char level too when no character was unknown.
// The tokenizer.json readers have a target of their own: fuzz_tokenizer_json.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer_checks.h"

namespace {

using namespace fuzz_tok;

constexpr size_t kTextBytes = 256;  // the part of an input encoded as text

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

void fuzz_wordpiece(std::string_view text, int64_t max_tokens) {
  const Encoding full = wordpiece().encode(text);
  check_hf(wordpiece(), text, full, -1);
  if (full.truncated) broken("a small input is not truncated", "wordpiece");
  if (!attn::valid_utf8(wordpiece().decode(full.ids))) broken("decode gives valid UTF-8", "wordpiece");
  const Encoding part = wordpiece().encode(text, max_tokens % 2 == 0, max_tokens);
  check_hf(wordpiece(), text, part, max_tokens);
  if (max_tokens % 2 == 0 && part.truncated != (full.ids.size() > static_cast<size_t>(max_tokens)))
    broken("truncated iff cut", "wordpiece");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_tok::target = "fuzz_tokenizer";
  const std::string_view text = std::string_view(reinterpret_cast<const char*>(data), size).substr(0, kTextBytes);
  const int64_t max_tokens = size ? data[0] % 64 : 0;
  fuzz_encode(text, max_tokens);
  fuzz_wordpiece(text, max_tokens);
  return 0;
}
