// SentencePiece models: the protobuf `.model` files that spm_train writes (Marian ships them as source.spm and
// target.spm). (Being written: this header is the interface the rest of the engine codes against.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"

namespace attn {

class SentencePiece {
 public:
  // One piece of an encoded text: its string in the model ("▁the"), its id in the model's own vocabulary, and the
  // [begin, end) byte span of the input text it came from (on character boundaries).
  struct Piece {
    std::string piece;
    int32_t id = 0;
    int64_t begin = 0, end = 0;
  };

  // Parses and validates a serialized ModelProto; *out changes only on success.
  static Status load(std::string_view proto_bytes, SentencePiece* out);

  // The pieces of `text`, exactly as spm_encode gives them (normalization, then the model).
  std::vector<Piece> encode(std::string_view text) const;
  // The text of pieces, as spm_decode gives it.
  std::string decode_pieces(const std::vector<std::string>& pieces) const;

  int32_t size() const { return static_cast<int32_t>(pieces_.size()); }
  int32_t piece_to_id(std::string_view piece) const;  // -1 when absent
  const std::string& id_to_piece(int32_t id) const;
  int32_t unk_id() const { return unk_id_; }

 private:
  std::vector<std::string> pieces_;
  int32_t unk_id_ = -1;
};

}  // namespace attn
