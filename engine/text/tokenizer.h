// The project's tokenizers: byte-level BPE (GPT-2 / Hugging Face ByteLevel) and character level, trained here,
// saved and loaded as Hugging Face `tokenizer.json` (the files @huggingface/tokenizers and `tokenizers` load).
//
// Byte-level BPE, as GPT-2:
//  1. Pre-tokenization splits the text with GPT-2's pattern
//       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//     (implemented by hand, leftmost alternative first, as a JavaScript RegExp runs it; the classes are
//     JavaScript's, see text/unicode_tables.h). Every character falls in some piece, so nothing is lost.
//  2. Each piece's UTF-8 bytes start as single-byte tokens, written in the vocabulary as printable characters
//     (GPT-2's bytes_to_unicode: space is "Ġ", newline "Ċ").
//  3. Merges apply by rank (lowest first, leftmost first among equal ranks), like Hugging Face's BPE.
// Character level: every character (code point) is a token; characters not in the vocabulary become the unk token.
//
// Special tokens ("<pad>", "<bos>", ...) get the first ids, in the order given. They are NEVER matched in the input
// text: encode() treats its input as user text, so typing "<eos>" gives the tokens of "<", "eos", ">". A caller
// adds special tokens by id. (Hugging Face's encoders do match them in the text; inputs that contain a special
// token's string are the one place where their ids and ours differ.)
//
// Any input is accepted: emoji and ZWJ sequences, combining marks, CJK, right-to-left text, control characters,
// NUL, and invalid UTF-8, where each maximal invalid subsequence (as TextDecoder counts them) is read as U+FFFD
// and counted in Encoding::replaced. For valid UTF-8, decode(encode(x).ids) == x for byte-level BPE, and for
// character level when every character of x is in the vocabulary.
//
// Cost: linear in the input. At most kMaxInputBytes are read (the rest is dropped, truncated = true); a piece
// longer than kMaxMergeBytes (a pathological "word", e.g. 1 MB without a space) is merged in chunks of at most
// that many bytes, cut between characters, so merging stays linear; such pieces may then get other tokens than
// Hugging Face gives (which merges the whole piece). max_tokens stops early.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/check.h"

namespace attn {

class Json;  // io/json.h

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;                   // the vocabulary strings of the ids (byte level: "Ġthe")
  // [start, end) BYTE offsets into the input text, one pair per token. Always on character boundaries: a token
  // that covers only part of a multi-byte character (byte-level BPE can split an emoji into two tokens) reports
  // the whole character, so consecutive tokens that share a character have the same (overlapping) span. Starts
  // and ends never decrease, and the spans together cover the encoded text. An invalid UTF-8 subsequence is one
  // character: its span is its bytes in the input.
  std::vector<std::pair<int64_t, int64_t>> offsets;
  bool truncated = false;  // stopped at max_tokens, or the input was longer than kMaxInputBytes
  int64_t replaced = 0;    // invalid UTF-8 subsequences (in the encoded part) read as U+FFFD

  // Appends one token unless it already holds max_tokens (>= 0): then marks itself truncated and returns false.
  bool emit(int64_t max_tokens, int32_t id, const std::string& token, int64_t start, int64_t end) {
    if (max_tokens >= 0 && static_cast<int64_t>(ids.size()) >= max_tokens) {
      truncated = true;
      return false;
    }
    ids.push_back(id);
    tokens.push_back(token);
    offsets.emplace_back(start, end);
    return true;
  }
};

class Tokenizer {
 public:
  enum class Kind { kByteBpe, kChar };

  static constexpr int64_t kMaxInputBytes = int64_t{1} << 20;  // encode() reads at most 1 MiB of its input
  static constexpr int64_t kMaxMergeBytes = 1024;               // longest piece merged as a whole
  static constexpr int32_t kMaxVocabSize = 1 << 21;             // from_json refuses bigger vocabularies

  // The default tokenizer: byte-level BPE with the 256 byte tokens and no merges (lossless, one token per byte).
  Tokenizer();

