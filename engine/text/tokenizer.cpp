// Tokenizer: construction, encoding and decoding. Training is in tokenizer_train.cpp, tokenizer.json in
// tokenizer_json.cpp.
#include "text/tokenizer.h"

#include <algorithm>

#include "text/pretokenize.h"
#include "text/unicode.h"

namespace attn {

// Scratch space of one encode() call: buffers reused from piece to piece, and the BPE result of every distinct
// piece seen so far (natural text repeats its words, so most pieces are a hash lookup). Per call, so encode()
// stays const and thread-safe and the cache never outlives its input.
struct Tokenizer::Workspace {
  std::string word;                    // the bytes being merged (a piece, or a chunk of a long one)
  std::vector<int64_t> start, end;     // per byte of `word`: the input span of the character it came from
  std::vector<size_t> invalid_at;      // positions in `word` where a U+FFFD that replaced invalid input starts
  std::vector<int32_t> ids;            // merge_word's result

  struct Symbol {
    int32_t id;    // -1 once merged into its left neighbour
    int32_t prev;  // index of the previous live symbol, -1 at the start
    int32_t next;  // index of the next live symbol, -1 at the end
  };
  struct Candidate {  // a possible merge of the symbol at `pos` with its next one
    int32_t rank, pos, left, right, result;
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;  // min-heap by (rank, pos)

