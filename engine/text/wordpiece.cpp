// WordPiece (BERT): normalization, pre-tokenization, the model and the decoder; tokenizer.json and vocab.txt.
#include "text/wordpiece.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <iterator>

#include "io/json.h"
#include "text/json_fields.h"
#include "text/unicode.h"

namespace attn {

// ------------------------------------------------------------------------------------------------ Unicode data

namespace unicode {

uint8_t norm_flags(uint32_t cp) {
  const auto* first = std::begin(kNormFlagRanges);
  const auto* last = std::end(kNormFlagRanges);
  const auto* it = std::lower_bound(first, last, cp, [](const FlagRange& r, uint32_t c) { return r.last < c; });
  return (it != last && it->first <= cp) ? it->flags : 0;
}

bool is_bert_chinese(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

namespace {

template <size_t N, size_t P>
bool append_mapping(const CharMapping (&table)[N], const uint32_t (&pool)[P], uint32_t cp, std::vector<uint32_t>* out) {
  const auto* it = std::lower_bound(std::begin(table), std::end(table), cp,
                                    [](const CharMapping& m, uint32_t c) { return m.cp < c; });
  if (it == std::end(table) || it->cp != cp) return false;
  out->insert(out->end(), pool + it->offset, pool + it->offset + it->length);
  return true;
}

}  // namespace

void append_lowercase(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp < 0x80) {
    out->push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (!append_mapping(kLowercase, kLowercasePool, cp, out)) out->push_back(cp);
}

void append_stripped(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp < 0x80) {
    out->push_back(cp);
    return;
  }
  if (cp >= 0xAC00 && cp <= 0xD7A3) {  // Hangul syllable: L V (T), Unicode 3.12
    const uint32_t s = cp - 0xAC00;
    out->push_back(0x1100 + s / 588);
    out->push_back(0x1161 + (s % 588) / 28);
    if (s % 28) out->push_back(0x11A7 + s % 28);
    return;
  }
  if (norm_flags(cp) & kMark) return;
  if (!append_mapping(kStrip, kStripPool, cp, out)) out->push_back(cp);
}

}  // namespace unicode

// ------------------------------------------------------------------------------------------------ the trie

void WordPieceTokenizer::Trie::build(const std::vector<std::string>& tokens) {
  std::vector<int32_t> order;
  for (size_t id = 0; id < tokens.size(); ++id)
    if (!tokens[id].empty()) order.push_back(static_cast<int32_t>(id));
  // char_traits<char> compares bytes as unsigned char, so the children of a node come out in byte order.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return tokens[a] < tokens[b]; });

  first_child.assign(1, 0);
  child_count.assign(1, 0);
  byte.assign(1, 0);
  id.assign(1, -1);
  struct Range {
    int32_t node;
    size_t lo, hi, depth;  // the tokens order[lo, hi) share their first `depth` bytes: the path to `node`
  };
  std::vector<Range> queue = {{0, 0, order.size(), 0}};
  for (size_t q = 0; q < queue.size(); ++q) {
    const Range r = queue[q];
    size_t lo = r.lo;
    if (lo < r.hi && tokens[order[lo]].size() == r.depth) id[r.node] = order[lo++];  // tokens are distinct
    first_child[r.node] = static_cast<int32_t>(id.size());
    for (size_t i = lo; i < r.hi;) {
      const auto b = static_cast<uint8_t>(tokens[order[i]][r.depth]);
      size_t j = i + 1;
      while (j < r.hi && static_cast<uint8_t>(tokens[order[j]][r.depth]) == b) ++j;
      const auto node = static_cast<int32_t>(id.size());
      first_child.push_back(0);
      child_count.push_back(0);
      byte.push_back(b);
      id.push_back(-1);
      queue.push_back({node, i, j, r.depth + 1});
      i = j;
    }
    child_count[r.node] = static_cast<uint16_t>(id.size() - first_child[r.node]);
  }
}

int32_t WordPieceTokenizer::Trie::child(int32_t node, uint8_t b) const {
  const auto first = byte.begin() + first_child[node];
  const auto last = first + child_count[node];
  const auto it = std::lower_bound(first, last, b);
  return (it != last && *it == b) ? static_cast<int32_t>(it - byte.begin()) : -1;
}

// ------------------------------------------------------------------------------------------------ normalization

int64_t WordPieceTokenizer::normalize(std::string_view text, int32_t offset, NormalizedText* out) const {
  const size_t first = out->text.size();  // only characters of this call are widened
  std::vector<uint32_t> chars, next;
  int64_t invalid = 0;
  for (size_t pos = 0; pos < text.size();) {
    const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
    invalid += c.invalid;
    chars.assign(1, c.cp);
    if (has_normalizer_) {
      const BertNormalizerOptions& o = normalizer_;
      if (o.clean_text) {
        const uint32_t cp = c.cp;
        const bool tab_or_newline = cp == '\t' || cp == '\n' || cp == '\r';
        if (cp == 0 || cp == unicode::kReplacement || (!tab_or_newline && (unicode::norm_flags(cp) & unicode::kControl)))
          chars.clear();
        else if (unicode::is_white_space(cp))
          chars[0] = ' ';
      }
      if (o.handle_chinese_chars && !chars.empty() && unicode::is_bert_chinese(chars[0]))
        chars = {' ', chars[0], ' '};
      if (o.strip_accents) {
        next.clear();
        for (const uint32_t cp : chars) unicode::append_stripped(cp, &next);
        chars.swap(next);
      }
      if (o.lowercase) {
        next.clear();
        for (const uint32_t cp : chars) unicode::append_lowercase(cp, &next);
        chars.swap(next);
      }
    }
    const auto start = static_cast<int32_t>(offset + pos);
    const auto end = static_cast<int32_t>(offset + pos + c.len);
    if (chars.empty()) {
      // Dropped: its bytes join the span of the character before it (see the top of wordpiece.h).
      if (out->text.size() > first) {
        size_t b = out->text.size() - 1;
        while (b > first && (static_cast<unsigned char>(out->text[b]) & 0xC0) == 0x80) --b;
        for (; b < out->text.size(); ++b) out->end[b] = end;
      }
    } else {
      for (const uint32_t cp : chars) unicode::append_utf8(cp, &out->text);
      out->start.resize(out->text.size(), start);
      out->end.resize(out->text.size(), end);
    }
    pos += c.len;
  }
  return invalid;
}

// ------------------------------------------------------------------------------------------------ encoding

namespace {

bool is_bert_punct(uint32_t cp) {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return (unicode::norm_flags(cp) & unicode::kPunct) != 0;
}

}  // namespace

int32_t WordPieceTokenizer::model_token_to_id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

void WordPieceTokenizer::tokenize_word(std::string_view word, std::vector<Piece>* out) const {
  out->clear();
  const Piece unk{unk_id_, 0, static_cast<uint32_t>(word.size())};
  int64_t chars = 0;
  for (size_t pos = 0; pos < word.size(); pos += unicode::decode_utf8(word, pos).len)
    if (++chars > max_chars_) {
      out->push_back(unk);
      return;
    }
  for (size_t start = 0; start < word.size();) {
    // The longest vocabulary token (with the prefix after the first piece) that the rest of the word starts with.
    int32_t node = start == 0 ? 0 : prefix_node_;
    int32_t best = -1;
    size_t best_end = start;
    for (size_t pos = start; node >= 0 && pos < word.size(); ++pos) {
      node = trie_.child(node, static_cast<uint8_t>(word[pos]));
      if (node >= 0 && trie_.id[node] >= 0) {
        best = trie_.id[node];  // tokens are valid UTF-8, so this ends between two characters
        best_end = pos + 1;
      }
    }
    if (best < 0) {
      out->assign(1, unk);
      return;
    }
    out->push_back({best, static_cast<uint32_t>(start), static_cast<uint32_t>(best_end)});
    start = best_end;
  }
}

bool WordPieceTokenizer::encode_normalized(const NormalizedText& n, size_t begin, size_t end, int64_t max_tokens,
                                           Encoding* e) const {
  std::unordered_map<std::string_view, std::vector<Piece>> cache;  // keys point into n.text
  std::vector<Piece> pieces;
  const std::string_view text(n.text);
  // Tokenizes the word [w, w_end) of the normalized text; false when max_tokens stopped it.
  auto word = [&](size_t w, size_t w_end) {
    if (w == w_end) return true;
    const std::string_view key = text.substr(w, w_end - w);
    const std::vector<Piece>* ps;
    const auto hit = cache.find(key);
    if (hit != cache.end()) {
      ps = &hit->second;
    } else {
      tokenize_word(key, &pieces);
      ps = &cache.emplace(key, pieces).first->second;
    }
    for (const Piece& p : *ps) {
      if (max_tokens >= 0 && static_cast<int64_t>(e->ids.size()) >= max_tokens) {
        e->truncated = true;
        return false;
      }
      e->ids.push_back(p.id);
      e->tokens.push_back(tokens_[p.id]);
      e->offsets.emplace_back(n.start[w + p.begin], n.end[w + p.end - 1]);
    }
    return true;
  };
  size_t word_start = begin;
  for (size_t pos = begin; pos < end;) {
    const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
    if (unicode::is_white_space(c.cp)) {
      if (!word(word_start, pos)) return false;
      word_start = pos + c.len;
    } else if (is_bert_punct(c.cp)) {
      if (!word(word_start, pos) || !word(pos, pos + c.len)) return false;
      word_start = pos + c.len;
    }
    pos += c.len;
  }
  return word(word_start, end);
}

// ------------------------------------------------------------------------------------------------ decoding

std::string WordPieceTokenizer::decode_tokens(const std::vector<std::string>& tokens) const {
  std::string out;
  if (!has_decoder_) {
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  static const std::pair<const char*, const char*> kCleanup[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string t = tokens[i];
    if (i != 0) {
      if (t.compare(0, decoder_prefix_.size(), decoder_prefix_) == 0)
        t.erase(0, decoder_prefix_.size());
      else
        t.insert(0, 1, ' ');
    }
    // Every pattern is a space and then one of . ? ! , ' n d: most tokens have no such pair.
    bool may_clean = false;
    for (size_t at = t.find(' '); !may_clean && at != std::string::npos && at + 1 < t.size(); at = t.find(' ', at + 1))
      may_clean = std::string_view(".?!,'nd").find(t[at + 1]) != std::string_view::npos;
    if (decoder_cleanup_ && may_clean) {
      for (const auto& [from, to] : kCleanup) {
        const std::string_view f(from);
        std::string replaced;
        size_t at = 0;
        for (size_t hit; (hit = t.find(f, at)) != std::string::npos; at = hit + f.size()) {
          replaced.append(t, at, hit - at);
          replaced += to;
        }
        if (at == 0) continue;
        replaced.append(t, at, std::string::npos);
        t.swap(replaced);
      }
    }
    out += t;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ loading

namespace {

Status fail(const std::string& message) { return Status::error("tokenizer.json: " + message); }

Status check_keys(const Json& obj, const std::string& where, std::initializer_list<const char*> allowed) {
  return tokfile::check_keys(obj, where, allowed, "tokenizer.json: ");
}
using tokfile::type_of;
using tokfile::quoted;

Status read_bool(const Json& obj, const std::string& where, const char* key, bool* out) {
  const Json* v = obj.find(key);
  if (v == nullptr) return Status();
  if (!v->is_bool()) return fail(where + "." + key + " must be true or false");
  *out = v->as_bool();
  return Status();
}

Status read_string(const Json& obj, const std::string& where, const char* key, std::string* out) {
  const Json* v = obj.find(key);
  if (v == nullptr) return Status();
  if (!v->is_string()) return fail(where + "." + key + " must be a string");
  *out = v->as_string();
  return Status();
}

}  // namespace

Status WordPieceTokenizer::finish(const std::string& where) {
  ids_.clear();
  for (size_t id = 0; id < tokens_.size(); ++id)
    if (!tokens_[id].empty()) ids_.emplace(tokens_[id], static_cast<int32_t>(id));
  unk_id_ = model_token_to_id(unk_token_);
  if (unk_id_ < 0) return Status::error(where + "unk_token " + quoted(unk_token_) + " is not in the vocabulary");
  trie_.build(tokens_);
  prefix_node_ = 0;
  for (const char ch : prefix_)
    if (prefix_node_ >= 0) prefix_node_ = trie_.child(prefix_node_, static_cast<uint8_t>(ch));
  return Status();
}

Status WordPieceTokenizer::from_json(const Json& root, WordPieceTokenizer* out) {
  WordPieceTokenizer t;
  // Normalizer: BertNormalizer or none.
  if (const Json* n = root.find("normalizer"); n && !n->is_null()) {
    if (!n->is_object()) return fail("normalizer must be an object or null");
    if (std::string(type_of(*n)) != "BertNormalizer")
      return fail("normalizer type " + quoted(type_of(*n)) + " is not supported for a WordPiece tokenizer (BertNormalizer or null)");
    ATTN_TRY(check_keys(*n, "normalizer", {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"}));
    BertNormalizerOptions& o = t.normalizer_;
    ATTN_TRY(read_bool(*n, "normalizer", "clean_text", &o.clean_text));
    ATTN_TRY(read_bool(*n, "normalizer", "handle_chinese_chars", &o.handle_chinese_chars));
    ATTN_TRY(read_bool(*n, "normalizer", "lowercase", &o.lowercase));
    o.strip_accents = o.lowercase;  // null or absent: follows lowercase
    if (const Json* s = n->find("strip_accents"); s && !s->is_null()) {
      if (!s->is_bool()) return fail("normalizer.strip_accents must be true, false or null");
      o.strip_accents = s->as_bool();
    }
    t.has_normalizer_ = true;
  }
  // Pre-tokenizer: BertPreTokenizer.
  const Json* pre = root.find("pre_tokenizer");
  if (pre == nullptr || !pre->is_object())
    return fail("pre_tokenizer must be {\"type\": \"BertPreTokenizer\"} for a WordPiece tokenizer");
  if (std::string(type_of(*pre)) != "BertPreTokenizer")
    return fail("pre_tokenizer type " + quoted(type_of(*pre)) + " is not supported for a WordPiece tokenizer (BertPreTokenizer)");
  ATTN_TRY(check_keys(*pre, "pre_tokenizer", {"type"}));
  // Decoder: WordPiece or none.
  if (const Json* d = root.find("decoder"); d && !d->is_null()) {
    if (!d->is_object()) return fail("decoder must be an object or null");
    if (std::string(type_of(*d)) != "WordPiece")
      return fail("decoder type " + quoted(type_of(*d)) + " is not supported for a WordPiece tokenizer (WordPiece or null)");
    ATTN_TRY(check_keys(*d, "decoder", {"type", "prefix", "cleanup"}));
    ATTN_TRY(read_string(*d, "decoder", "prefix", &t.decoder_prefix_));
    ATTN_TRY(read_bool(*d, "decoder", "cleanup", &t.decoder_cleanup_));
  } else {
    t.has_decoder_ = false;
  }
  // The model.
  const Json* model = root.find("model");
  if (model == nullptr || !model->is_object()) return fail("model must be an object");
  if (std::string(type_of(*model)) != "WordPiece") return fail("model.type must be \"WordPiece\"");
  ATTN_TRY(check_keys(*model, "model", {"type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word",
                                        "vocab"}));
  ATTN_TRY(read_string(*model, "model", "unk_token", &t.unk_token_));
  ATTN_TRY(read_string(*model, "model", "continuing_subword_prefix", &t.prefix_));
  if (const Json* m = model->find("max_input_chars_per_word")) {
    if (!m->is_number() || !(m->as_number() >= 0) || m->as_number() > kMaxWordChars ||
        m->as_number() != std::floor(m->as_number()))
      return fail("model.max_input_chars_per_word must be an integer in [0, " + std::to_string(kMaxWordChars) + "]");
    t.max_chars_ = static_cast<int32_t>(m->as_number());
  }
  const Json* vocab = model->find("vocab");
  if (vocab == nullptr || !vocab->is_object()) return fail("model.vocab must be an object {token: id}");
  for (const auto& [token, value] : vocab->members()) {
    const std::string where = "model.vocab[" + quoted(token) + "]";
    if (token.empty()) return fail("model.vocab has an empty token");
    if (!value.is_number() || !(value.as_number() >= 0) || value.as_number() >= kMaxVocabSize ||
        value.as_number() != std::floor(value.as_number()))
      return fail(where + " must be an integer id in [0, " + std::to_string(kMaxVocabSize) + ")");
    const auto id = static_cast<size_t>(value.as_number());
    if (id >= t.tokens_.size()) t.tokens_.resize(id + 1);
    if (!t.tokens_[id].empty())
      return fail("model.vocab: id " + std::to_string(id) + " is given to both " + quoted(t.tokens_[id]) + " and " + quoted(token));
    t.tokens_[id] = token;
  }
  if (t.tokens_.empty()) return fail("model.vocab is empty");
  ATTN_TRY(t.finish("tokenizer.json: model."));
  *out = std::move(t);
  return Status();
}

Status WordPieceTokenizer::from_vocab_txt(std::string_view text, const BertNormalizerOptions& normalizer,
                                          WordPieceTokenizer* out) {
  WordPieceTokenizer t;
  t.has_normalizer_ = true;
  t.normalizer_ = normalizer;
  std::unordered_map<std::string, size_t> seen;
  size_t line = 0;
  for (size_t pos = 0; pos < text.size(); ++line) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string token(text.substr(pos, eol - pos));
    // Trailing white space goes, as Hugging Face's reader (trim_end) drops it ("\r" of CRLF files included).
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
    const std::string where = "vocab.txt: line " + std::to_string(line + 1);
    if (token.empty()) return Status::error(where + " is empty (one token per line)");
    if (!valid_utf8(token)) return Status::error(where + " is not valid UTF-8");
    const auto [it, fresh] = seen.emplace(token, line);
    if (!fresh)
      return Status::error(where + ": " + quoted(token) + " is already on line " + std::to_string(it->second + 1));
    if (line >= static_cast<size_t>(kMaxVocabSize))
      return Status::error("vocab.txt: more than " + std::to_string(kMaxVocabSize) + " tokens");
    t.tokens_.push_back(std::move(token));
    pos = eol + 1;
  }
  if (t.tokens_.empty()) return Status::error("vocab.txt is empty");
  ATTN_TRY(t.finish("vocab.txt: the "));
  *out = std::move(t);
  return Status();
}

}  // namespace attn