  // Byte-level BPE, trained on `texts`: the special tokens (ids 0..), then the 256 byte tokens (in GPT-2's order),
  // then merges of the most frequent adjacent pair within pre-tokenized pieces (ties: the pair of lower ids),
  // until the vocabulary has vocab_size tokens or no pair occurs. So the vocabulary has
  // max(vocab_size, specials + 256) tokens at most. A merge whose string equals a special token is skipped.
  // Deterministic: the same texts and arguments give the same tokenizer.
  static Tokenizer train_bpe(const std::vector<std::string>& texts, int32_t vocab_size,
                             const std::vector<std::string>& special_tokens);
  // Character level: the special tokens (ids 0..; unk_token is appended to them when absent), then every
  // character seen at least min_count times (at least once), in code point order. Others encode as unk_token.
  static Tokenizer train_chars(const std::vector<std::string>& texts, int32_t min_count,
                               const std::vector<std::string>& special_tokens, const std::string& unk_token);
  // The rules training applies to special tokens, as an error message: each must be valid UTF-8 of at least two
  // characters (so it can never equal a character or byte token) and they must be distinct; for kChar the
  // unk_token follows the same rules (unless it is one of them). Training drops tokens that break them (and
  // uses "<unk>" for a bad unk_token); call this first to report them instead.
  static Status check_special_tokens(Kind kind, const std::vector<std::string>& special_tokens,
                                     const std::string& unk_token = "<unk>");

  // Reads a Hugging Face tokenizer.json of the two kinds to_json writes: byte-level BPE (pre_tokenizer and decoder
  // ByteLevel, e.g. GPT-2's own file) and character level (model BPE without merges, with an unk_token, no
  // pre-tokenizer, decoder Fuse). Everything is validated (ids contiguous from 0, the 256 byte tokens present,
  // every merge's parts and result in the vocabulary, no unsupported options); anything else is an error that
  // says what and where. *out is changed only on success.
  static Status from_json(std::string_view json, Tokenizer* out);
  // The same, from the file already parsed (the Hugging Face loader parses tokenizer.json once for all its parts).
  static Status from_json(const Json& root, Tokenizer* out);
  // The tokenizer as Hugging Face tokenizer.json (compact). Special tokens are "added_tokens" (special: true) and
  // also in the model's vocab; merges are written as "left right" strings.
  std::string to_json() const;

  // Never fails: any bytes are accepted (see the top of this file). max_tokens < 0: no limit.
  Encoding encode(std::string_view text, int64_t max_tokens = -1) const;
  // The text of the ids: byte tokens' bytes, characters, and special tokens' strings (unless skip_special_tokens).
  // Ids outside [0, vocab_size) are skipped. Byte-level tokens may end in the middle of a character: invalid
  // UTF-8 in the result is replaced by U+FFFD (as Hugging Face does), so the result is always valid UTF-8.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;

  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t token_to_id(const std::string& token) const;  // -1 when absent
  const std::string& id_to_token(int32_t id) const;     // "" when out of range
  bool is_special(int32_t id) const;  // a special token (skipped by decode on request; encode gives only unk)
  Kind kind() const { return kind_; }
  int32_t unk_id() const { return unk_id_; }            // character level; -1 for byte-level BPE
  int64_t num_merges() const { return static_cast<int64_t>(merges_.size()); }

 private:
  struct MergeRule {
    int32_t rank;
    int32_t result;
  };
  struct Workspace;  // per-encode scratch buffers and word cache (tokenizer.cpp)
  // What a vocabulary entry is: a token of the model, or one of tokenizer.json's "added_tokens" (never produced by
  // encode, except the unk token), special or not.
  enum Role : uint8_t { kModelToken = 0, kAddedToken = 1, kSpecialToken = 2 };

  explicit Tokenizer(Kind kind) : kind_(kind) {}  // empty vocabulary
  static std::vector<std::string> usable_special_tokens(const std::vector<std::string>& special_tokens);

  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  int32_t add_token(std::string token, std::string bytes, Role role);  // appends; returns the id
  void add_byte_tokens();                                                // the 256, in GPT-2's order
  void add_merge(int32_t left, int32_t right, int32_t result);           // rank = current number of merges
  void encode_bytes(std::string_view text, int64_t max_tokens, Encoding* e) const;
  void encode_chars(std::string_view text, int64_t max_tokens, Encoding* e) const;
  void merge_word(Workspace* ws) const;  // BPE of ws->word into ws->ids

  Kind kind_ = Kind::kByteBpe;
  std::vector<std::string> tokens_;                 // id -> vocabulary string (the key in tokenizer.json's vocab)
  std::vector<std::string> bytes_;                  // id -> what the token decodes to (byte level: raw bytes)
  std::vector<Role> role_;                          // id -> model, added or special token
  std::unordered_map<std::string, int32_t> ids_;    // vocabulary string -> id
  // Byte-level BPE.
  std::array<int32_t, 256> byte_id_{};               // byte -> its single-byte token
  std::vector<std::pair<int32_t, int32_t>> merges_;  // rank -> (left, right)
  std::unordered_map<uint64_t, MergeRule> merge_rules_;  // pair_key(left, right) -> rank and merged token
  // Character level.
  std::unordered_map<uint32_t, int32_t> char_id_;  // code point -> id
  int32_t unk_id_ = -1;
};

}  // namespace attn
