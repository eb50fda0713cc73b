// libFuzzer target: attn::SentencePiece (engine/text/sentencepiece.h) on arbitrary bytes.
//
// The input is used twice:
//  1. as text (its first 128 bytes), encoded by one of seven fixed valid models chosen by the input (the committed
//     fixtures: unigram with nmt_nfkc, unigram with byte fallback and user-defined symbols, BPE with custom
//     (de)normalization rules, whitespace as suffix, CHAR, WORD, and BPE with UNUSED pieces; loaded once).
//     Properties: ids in range, never a control piece, known pieces are the ids' strings; spans in bounds, on
//     sentencepiece's character boundaries (an invalid byte is one), never decreasing; the pieces spell the
//     normalized text (byte pieces by their byte); the normalized text's origins never decrease and stay in the
//     input; decoding the pieces gives the normalized text with "▁" as spaces (leading spaces aside, for models
//     without a denormalizer, when no piece is unknown);
//  2. as a serialized ModelProto, read by SentencePiece::load: never crashes, a failure says why (starting
//     "sentencepiece model: "); a model that loads encodes a few fixed texts with the properties above, and a
//     copy of it encodes the same.
// Both are kept small per execution (one model, 128 bytes of text) so that the target runs fast: long texts and
// every model on every text are the unit tests' job (tests/engine/sentencepiece_test.cpp).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "text/sentencepiece.h"
#include "text/unicode.h"

namespace {

using attn::SentencePiece;
using PieceType = SentencePiece::PieceType;

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_sentencepiece: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

// The fixtures sit next to this file's directory: tests/fuzz/../fixtures/hf/tokenizers/.
std::string fixture(const std::string& rel) {
  std::string dir = __FILE__;
  dir = dir.substr(0, dir.find_last_of('/'));
  const std::string path = dir + "/../fixtures/hf/tokenizers/" + rel;
  std::ifstream in(path, std::ios::binary);
  if (!in) broken("the fixtures are readable", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<SentencePiece>& models() {
  static const std::vector<SentencePiece> all = [] {
    std::vector<SentencePiece> v;
    for (const char* rel : {"marian/source.spm", "sentencepiece/identity_bytes.model", "sentencepiece/bpe_rules.model",
                            "sentencepiece/suffix_rules.model", "sentencepiece/char_identity.model",
                            "sentencepiece/word_rules.model", "sentencepiece/bpe_unused.model"}) {
      SentencePiece sp;
      const attn::Status st = SentencePiece::load(fixture(rel), &sp);
      if (!st.ok()) broken("the fixtures load", std::string(rel) + ": " + st.message());
      v.push_back(sp);
    }
    return v;
  }();
  return all;
}

void check(const SentencePiece& sp, std::string_view text, const char* who) {
  const std::string what = std::string(who) + " on " + std::to_string(text.size()) + " bytes";
  SentencePiece::Normalized n;
  const std::vector<SentencePiece::Piece> ps = sp.encode(text, &n);
  if (n.to_input.size() != n.text.size() + 1) broken("one origin per normalized byte", what);
  for (size_t i = 0; i < n.to_input.size(); ++i) {
    if (n.to_input[i] < 0 || n.to_input[i] > static_cast<int64_t>(text.size())) broken("origins in the input", what);
    if (i && n.to_input[i] < n.to_input[i - 1]) broken("origins never decrease", what);
  }
  std::vector<bool> boundary(text.size() + 1, false);
  for (size_t pos = 0; pos < text.size();) {
    boundary[pos] = true;
    const attn::unicode::Utf8Char c = attn::unicode::decode_utf8(text, pos);
    pos += c.invalid ? 1 : c.len;
  }
  boundary[text.size()] = true;
  std::string spelled;
  std::vector<std::string> strings;
  bool plain = !sp.spec().has_denormalizer;
  int64_t prev_begin = 0, prev_end = 0;
  for (const SentencePiece::Piece& p : ps) {
    if (p.id < 0 || p.id >= sp.size()) broken("ids in range", what);
    const PieceType t = sp.piece_type(p.id);
    if (t == PieceType::kControl) broken("no control piece from text", what);
    if (t == PieceType::kUnknown) {
      plain = false;
      if (p.piece.empty()) broken("unknown pieces carry their text", what);
    } else if (p.piece != sp.id_to_piece(p.id)) {
      broken("pieces are the ids' strings", what);
    }
    if (t == PieceType::kByte) {
      plain = false;
      spelled.push_back(static_cast<char>(std::stoi(p.piece.substr(3, 2), nullptr, 16)));
    } else {
      spelled += p.piece;
    }
    if (p.begin < 0 || p.begin > p.end || p.end > static_cast<int64_t>(text.size())) broken("spans in bounds", what);
    if (!boundary[static_cast<size_t>(p.begin)] || !boundary[static_cast<size_t>(p.end)])
      broken("spans on character boundaries", what);
    if (p.begin < prev_begin || p.end < prev_end) broken("spans never decrease", what);
    prev_begin = p.begin;
    prev_end = p.end;
    strings.push_back(p.piece);
  }
  if (spelled != n.text) broken("the pieces spell the normalized text", what);
  const std::string decoded = sp.decode_pieces(strings);
  if (plain && sp.spec().escape_whitespaces) {
    std::string expected;
    for (size_t pos = 0; pos < n.text.size();) {
      if (n.text.compare(pos, 3, "\xE2\x96\x81") == 0) {
        expected.push_back(' ');
        pos += 3;
      } else {
        expected.push_back(n.text[pos++]);
      }
    }
    const size_t a = decoded.find_first_not_of(' '), b = expected.find_first_not_of(' ');
    const std::string_view da = a == std::string::npos ? "" : std::string_view(decoded).substr(a);
    const std::string_view eb = b == std::string::npos ? "" : std::string_view(expected).substr(b);
    if (da != eb) broken("decode gives the normalized text with spaces", what);
  }
}

void fuzz_model(std::string_view bytes) {
  SentencePiece sp;
  const attn::Status st = SentencePiece::load(bytes, &sp);
  if (!st.ok()) {
    if (st.message().rfind("sentencepiece model: ", 0) != 0) broken("a failed load says why", st.message());
    return;
  }
  static const char* const kTexts[] = {"", "Hello, w\xC3\xB6rld!  ab  ",
                                       "\xEF\xAC\x81 \xE2\x80\x8B\xC2\xA0x\xFF\xE2\x82",
                                       "<sep> [MASK] \xE2\x96\x81\xE2\x96\x81 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"};
  for (const char* text : kTexts) check(sp, text, "loaded model");
  // A copy shares the model and encodes the same.
  const SentencePiece copy = sp;
  if (copy.encode_ids(kTexts[1]) != sp.encode_ids(kTexts[1])) broken("a copy encodes the same", kTexts[1]);
}

}  // namespace

constexpr size_t kMaxText = 128;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const char* const kNames[] = {"marian_source", "identity_bytes", "bpe_rules", "suffix_rules",
                                       "char_identity", "word_rules",     "bpe_unused"};
  // As text: its first kMaxText bytes, by one of the fixed models, chosen by the input's size and first byte
  // (encoding by all seven each time would cost seven times the executions).
  const std::string_view text = bytes.substr(0, kMaxText);
  const std::vector<SentencePiece>& all = models();
  const size_t which = (size + (size ? data[0] : 0)) % all.size();
  check(all[which], text, kNames[which]);
  fuzz_model(bytes);
  return 0;
}