  std::unordered_map<std::string, std::vector<int32_t>> cache;
};

Tokenizer::Tokenizer() : Tokenizer(Kind::kByteBpe) { add_byte_tokens(); }

void Tokenizer::add_byte_tokens() {
  for (const uint8_t b : bytes_in_gpt2_order()) {
    const std::string byte(1, static_cast<char>(b));
    byte_id_[b] = add_token(bytes_to_token(byte), byte, kModelToken);
  }
}

int32_t Tokenizer::add_token(std::string token, std::string bytes, Role role) {
  const auto id = static_cast<int32_t>(tokens_.size());
  ids_.emplace(token, id);
  tokens_.push_back(std::move(token));
  bytes_.push_back(std::move(bytes));
  role_.push_back(role);
  return id;
}

void Tokenizer::add_merge(int32_t left, int32_t right, int32_t result) {
  merge_rules_[pair_key(left, right)] = MergeRule{static_cast<int32_t>(merges_.size()), result};
  merges_.emplace_back(left, right);
}

int32_t Tokenizer::token_to_id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& Tokenizer::id_to_token(int32_t id) const {
  static const std::string kNone;
  return (id >= 0 && id < vocab_size()) ? tokens_[id] : kNone;
}

bool Tokenizer::is_special(int32_t id) const { return id >= 0 && id < vocab_size() && role_[id] == kSpecialToken; }

// ------------------------------------------------------------------------------------------------------ encode

namespace {

// The longest prefix of `text` of at most `limit` bytes that ends between two characters.
size_t prefix_at_char_boundary(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  // A byte that is not a continuation byte (10xxxxxx) always starts a character, also in invalid input; decode
  // forward from the last such byte at or before the limit.
  size_t pos = limit;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  for (;;) {
    const size_t len = unicode::decode_utf8(text, pos).len;
    if (pos + len > limit) return pos;
    pos += len;
  }
}

}  // namespace

Encoding Tokenizer::encode(std::string_view text, int64_t max_tokens) const {
  Encoding e;
  if (static_cast<int64_t>(text.size()) > kMaxInputBytes) {
    text = text.substr(0, prefix_at_char_boundary(text, static_cast<size_t>(kMaxInputBytes)));
    e.truncated = true;
  }
  // At most one token per input byte (an invalid byte gives at most 3): reserving avoids regrowing big outputs.
  size_t expected = text.size();
  if (max_tokens >= 0) expected = std::min(expected, static_cast<size_t>(max_tokens));
  e.ids.reserve(expected);
  e.tokens.reserve(expected);
  e.offsets.reserve(expected);
  if (kind_ == Kind::kByteBpe)
    encode_bytes(text, max_tokens, &e);
  else
    encode_chars(text, max_tokens, &e);
  return e;
}

void Tokenizer::encode_chars(std::string_view text, int64_t max_tokens, Encoding* e) const {
  for (size_t pos = 0; pos < text.size();) {
    const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
    const auto it = char_id_.find(c.cp);
    const int32_t id = it == char_id_.end() ? unk_id_ : it->second;
    if (!e->emit(max_tokens, id, tokens_[id], static_cast<int64_t>(pos), static_cast<int64_t>(pos + c.len))) return;
    if (c.invalid) ++e->replaced;
    pos += c.len;
  }
}

void Tokenizer::encode_bytes(std::string_view text, int64_t max_tokens, Encoding* e) const {
  Workspace ws;
  // Merges ws.word and emits its tokens; false when max_tokens stopped it.
  auto flush = [&]() {
    if (ws.word.empty()) return true;
    const std::vector<int32_t>* ids;
    const auto hit = ws.cache.find(ws.word);
    if (hit != ws.cache.end()) {
      ids = &hit->second;
    } else {
      merge_word(&ws);
      ids = &ws.cache.emplace(ws.word, ws.ids).first->second;
    }
    size_t pos = 0, invalid = 0;
    for (const int32_t id : *ids) {
      const size_t len = bytes_[id].size();
      if (!e->emit(max_tokens, id, tokens_[id], ws.start[pos], ws.end[pos + len - 1])) return false;
      pos += len;
      for (; invalid < ws.invalid_at.size() && ws.invalid_at[invalid] < pos; ++invalid) ++e->replaced;
    }
    ws.word.clear();
    ws.start.clear();
    ws.end.clear();
    ws.invalid_at.clear();
    return true;
  };

  static constexpr char kReplacementUtf8[] = "\xEF\xBF\xBD";
  for (size_t pos = 0; pos < text.size();) {
    const size_t piece_end = gpt2_piece_end(text, pos);
    // The piece's characters go into ws.word; a piece longer than kMaxMergeBytes is merged in chunks, each the
    // longest run of whole characters that fits (the same rule as training, in tokenizer_train.cpp).
    while (pos < piece_end) {
      const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
      const size_t n = c.invalid ? 3 : c.len;
      if (ws.word.size() + n > static_cast<size_t>(kMaxMergeBytes) && !flush()) return;
      if (c.invalid) {
        ws.invalid_at.push_back(ws.word.size());
        ws.word.append(kReplacementUtf8, 3);
      } else {
        ws.word.append(text.data() + pos, c.len);
      }
      ws.start.insert(ws.start.end(), n, static_cast<int64_t>(pos));
      ws.end.insert(ws.end.end(), n, static_cast<int64_t>(pos + c.len));
      pos += c.len;
    }
    if (!flush()) return;
  }
}

void Tokenizer::merge_word(Workspace* ws) const {
  using Candidate = Workspace::Candidate;
  auto& symbols = ws->symbols;
  auto& heap = ws->heap;
  const auto n = static_cast<int32_t>(ws->word.size());
  symbols.clear();
  heap.clear();
  for (int32_t i = 0; i < n; ++i)
    symbols.push_back({byte_id_[static_cast<unsigned char>(ws->word[i])], i - 1, i + 1 < n ? i + 1 : -1});

  // Lowest rank first; among equal ranks (the same merge at several places), leftmost first.
  const auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  const auto consider = [&](int32_t i) {
    const int32_t j = symbols[i].next;
    if (j < 0) return;
    const auto it = merge_rules_.find(pair_key(symbols[i].id, symbols[j].id));
    if (it == merge_rules_.end()) return;
    heap.push_back({it->second.rank, i, symbols[i].id, symbols[j].id, it->second.result});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate c = heap.back();
    heap.pop_back();
    // Stale when either symbol has changed since (a merged token is longer than its parts, so never equal).
    Workspace::Symbol& s = symbols[c.pos];
    if (s.id != c.left || s.next < 0 || symbols[s.next].id != c.right) continue;
    Workspace::Symbol& right = symbols[s.next];
    s.id = c.result;
    s.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.pos;
    right.id = -1;
    if (s.prev >= 0) consider(s.prev);
    consider(c.pos);
  }

  ws->ids.clear();
  for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = symbols[i].next) ws->ids.push_back(symbols[i].id);
}

// ------------------------------------------------------------------------------------------------------ decode

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string out;
  for (const int32_t id : ids) {
    if (id < 0 || id >= vocab_size() || (skip_special_tokens && role_[id] == kSpecialToken)) continue;
    out += bytes_[id];
  }
  // Character tokens and special tokens are valid UTF-8; byte tokens may cut a character.
  return kind_ == Kind::kByteBpe ? unicode::to_valid_utf8(out) : out;
}

}  // namespace attn
