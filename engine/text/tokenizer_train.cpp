// Tokenizer training: byte-level BPE (merges by pair frequency) and character vocabularies.
#include <algorithm>
#include <map>
#include <unordered_set>

#include "text/pretokenize.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace attn {

namespace {

// Why `token` cannot be a special token ("" when it can).
std::string special_token_problem(const std::string& token) {
  if (token.empty()) return "is empty";
  if (unicode::to_valid_utf8(token) != token) return "is not valid UTF-8";
  if (unicode::count_chars(token) < 2)
    return "has a single character (special tokens need two or more, so they never equal a character or byte token)";
  return "";
}

std::string quoted(const std::string& s) { return "'" + unicode::to_valid_utf8(s) + "'"; }

}  // namespace

Status Tokenizer::check_special_tokens(Kind kind, const std::vector<std::string>& special_tokens,
                                       const std::string& unk_token) {
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < special_tokens.size(); ++i) {
    const std::string problem = special_token_problem(special_tokens[i]);
    if (!problem.empty())
      return Status::error("special token " + std::to_string(i) + " " + quoted(special_tokens[i]) + " " + problem);
    if (!seen.insert(special_tokens[i]).second)
      return Status::error("special token " + quoted(special_tokens[i]) + " is given twice");
  }
  if (kind == Kind::kChar && !seen.count(unk_token)) {
    const std::string problem = special_token_problem(unk_token);
    if (!problem.empty()) return Status::error("unk token " + quoted(unk_token) + " " + problem);
  }
  return Status();
}

std::vector<std::string> Tokenizer::usable_special_tokens(const std::vector<std::string>& special_tokens) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const std::string& t : special_tokens)
    if (special_token_problem(t).empty() && seen.insert(t).second) out.push_back(t);
  return out;
}

// ------------------------------------------------------------------------------------------------------- chars

Tokenizer Tokenizer::train_chars(const std::vector<std::string>& texts, int32_t min_count,
                                 const std::vector<std::string>& special_tokens, const std::string& unk_token) {
  Tokenizer t(Kind::kChar);
  std::vector<std::string> specials = usable_special_tokens(special_tokens);
  const std::string unk = special_token_problem(unk_token).empty() ? unk_token : "<unk>";
  if (std::find(specials.begin(), specials.end(), unk) == specials.end()) specials.push_back(unk);
  for (std::string& s : specials) t.add_token(s, s, kSpecialToken);
  t.unk_id_ = t.token_to_id(unk);

  std::map<uint32_t, int64_t> counts;  // ordered by code point
  for (const std::string& text : texts)
    for (size_t pos = 0; pos < text.size();) {
      const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
      ++counts[c.cp];
      pos += c.len;
    }
  for (const auto& [cp, count] : counts) {
    if (count < std::max<int64_t>(1, min_count)) continue;
    std::string s;
    unicode::append_utf8(cp, &s);
    t.char_id_[cp] = t.add_token(s, s, kModelToken);
  }
  return t;
}

// --------------------------------------------------------------------------------------------------------- BPE

namespace {

// The pieces a text is merged in: GPT-2's pre-tokenization, and pieces longer than kMaxMergeBytes cut into the
// longest runs of whole characters that fit (as Tokenizer::encode does). `text` is valid UTF-8.
template <typename F>
void for_each_word(std::string_view text, size_t max_bytes, F&& f) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = gpt2_piece_end(text, pos);
    while (pos < end) {
      size_t chunk = pos;
      while (chunk < end) {
        const size_t len = unicode::decode_utf8(text, chunk).len;
        if (chunk + len - pos > max_bytes) break;
        chunk += len;
      }
      f(text.substr(pos, chunk - pos));
      pos = chunk;
    }
  }
}

struct PairCount {
  int64_t count;
  int32_t left, right;
};
// Max-heap order: the most frequent pair first; ties go to the pair of lower ids (deterministic).
bool less_wanted(const PairCount& a, const PairCount& b) {
  if (a.count != b.count) return a.count < b.count;
  if (a.left != b.left) return a.left > b.left;
  return a.right > b.right;
}

}  // namespace

