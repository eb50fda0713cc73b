// WordPiece tokenization as BERT and DistilBERT use it, run exactly as Hugging Face `tokenizers` runs it:
//
//  1. BertNormalizer, character by character, in Rust's order:
//     - clean_text: drop NUL, U+FFFD and control characters (general category Cc, Cf, Co, except \t \n \r);
//       every other White_Space character (\t \n \r included) becomes " ";
//     - handle_chinese_chars: " c " around every character of BERT's CJK ranges (U+4E00-9FFF, 3400-4DBF,
//       20000-2A6DF, 2A700-2B73F, 2B740-2B81F, 2B920-2CEAF, F900-FAFF, 2F800-2FA1F; Hangul, kana and CJK
//       punctuation are not in them);
//     - strip_accents (null in the file: follows lowercase): canonical decomposition (NFD), then every nonspacing
//       mark (Mn) is dropped ("é" -> "e", "서" -> its jamo);
//     - lowercase: each character's full lowercase mapping on its own (Rust's char::to_lowercase: "İ" -> "i̇",
//       and "Σ" -> "σ" even at the end of a word, where JavaScript's toLowerCase writes "ς").
//  2. BertPreTokenizer: split on White_Space (dropped), and every punctuation character (ASCII punctuation, or
//     general category P*) is a word of its own.
//  3. The WordPiece model, per word: greedy longest-match-first from the start of the word; every piece after
//     the first is looked up with the continuing_subword_prefix ("##") in front. A word longer than
//     max_input_chars_per_word characters (100), or with a part that matches nothing, is one unk_token ("[UNK]").
//  4. The WordPiece decoder: tokens after the first get a space in front, or lose their prefix ("##"); with
//     cleanup, " ." " ?" " !" " ," lose their space (and " 's" " n't"... join), per token, as Rust does it.
// Character data (White_Space, categories, lowercase, NFD) are Unicode's, generated from Node's own tables
// (engine/text/unicode_norm_tables.h, by engine/text/gen_unicode_norm.mjs).
//
// Offsets. Normalization keeps, for every byte of the normalized text, the input span of the character it came
// from, so a token maps back to the typed text: "Café" (uncased) normalizes to "cafe" and its tokens cover
// "Café"; a character that expands (lowercase "İ" -> "i̇", a decomposed "é") maps all its pieces to its own span.
// A character the normalizer drops (a combining mark after a letter, a zero-width space, a control character)
// joins the span of the normalized character before it, so a token never ends in the middle of a user-perceived
// character ("cafe\u0301" gives one token spanning all 6 bytes). Hugging Face leaves such characters out of
// every span: this is the one place where our offsets differ from theirs (the ids never do).
//
// Cost: linear in the input. A word is looked up in a byte trie of the vocabulary: each piece walks the trie from
// where it starts, never past the end of the word, and a word longer than max_input_chars_per_word characters is
// [UNK] as soon as it has been counted; so a word of c characters costs at most about 4c * c steps, c <=
// max_input_chars_per_word (100 for BERT; at most kMaxWordChars is accepted). Each call also caches the pieces of
// the words it has seen (natural text repeats its words).
//
// Unicode versions: Hugging Face's Rust code takes White_Space and lowercase mappings from Rust's std, NFD from
// unicode-normalization, and the categories (controls, marks, punctuation) from the unicode_categories crate,
// whose tables are older. The tables here are all one version (Node's, 17.0 today), the one JavaScript uses; a
// character assigned or re-categorized since the crate's tables may be treated differently. NFD is applied one
// character at a time, without canonical reordering: after the Mn are dropped, that can only matter for two
// adjacent spacing marks of different combining classes (27 code points, listed by the generator).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/check.h"
#include "text/tokenizer.h"  // Encoding
#include "text/unicode_norm_tables.h"

namespace attn {

class Json;

namespace unicode {

// NormFlag bits of a code point (unicode_norm_tables.h).
uint8_t norm_flags(uint32_t cp);
inline bool is_white_space(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return (norm_flags(cp) & kSpace) != 0;
}
// regex \w (the word characters of Hugging Face's single_word added tokens).
inline bool is_word_char(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
  return (norm_flags(cp) & kWord) != 0;
}
// BERT's CJK ranges (handle_chinese_chars).
bool is_bert_chinese(uint32_t cp);
// Appends the full lowercase mapping of cp (one to three code points) to *out.
void append_lowercase(uint32_t cp, std::vector<uint32_t>* out);
// Appends NFD(cp) without its nonspacing marks (what strip_accents keeps of cp; nothing for a mark).
void append_stripped(uint32_t cp, std::vector<uint32_t>* out);

}  // namespace unicode

// A text after normalization, aligned to the input it came from.
struct NormalizedText {
  std::string text;  // valid UTF-8
  // Per byte of `text`: the [start, end) byte span, in the input, of the character it came from (widened over the
  // dropped characters that followed it, see the top of this file). Non-decreasing.
  std::vector<int32_t> start, end;

