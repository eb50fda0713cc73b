// libFuzzer target: the tokenizer.json readers on arbitrary bytes.
//  1. Tokenizer::from_json (the project's byte-level BPE and character tokenizers): never crashes, a failure says
//     why (starting "tokenizer.json: "); a success writes a file that reads back to the same file (to_json is a
//     fixed point), and the loaded tokenizer encodes a fixed text consistently (the properties of
//     tokenizer_checks.h; a byte-level BPE decodes back to it);
//  2. HfTokenizer::load (WordPiece or BPE, Hugging Face's pipeline): never crashes, a failure says why
//     ("tokenizer.json: ..."), a success encodes a fixed text with the same properties.
// Encoding arbitrary text has a target of its own: fuzz_tokenizer.
#include <cstdint>
#include <string>
#include <string_view>

#include "tokenizer_checks.h"

namespace {

using namespace fuzz_tok;

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

void fuzz_hf(std::string_view bytes) {
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
  fuzz_tok::target = "fuzz_tokenizer_json";
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz_json(bytes);
  fuzz_hf(bytes);
  return 0;
}
