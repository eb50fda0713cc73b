// GPT-2's pre-tokenization and byte-level alphabet (shared by the tokenizer's encoder, trainer and file reader).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn {

// The end (exclusive, a byte offset) of the piece of GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// that starts at byte `pos` (< text.size()), as a JavaScript RegExp with the u flag matches it: the first
// alternative that matches, each quantifier greedy. Pieces tile the text (every character is in one), and never
// split a character. Invalid UTF-8 reads as U+FFFD per maximal invalid subsequence (a symbol: class "other").
size_t gpt2_piece_end(std::string_view text, size_t pos);

// The pieces of a whole text (for tests and tools; the encoder walks gpt2_piece_end itself).
std::vector<std::string> gpt2_split(std::string_view text);

// GPT-2's bytes_to_unicode: byte -> the printable code point that stands for it in vocabulary strings. Printable
// Latin-1 bytes stand for themselves ('!'..'~', '¡'..'¬', '®'..'ÿ'); the other 68 get U+0100.. in byte order
// (so space is U+0120 'Ġ' and newline U+010A 'Ċ').
const std::array<uint32_t, 256>& byte_to_unicode();
// The inverse: the byte a code point stands for, or -1 when it is not one of the 256.
int byte_from_unicode(uint32_t cp);
// The 256 bytes in GPT-2's vocabulary order (by the code point that stands for them).
const std::array<uint8_t, 256>& bytes_in_gpt2_order();

// Vocabulary string of raw bytes ("Ġthe" for " the"), and back (false when `token` has a non-byte character).
std::string bytes_to_token(std::string_view bytes);
bool token_to_bytes(std::string_view token, std::string* bytes);

}  // namespace attn
