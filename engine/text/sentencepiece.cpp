// (Being written: a placeholder that links.)
#include "text/sentencepiece.h"

namespace attn {

Status SentencePiece::load(std::string_view, SentencePiece*) {
  return Status::error("SentencePiece models are not supported yet");
}
std::vector<SentencePiece::Piece> SentencePiece::encode(std::string_view) const { return {}; }
std::string SentencePiece::decode_pieces(const std::vector<std::string>&) const { return {}; }
int32_t SentencePiece::piece_to_id(std::string_view) const { return -1; }
const std::string& SentencePiece::id_to_piece(int32_t id) const { return pieces_.at(id); }

}  // namespace attn