  void clear() {
    text.clear();
    start.clear();
    end.clear();
  }
};

// tokenizer.json's {"type": "BertNormalizer", ...}, with strip_accents resolved (null follows lowercase).
struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;
  bool lowercase = true;
};

class WordPieceTokenizer {
 public:
  static constexpr int32_t kMaxVocabSize = 1 << 21;
  static constexpr int32_t kMaxWordChars = 1000;  // the largest max_input_chars_per_word accepted (BERT: 100)

  WordPieceTokenizer() = default;

  // Reads the parts of a parsed Hugging Face tokenizer.json that are the model's: normalizer (BertNormalizer or
  // null), pre_tokenizer (BertPreTokenizer), model (WordPiece: vocab, unk_token, continuing_subword_prefix,
  // max_input_chars_per_word) and decoder (WordPiece or null). Added tokens, the post-processor, truncation and
  // padding are the caller's (text/hf_tokenizer.h). The vocab's ids must be distinct, in [0, kMaxVocabSize);
  // they may leave gaps (for added tokens to fill). Anything else is an error naming it ("tokenizer.json:
  // model.unk_token \"[UNK]\" is not in model.vocab"); *out changes only on success.
  static Status from_json(const Json& root, WordPieceTokenizer* out);
  // The legacy vocab.txt (one token per line, id = line number from 0; a final newline and trailing "\r" are
  // ignored) with the pipeline BertTokenizer builds: the given normalizer, BertPreTokenizer, WordPiece with
  // unk_token "[UNK]", "##" and 100 characters per word, decoder WordPiece with cleanup.
  static Status from_vocab_txt(std::string_view vocab_txt, const BertNormalizerOptions& normalizer,
                               WordPieceTokenizer* out);

  // Appends the normalization of `text` to *out, aligned to `offset` + byte positions in `text`. Any bytes: each
  // maximal invalid UTF-8 subsequence reads as U+FFFD (which clean_text drops). Returns how many there were.
  int64_t normalize(std::string_view text, int32_t offset, NormalizedText* out) const;
  // Pre-tokenizes bytes [begin, end) of a normalized text and runs the model on each word, appending (id, token,
  // input span) to *e. Stops when *e has max_tokens tokens (max_tokens < 0: no limit) and then returns false
  // with e->truncated set.
  bool encode_normalized(const NormalizedText& n, size_t begin, size_t end, int64_t max_tokens, Encoding* e) const;
  // The decoder (WordPiece, or " ".join without one) on vocabulary strings.
  std::string decode_tokens(const std::vector<std::string>& tokens) const;

  bool has_normalizer() const { return has_normalizer_; }
  const BertNormalizerOptions& normalizer() const { return normalizer_; }
  // The model's vocabulary: id -> token ("" for ids the model does not have), and back.
  const std::vector<std::string>& model_tokens() const { return tokens_; }
  int32_t model_token_to_id(const std::string& token) const;  // -1 when absent
  const std::string& unk_token() const { return unk_token_; }
  int32_t unk_id() const { return unk_id_; }
  const std::string& continuing_subword_prefix() const { return prefix_; }
  int32_t max_input_chars_per_word() const { return max_chars_; }

 private:
  // One piece of a word: its id and its [begin, end) bytes in the word.
  struct Piece {
    int32_t id;
    uint32_t begin, end;
  };
  // A byte trie of the vocabulary. The children of a node are consecutive nodes, sorted by their byte.
  struct Trie {
    std::vector<int32_t> first_child;  // per node; children are [first_child, first_child + child_count)
    std::vector<uint16_t> child_count;
    std::vector<uint8_t> byte;         // per node: the byte of the edge into it
    std::vector<int32_t> id;           // per node: the token that ends here, or -1
    void build(const std::vector<std::string>& tokens);
    int32_t child(int32_t node, uint8_t b) const;
  };

  Status finish(const std::string& where);  // builds the lookup structures, checks the unk token
  void tokenize_word(std::string_view word, std::vector<Piece>* out) const;

  bool has_normalizer_ = false;
  BertNormalizerOptions normalizer_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
  std::string unk_token_ = "[UNK]";
  int32_t unk_id_ = -1;
  std::string prefix_ = "##";
  int32_t max_chars_ = 100;
  bool has_decoder_ = true;
  std::string decoder_prefix_ = "##";
  bool decoder_cleanup_ = true;
  Trie trie_;
  int32_t prefix_node_ = -1;  // the trie node of continuing_subword_prefix (-1: no token has it)
};

}  // namespace attn
