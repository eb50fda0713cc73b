// SentencePiece models: the serialized ModelProto files that spm_train writes (`*.model`; Marian ships them as
// source.spm and target.spm), read without the sentencepiece or protobuf libraries, and encoded and decoded
// exactly as sentencepiece 0.1.97 (Debian's spm_encode / spm_decode) does. Golden tests check every piece, id and
// byte offset against it (tests/fixtures/hf/make_spm.py).
//
// Loading (SentencePiece::load) reads the protobuf wire format strictly (io/protobuf.h) and validates everything
// before the model is used; each failure is a Status that starts "sentencepiece model: " and names the field:
//   - malformed wire data: truncated varints and values, lengths past the end, bad keys, unclosed groups;
//   - a wrong wire type for a field this reader uses (unknown fields are skipped, as protobuf does);
//   - pieces: empty, longer than kMaxPieceBytes, invalid UTF-8, containing NUL, duplicated, of an unknown type;
//     no UNKNOWN piece or more than one; BYTE pieces that are not "<0x00>".."<0xFF>", BYTE pieces without
//     byte_fallback, byte_fallback without all 256 of them; a unigram model with no piece to match;
//   - model_type other than UNIGRAM, BPE, WORD or CHAR;
//   - precompiled_charsmap (normalizer_spec, denormalizer_spec): its size header, a trie that is empty, reaches
//     outside itself, has a cycle or keys longer than kMaxCharsmapKeyBytes, or whose values do not point at
//     NUL-terminated valid UTF-8 replacements.
// A model of 2^31 pieces or more is refused. Memory is linear in the file, time about linear (a sort of pieces).
//
// Encoding (encode) = normalization, then the model, then the pieces with their input spans:
//  1. Normalization, as sentencepiece's normalizer: at each position, the longest user-defined piece is copied
//     as it is; otherwise the longest key of the precompiled charsmap (a darts-clone double-array trie; nmt_nfkc,
//     nfkc_cf, ... or a custom rule TSV) is replaced by its value; otherwise one character is copied, and a byte
//     that does not start valid UTF-8 becomes U+FFFD (one per byte, as sentencepiece does: "\xE2\x82" gives two).
//     Then remove_extra_whitespaces drops leading and trailing spaces and collapses runs, add_dummy_prefix puts
//     one "▁" first (last with treat_whitespace_as_suffix), escape_whitespaces writes spaces as "▁" (U+2581).
//     Every normalized byte remembers the input offset of the text it came from.
//  2. The model: unigram (the best path of the lattice, sentencepiece's optimized Viterbi with its float rounding
//     and tie order; an unknown character costs min_score - 10; user-defined pieces get their bonus), BPE (merges
//     by score, leftmost first; UNUSED pieces are split back), CHAR (one character each) or WORD (split before
//     each "▁"). Pieces absent from the vocabulary get the unk id.
//  3. Consecutive unknown pieces are merged into one (its string is their normalized text). With byte_fallback,
//     an unknown piece becomes its UTF-8 bytes as "<0xXX>" pieces instead.
// Spans: each piece has [begin, end), the bytes of the input it came from. They never decrease and lie on
// character boundaries (an invalid byte is one character here). Pieces that share one input character (a
// ligature normalized to two letters, a byte-fallback sequence) are given as sentencepiece gives them: the first
// ones with an empty span at its start, the last one with the character; the dummy "▁" has an empty span where it
// stands. So a span can be empty. Any input bytes are accepted; the cost is linear in the input (times the
// longest piece and charsmap key); BPE merges in a heap, per word when no piece has "▁" inside.
//
// Decoding (decode_pieces) is spm_decode's: control pieces vanish, the unknown piece becomes unk_surface
// (" ⁇ " unless the model says otherwise), a string that is not a piece of the model is kept as it is, runs of
// byte pieces are decoded as UTF-8 (U+FFFD per invalid byte), "▁" becomes a space, and the first piece loses
// its leading "▁" (all leading ones while nothing was written, with remove_extra_whitespaces). Then the
// denormalizer, if the model has one.
//
// Not supported: sampling and n-best encoding, the encoder's extra options (bos/eos/reverse), self-test data
// (skipped as an unknown field, not run).
//
// Where this differs from sentencepiece 0.1.97 (all on files spm_train does not write, or on its failures):
//  - loading is stricter: a piece string given twice is refused even across types (sentencepiece keeps NORMAL,
//    USER_DEFINED and UNUSED pieces apart from CONTROL, UNKNOWN and BYTE ones), as are pieces that are not valid
//    UTF-8, unknown enum values (protobuf would read them as unset: NORMAL, UNIGRAM), a charsmap whose trie size
//    is not a multiple of 4 or runs past the blob (sentencepiece reads past it), and tries with a cycle or keys
//    over kMaxCharsmapKeyBytes;
//  - a CHAR, WORD or BPE model that produces a CONTROL piece's string from the text makes sentencepiece's encoder
//    fail; here that piece is unknown;
//  - in darts-clone a NUL byte after a node whose base is 0 leads back to the root; here it matches nothing (no
//    trie spm_train builds has such a node).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"

