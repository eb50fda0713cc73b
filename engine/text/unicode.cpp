#include "text/unicode.h"

#include <algorithm>
#include <iterator>

namespace attn {
namespace unicode {

Utf8Char decode_multibyte(std::string_view s, size_t pos) {
  const unsigned char b0 = static_cast<unsigned char>(s[pos]);
  // The number of continuation bytes, and the range allowed for the first of them (which rules out overlong
  // forms, surrogates and code points above U+10FFFF); the later ones are always 80..BF.
  uint32_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacement, 1, true};  // a continuation byte, C0, C1 or F5..FF
  }
  for (uint32_t i = 1; i <= need; ++i) {
    if (pos + i >= s.size()) return {kReplacement, i, true};  // truncated: the bytes so far are one subpart
    const unsigned char b = static_cast<unsigned char>(s[pos + i]);
    if (b < lo || b > hi) return {kReplacement, i, true};  // the offending byte starts the next character
    cp = (cp << 6) | (b & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  return {cp, need + 1, false};
}

CharClass char_class_slow(uint32_t cp) {
  const auto* first = std::begin(kClassRanges);
  const auto* last = std::end(kClassRanges);
  // The first range that ends at or after cp.
  const auto* it = std::lower_bound(first, last, cp, [](const ClassRange& r, uint32_t c) { return r.last < c; });
  return (it != last && it->first <= cp) ? it->cls : CharClass::kOther;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_valid_utf8(std::string_view s, int64_t* replaced) {
  std::string out;
  out.reserve(s.size());
  int64_t n = 0;
  for (size_t pos = 0; pos < s.size();) {
    const Utf8Char c = decode_utf8(s, pos);
    if (c.invalid) {
      append_utf8(kReplacement, &out);
      ++n;
    } else {
      out.append(s.data() + pos, c.len);
    }
    pos += c.len;
  }
  if (replaced) *replaced = n;
  return out;
}

int64_t count_chars(std::string_view s) {
  int64_t n = 0;
  for (size_t pos = 0; pos < s.size(); pos += decode_utf8(s, pos).len) ++n;
  return n;
}

}  // namespace unicode
}  // namespace attn