Tokenizer Tokenizer::train_bpe(const std::vector<std::string>& texts, int32_t vocab_size,
                               const std::vector<std::string>& special_tokens) {
  Tokenizer t(Kind::kByteBpe);
  for (const std::string& s : usable_special_tokens(special_tokens)) t.add_token(s, s, kSpecialToken);
  t.add_byte_tokens();

  // Distinct words and their counts, sorted (so nothing depends on hash order).
  std::unordered_map<std::string, int64_t> counted;
  for (const std::string& text : texts)
    for_each_word(unicode::to_valid_utf8(text), static_cast<size_t>(kMaxMergeBytes),
                  [&](std::string_view w) { ++counted[std::string(w)]; });
  std::vector<std::pair<std::string, int64_t>> distinct(counted.begin(), counted.end());
  counted.clear();
  std::sort(distinct.begin(), distinct.end());

  struct Word {
    std::vector<int32_t> symbols;
    int64_t count;
    int64_t seen_at_merge = -1;
  };
  std::vector<Word> words;
  words.reserve(distinct.size());
  for (const auto& [w, count] : distinct) {
    Word word{{}, count};
    for (const char b : w) word.symbols.push_back(t.byte_id_[static_cast<unsigned char>(b)]);
    words.push_back(std::move(word));
  }

  // Pair counts over all words (weighted by word count), where each pair occurs, and a lazy max-heap: every change
  // of a count pushes a fresh entry; entries whose count is no longer current are skipped when they surface.
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;
  std::vector<PairCount> heap;
  std::vector<uint64_t> touched;
  auto count_pairs = [&](int32_t w, int64_t sign) {
    const Word& word = words[w];
    for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
      pair_count[key] += sign * word.count;
      touched.push_back(key);
      if (sign > 0) {
        std::vector<int32_t>& where = pair_words[key];
        if (where.empty() || where.back() != w) where.push_back(w);
      }
    }
  };
  auto push_touched = [&]() {
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const uint64_t key : touched) {
      const int64_t c = pair_count[key];
      if (c > 0) {
        heap.push_back({c, static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xFFFFFFFFu)});
        std::push_heap(heap.begin(), heap.end(), less_wanted);
      }
    }
    touched.clear();
  };
  for (int32_t w = 0; w < static_cast<int32_t>(words.size()); ++w) count_pairs(w, +1);
  push_touched();

  std::unordered_set<uint64_t> forbidden;  // pairs whose merged string is a special token's
  while (t.vocab_size() < vocab_size && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), less_wanted);
    const PairCount top = heap.back();
    heap.pop_back();
    const uint64_t key = pair_key(top.left, top.right);
    if (pair_count[key] != top.count || forbidden.count(key)) continue;

    std::string merged = t.bytes_[top.left] + t.bytes_[top.right];
    std::string token = bytes_to_token(merged);
    int32_t result = t.token_to_id(token);
    if (result >= 0 && t.role_[result] != kModelToken) {
      forbidden.insert(key);
      continue;
    }
    // Different pairs can spell the same string ("ab"+"c", "a"+"bc"): they share the token.
    if (result < 0) result = t.add_token(std::move(token), std::move(merged), kModelToken);
    const auto rank = static_cast<int64_t>(t.merges_.size());
    t.add_merge(top.left, top.right, result);

    // Rewrite every word that contains the pair (left to right, non-overlapping), updating the pair counts.
    const std::vector<int32_t> where = std::move(pair_words[key]);
    pair_words.erase(key);
    for (const int32_t w : where) {
      Word& word = words[w];
      if (word.seen_at_merge == rank) continue;
      word.seen_at_merge = rank;
      count_pairs(w, -1);
      std::vector<int32_t>& s = word.symbols;
      size_t out = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == top.left && s[i + 1] == top.right) {
          s[out++] = result;
          ++i;
        } else {
          s[out++] = s[i];
        }
      }
      s.resize(out);
      count_pairs(w, +1);
    }
    push_touched();
  }
  return t;
}

}  // namespace attn
