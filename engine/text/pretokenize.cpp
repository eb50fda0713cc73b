#include "text/pretokenize.h"

#include "text/unicode.h"

namespace attn {

using unicode::CharClass;

namespace {

CharClass class_at(std::string_view text, size_t pos, uint32_t* len) {
  const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
  *len = c.len;
  return unicode::char_class(c.cp);
}

// 's 't 'm 'd (2 bytes) or 're 've 'll (3 bytes) at pos (text[pos] == '\''); 0 when none. Case-sensitive.
size_t contraction_length(std::string_view text, size_t pos) {
  if (pos + 1 >= text.size()) return 0;
  const char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// The end of the run of characters of class `cls` starting at pos.
size_t run_end(std::string_view text, size_t pos, CharClass cls) {
  while (pos < text.size()) {
    uint32_t len;
    if (class_at(text, pos, &len) != cls) break;
    pos += len;
  }
  return pos;
}

}  // namespace

size_t gpt2_piece_end(std::string_view text, size_t pos) {
  if (text[pos] == '\'') {
    if (const size_t n = contraction_length(text, pos)) return pos + n;
  }
  uint32_t len;
  const CharClass cls = class_at(text, pos, &len);
  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional ASCII space, then a run of one class.
  if (text[pos] == ' ' && pos + 1 < text.size()) {
    uint32_t next_len;
    const CharClass next = class_at(text, pos + 1, &next_len);
    if (next != CharClass::kSpace) return run_end(text, pos + 1 + next_len, next);
  }
  if (cls != CharClass::kSpace) return run_end(text, pos + len, cls);
  // White space: "\s+(?!\S)" takes the run but its last character when something other than white space
  // follows (that character then starts the next piece, e.g. " word"); "\s+" takes a run of one.
  size_t last_start = pos;
  size_t end = pos + len;
  while (end < text.size()) {
    uint32_t n;
    if (class_at(text, end, &n) != CharClass::kSpace) break;
    last_start = end;
    end += n;
  }
  if (end == text.size() || last_start == pos) return end;
  return last_start;
}

std::vector<std::string> gpt2_split(std::string_view text) {
  std::vector<std::string> pieces;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = gpt2_piece_end(text, pos);
    pieces.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return pieces;
}

namespace {

struct ByteTables {
  std::array<uint32_t, 256> to_unicode{};
  std::array<uint8_t, 256> order{};
  std::array<int16_t, 256 + 68> from_unicode{};  // code point -> byte, -1 when none
  ByteTables() {
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) to_unicode[b] = printable(b) ? static_cast<uint32_t>(b) : next++;
    from_unicode.fill(-1);
    for (int b = 0; b < 256; ++b) from_unicode[to_unicode[b]] = static_cast<int16_t>(b);
    // Vocabulary order: the printable bytes first (ascending), then the others (ascending), i.e. by code point.
    int i = 0;
    for (int b = 0; b < 256; ++b)
      if (printable(b)) order[i++] = static_cast<uint8_t>(b);
    for (int b = 0; b < 256; ++b)
      if (!printable(b)) order[i++] = static_cast<uint8_t>(b);
  }
};

const ByteTables& byte_tables() {
  static const ByteTables tables;
  return tables;
}

}  // namespace

const std::array<uint32_t, 256>& byte_to_unicode() { return byte_tables().to_unicode; }
const std::array<uint8_t, 256>& bytes_in_gpt2_order() { return byte_tables().order; }

int byte_from_unicode(uint32_t cp) {
  const auto& inverse = byte_tables().from_unicode;
  return cp < inverse.size() ? inverse[cp] : -1;
}

std::string bytes_to_token(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) unicode::append_utf8(byte_to_unicode()[b], &out);
  return out;
}

bool token_to_bytes(std::string_view token, std::string* bytes) {
  bytes->clear();
  for (size_t pos = 0; pos < token.size();) {
    const unicode::Utf8Char c = unicode::decode_utf8(token, pos);
    const int b = c.invalid ? -1 : byte_from_unicode(c.cp);
    if (b < 0) return false;
    bytes->push_back(static_cast<char>(b));
    pos += c.len;
  }
  return true;
}

}  // namespace attn
