// Hugging Face checkpoints' tokenizers, loaded from the files of a model repository on the Hub, and run as
// Hugging Face runs them (`tokenizers` for tokenizer.json, `transformers`' MarianTokenizer for Marian):
//
//   files present (by name)                         kind            what runs
//   tokenizer.json, model BPE                       "bpe"           attn::Tokenizer (byte-level BPE, e.g. GPT-2)
//   tokenizer.json, model WordPiece                 "wordpiece"     attn::WordPieceTokenizer (BERT, DistilBERT)
//   vocab.json + merges.txt (no tokenizer.json)     "bpe"           GPT-2's legacy pair, as GPT2Tokenizer reads it
//   vocab.txt (+ tokenizer_config.json)             "wordpiece"     BertTokenizer's legacy vocabulary
//   source.spm + target.spm + vocab.json            "sentencepiece" MarianTokenizer (attn::SentencePiece)
// tokenizer_config.json and special_tokens_map.json, when present, name the special tokens' roles (and for
// vocab.txt give do_lower_case, strip_accents and tokenize_chinese_chars).
//
// Encoding a text, as Hugging Face does:
//  1. Added tokens (tokenizer.json's "added_tokens", special or not; Marian's </s> <unk> <pad>) are found in the
//     text first, leftmost-longest, and become their own ids: typing "[MASK]" gives BERT's [MASK] id and
//     "<|endoftext|>" GPT-2's 50256. Tokens with normalized: false match the raw text, the others the normalized
//     text; single_word (no word character, regex \w, right before or after), lstrip and rstrip (the match takes
//     the White_Space around it) are honoured. (The project's own attn::Tokenizer never matches special tokens in
//     text; this class is the Hugging Face path.)
//  2. The text between them goes through the model's pipeline (normalizer, pre-tokenizer, model).
//  3. With add_special_tokens, the post-processor adds its tokens (BERT: [CLS] ... [SEP]; Marian: ... </s>;
//     GPT-2: none). tokenizer.json's TemplateProcessing (single sequence), BertProcessing, RobertaProcessing
//     and ByteLevel post-processors are read.
//
// Offsets are [start, end) BYTE offsets into the input (attn::Encoding), never decreasing, on character
// boundaries. Differences from Hugging Face's offsets, on purpose (ids and tokens are the same):
//  - tokens the post-processor inserts ([CLS], [SEP], </s>) get an EMPTY span where they are inserted: [0, 0)
//    at the start, [n, n) at the end (n: the input's length, or kMaxInputBytes' worth of it), also when
//    max_tokens cut the text, so starts never decrease; Hugging Face gives them (0, 0) wherever they are;
//  - byte-level BPE keeps the project's convention: a token's span includes its leading space ("Ġthe" covers
//    " the"), as if trim_offsets were false; a character split across byte tokens is reported whole by each;
//  - WordPiece: a character the normalizer drops (a combining mark, a zero-width character) joins the span of
//    the character before it (text/wordpiece.h). White space between words is in no span.
//
// Other differences from Hugging Face, on purpose:
//  - tokenizer.json's "truncation" and "padding" are read (they must be objects or null) but not applied: the
//    caller's max_tokens sets the length; a single sequence is never padded;
//  - transformers' own adjustments are not made: BertTokenizerFast rewriting the normalizer from
//    tokenizer_config.json's do_lower_case, Marian's optional Moses punctuation normalizer, and decode's
//    clean_up_tokenization_spaces (decode is `tokenizers`' decode; Marian's is MarianTokenizer's without it);
//  - an added token longer than kMaxAddedTokenBytes is refused (matching stays linear), and a vocab.txt with a
//    token twice is refused (Python would keep the later line's id);
//  - MarianTokenizer.remove_language_code is the current one: a leading ">>xx<<" (up to the first "<<") is one
//    token, looked up in vocab.json (unknown codes are <unk>).
//
// Robustness, as attn::Tokenizer: any bytes are accepted (each maximal invalid UTF-8 subsequence reads as U+FFFD
// and is counted in `replaced`), at most kMaxInputBytes of the input are read (then `truncated`), encoding is
// linear in the input and stops at max_tokens. Loading validates everything and fails with a message that names
// the file and the place ("tokenizer.json: model.vocab ...", "merges.txt: line 3 ..."); options that would
// change the result and are not implemented are refused by name.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "text/tokenizer.h"  // Encoding

namespace attn {

class HfTokenizer {
 public:
  enum class Kind { kBpe, kWordPiece, kSentencePiece };
  // File name (as on the Hub: "tokenizer.json", "vocab.txt", ...) -> contents. The views must stay valid during
  // load() only.
  using Files = std::map<std::string, std::string_view>;