namespace attn {

class SentencePiece {
 public:
  static constexpr size_t kMaxPieceBytes = 8000;        // longer pieces are refused (as sentencepiece >= 0.2 does)
  static constexpr size_t kMaxCharsmapKeyBytes = 1024;  // longest normalization rule source

  enum class ModelType { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };
  enum class PieceType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

  // One piece of an encoded text: its string in the model ("▁the"; for unknown pieces, the normalized text they
  // stand for), its id in the model's own vocabulary, and the [begin, end) byte span of the input text it came
  // from (on character boundaries; see the top of this file).
  struct Piece {
    std::string piece;
    int32_t id = 0;
    int64_t begin = 0, end = 0;
  };

  // The settings of the model file that encoding and decoding use (ModelProto's trainer_spec, normalizer_spec
  // and denormalizer_spec; protobuf defaults when absent).
  struct Spec {
    ModelType model_type = ModelType::kUnigram;
    int32_t vocab_size = 8000;  // as trained (informational: size() is the number of pieces)
    bool byte_fallback = false;
    bool treat_whitespace_as_suffix = false;
    std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
    std::string unk_surface = " \xE2\x81\x87 ";  // decode_pieces' text for the unknown piece
    std::string normalizer_name;                 // "nmt_nfkc", "identity", ... (informational)
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
    bool escape_whitespaces = true;
    bool has_denormalizer = false;  // decode_pieces applies denormalizer_spec's charsmap
  };

  // The normalized text and, for each of its bytes (and one past the end), the input offset it came from.
  struct Normalized {
    std::string text;
    std::vector<int64_t> to_input;  // text.size() + 1 entries
  };

  // Parses and validates a serialized ModelProto; *out changes only on success.
  static Status load(std::string_view proto_bytes, SentencePiece* out);

  // The pieces of `text`, exactly as spm_encode gives them (normalization, then the model). Never fails; an
  // unloaded SentencePiece gives no pieces. `normalized` (optional) receives step 1's result, as normalize().
  std::vector<Piece> encode(std::string_view text, Normalized* normalized = nullptr) const;
  std::vector<int32_t> encode_ids(std::string_view text) const;
  // Step 1 of encode alone (spm_normalize --use_internal_normalization prints the same text, except with
  // treat_whitespace_as_suffix, which it ignores).
  Normalized normalize(std::string_view text) const;
  // The text of pieces, as spm_decode gives it. Strings that are not pieces of the model are allowed.
  std::string decode_pieces(const std::vector<std::string>& pieces) const;
  // The same for ids; an id outside [0, size()) is an error (as in sentencepiece), *out is then unchanged.
  Status decode_ids(const std::vector<int32_t>& ids, std::string* out) const;

  int32_t size() const { return static_cast<int32_t>(pieces_.size()); }
  int32_t piece_to_id(std::string_view piece) const;  // -1 when absent
  const std::string& id_to_piece(int32_t id) const;   // "" when out of range
  PieceType piece_type(int32_t id) const;             // kNormal when out of range
  float score(int32_t id) const;                      // 0 when out of range
  int32_t unk_id() const { return unk_id_; }
  // The ids of the bos / eos / pad pieces named by trainer_spec, when they are CONTROL pieces; else -1 (as
  // sentencepiece's bos_id() ...).
  int32_t bos_id() const { return control_id(spec_.bos_piece); }
  int32_t eos_id() const { return control_id(spec_.eos_piece); }
  int32_t pad_id() const { return control_id(spec_.pad_piece); }
  const Spec& spec() const { return spec_; }

  struct Impl;  // tries and normalizers (sentencepiece.cpp); immutable once loaded, shared by copies

 private:
  int32_t control_id(const std::string& piece) const;
  int32_t lookup(std::string_view piece) const;  // sentencepiece's PieceToId: the unk id when absent

  Spec spec_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<PieceType> types_;
  int32_t unk_id_ = -1;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace attn
