// UTF-8 decoding with replacement, and the character classes of GPT-2's pre-tokenization pattern.
//
// Decoding follows the WHATWG Encoding Standard (what TextDecoder and Emscripten's string conversion do): every
// maximal invalid subsequence ("maximal subpart") counts as one character, U+FFFD. So any bytes decode, and the
// number of U+FFFD equals what JavaScript's `new TextDecoder().decode(bytes)` produces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "text/unicode_tables.h"

namespace attn {
namespace unicode {

inline constexpr uint32_t kReplacement = 0xFFFD;

// One decoded character: its code point (U+FFFD when invalid) and how many input bytes it spans (1..4).
struct Utf8Char {
  uint32_t cp;
  uint32_t len;
  bool invalid;  // a maximal invalid subsequence, decoded as U+FFFD
};

Utf8Char decode_multibyte(std::string_view s, size_t pos);

// Decodes the character that starts at s[pos] (pos < s.size()).
inline Utf8Char decode_utf8(std::string_view s, size_t pos) {
  const unsigned char b = static_cast<unsigned char>(s[pos]);
  if (b < 0x80) return {b, 1, false};
  return decode_multibyte(s, pos);
}

CharClass char_class_slow(uint32_t cp);  // binary search in kClassRanges

// The class of a code point (ASCII by table, the rest by binary search in the generated ranges).
inline CharClass char_class(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CharClass::kLetter;
    if (cp >= '0' && cp <= '9') return CharClass::kNumber;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CharClass::kSpace;
    return CharClass::kOther;
  }
  return char_class_slow(cp);
}

// Appends the UTF-8 encoding of a code point (a scalar value: not a surrogate, <= U+10FFFF).
void append_utf8(uint32_t cp, std::string* out);

// `s` with each maximal invalid subsequence replaced by U+FFFD; `replaced` (optional) receives their number.
std::string to_valid_utf8(std::string_view s, int64_t* replaced = nullptr);

// Number of code points of valid UTF-8 (invalid subsequences count as one each).
int64_t count_chars(std::string_view s);

}  // namespace unicode
}  // namespace attn