  static constexpr int64_t kMaxInputBytes = Tokenizer::kMaxInputBytes;  // encode() reads at most 1 MiB
  static constexpr size_t kMaxAddedTokenBytes = 256;                    // longest added token accepted

  HfTokenizer() = default;

  // Whether `files` hold any tokenizer file (tokenizer.json, vocab.json, merges.txt, vocab.txt, source.spm,
  // target.spm). A model can be used without a tokenizer: call this before load() to tell "none" from "broken".
  static bool present(const Files& files);
  // Loads the tokenizer the files describe (the table above, in that order of preference). Errors name the file;
  // an incomplete set names what is missing. *out changes only on success.
  static Status load(const Files& files, HfTokenizer* out);

  // Encodes user text (never fails). add_special_tokens: apply the post-processor. max_tokens < 0: no limit;
  // otherwise at most max_tokens tokens, the post-processor's included (BERT keeps [CLS] and [SEP] and drops the
  // end of the text, as Hugging Face's truncation does; truncated is then set). target_side (Marian only): encode
  // with target.spm and the target vocabulary, for forced decoding; elsewhere it changes nothing.
  Encoding encode(std::string_view text, bool add_special_tokens = true, int64_t max_tokens = -1,
                  bool target_side = false) const;
  // The text of ids, as Hugging Face's decode gives it (WordPiece: "[CLS] hello world [SEP]"; Marian: decoded
  // with target.spm and the target vocabulary). Ids outside the vocabulary are skipped; special tokens too when
  // skip_special_tokens. Always valid UTF-8.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;

  Kind kind() const { return kind_; }
  const char* kind_name() const;  // "bpe", "wordpiece" or "sentencepiece"
  // The files it was loaded from, e.g. "tokenizer.json" or "vocab.json + merges.txt".
  const std::string& source() const { return source_; }

  // The (source-side) vocabulary: ids 0 .. vocab_size() - 1, added tokens included.
  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t token_to_id(std::string_view token) const;  // -1 when absent
  const std::string& id_to_token(int32_t id) const;  // "" when out of range
  bool is_special(int32_t id) const;                   // a special token (skipped by decode on request)
  // The target-side vocabulary (Marian with target_vocab.json; otherwise the same as the source side).
  bool separate_target_vocab() const { return !target_tokens_.empty(); }
  int32_t target_vocab_size() const;
  const std::string& target_id_to_token(int32_t id) const;

  // The id of a special token by role: "cls", "sep", "mask", "pad", "unk", "bos", "eos"; -1 when the tokenizer
  // has none (or for an unknown role). The roles are transformers': special_tokens_map.json, then
  // tokenizer_config.json, then the defaults of the tokenizer class (BertTokenizer: [CLS] [SEP] [MASK] [PAD]
  // [UNK]; GPT2Tokenizer: <|endoftext|> as bos, eos and unk; MarianTokenizer: </s> eos, <unk>, <pad>).
  int32_t special_id(std::string_view role) const;

 private:
  struct Impl;  // the models (shared: an HfTokenizer is cheap to copy and immutable once loaded)
  struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = true;
  };
  // A segment of the input: an added token's match, or text for the model.
  struct Segment {
    int32_t id;  // -1: text
    size_t begin, end;
  };

  static Status load_tokenizer_json(const Files& files, HfTokenizer* t, Impl& impl);
  static Status load_gpt2_legacy(const Files& files, HfTokenizer* t, Impl& impl);
  static Status load_vocab_txt(const Files& files, HfTokenizer* t, Impl& impl);
  static Status load_marian(const Files& files, HfTokenizer* t, Impl& impl);
  Status finish_vocab(const std::string& file);  // token -> id index, checks
  Status read_roles(const Files& files);

  // Splits text[begin, end) on the added tokens of one matcher (raw or normalized); appends to *out.
  void split_added(std::string_view text, size_t begin, size_t end, bool normalized, std::vector<Segment>* out) const;
  bool encode_body(std::string_view text, int64_t max_tokens, bool target_side, Encoding* e) const;

  Kind kind_ = Kind::kBpe;
  std::string source_;
  std::shared_ptr<const Impl> impl_;
  std::vector<std::string> tokens_;               // id -> token
  std::vector<uint8_t> special_;                  // id -> is special
  std::map<std::string, int32_t, std::less<>> ids_;  // token -> id
  std::vector<std::string> target_tokens_;        // Marian, separate vocabularies: target id -> token
  std::map<std::string, int32_t, std::less<>> target_ids_;
  std::vector<AddedToken> added_;
  std::vector<int32_t> prefix_ids_, suffix_ids_;  // the post-processor's tokens around a single sequence
  std::map<std::string, int32_t, std::less<>> roles_;
};

}  // namespace attn
