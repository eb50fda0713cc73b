// HfTokenizer: Hugging Face checkpoints' tokenizers (tokenizer.json, GPT-2's vocab.json + merges.txt, BERT's
// vocab.txt, Marian's SentencePiece models), with Hugging Face's added-token splitting and post-processing.
#include "text/hf_tokenizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "io/json.h"
#include "text/json_fields.h"
#include "text/sentencepiece.h"
#include "text/unicode.h"
#include "text/wordpiece.h"

namespace attn {

namespace {

Status check_keys(const Json& obj, const std::string& where, std::initializer_list<const char*> allowed) {
  return tokfile::check_keys(obj, where, allowed, "");
}
using tokfile::type_of;
using tokfile::quoted;

bool is_id(const Json& v, int64_t limit) {
  return v.is_number() && v.as_number() >= 0 && v.as_number() < static_cast<double>(limit) &&
         v.as_number() == std::floor(v.as_number());
}

// The longest prefix of `text` of at most `limit` bytes that ends between two characters.
size_t prefix_at_char_boundary(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  size_t pos = limit;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  for (;;) {
    const size_t len = unicode::decode_utf8(text, pos).len;
    if (pos + len > limit) return pos;
    pos += len;
  }
}

// The character that ends at `end` (> begin) in text[begin, end): its code point (U+FFFD when invalid) and
// where it starts.
struct CharBefore {
  uint32_t cp;
  size_t start;
};
CharBefore char_before(std::string_view text, size_t begin, size_t end) {
  size_t pos = end - 1;
  while (pos > begin && end - pos < 4 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  const unicode::Utf8Char c = unicode::decode_utf8(text.substr(0, end), pos);
  if (pos + c.len == end) return {c.cp, pos};
  return {unicode::kReplacement, end - 1};
}

// Reads an optional JSON file of `files`: false when absent.
Status parse_file(const HfTokenizer::Files& files, const std::string& name, Json* out, bool* present) {
  const auto it = files.find(name);
  *present = it != files.end();
  if (!*present) return Status();
  const Status st = Json::parse(it->second, out);
  if (!st.ok()) return Status::error(name + ": " + st.message());
  if (!out->is_object()) return Status::error(name + ": the file must be a JSON object");
  return Status();
}

// The content of a special token given as "[CLS]", {"content": "[CLS]", ...} or null ("" then).
Status token_content(const Json& v, const std::string& where, std::string* out) {
  if (v.is_null()) {
    out->clear();
    return Status();
  }
  if (v.is_string()) {
    *out = v.as_string();
    return Status();
  }
  if (v.is_object()) {
    const Json* c = v.find("content");
    if (c && c->is_string()) {
      *out = c->as_string();
      return Status();
    }
  }
  return Status::error(where + " must be a string, an object with a \"content\" string, or null");
}

constexpr const char* kRoles[] = {"cls", "sep", "mask", "pad", "unk", "bos", "eos"};

// Leftmost-longest matching of a few patterns (the added tokens), by walking a byte trie from each position
// where a pattern can start. A walk is at most kMaxAddedTokenBytes long.
struct Matcher {
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t pattern = -1;
  };
  std::vector<Node> nodes = std::vector<Node>(1);
  std::vector<uint8_t> first_byte = std::vector<uint8_t>(256, 0);
  bool empty = true;

  int32_t child(int32_t node, uint8_t b) const {
    const auto& ch = nodes[node].children;
    const auto it = std::lower_bound(ch.begin(), ch.end(), std::make_pair(b, int32_t{-1}));
    return (it != ch.end() && it->first == b) ? it->second : -1;
  }
  void add(const std::string& pattern, int32_t index) {
    if (pattern.empty()) return;
    int32_t node = 0;
    for (const char ch : pattern) {
      const auto b = static_cast<uint8_t>(ch);
      int32_t next = child(node, b);
      if (next < 0) {
        next = static_cast<int32_t>(nodes.size());
        nodes.emplace_back();
        auto& children = nodes[node].children;
        children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(b, int32_t{-1})),
                        std::make_pair(b, next));
      }
      node = next;
    }
    if (nodes[node].pattern < 0) nodes[node].pattern = index;  // the first of equal patterns wins
    first_byte[static_cast<uint8_t>(pattern[0])] = 1;
    empty = false;
  }
  // The leftmost-longest match in text[from, end): true and (start, stop, pattern index), or false.
  bool find(std::string_view text, size_t from, size_t end, size_t* start, size_t* stop, int32_t* index) const {
    if (empty) return false;
    for (size_t s = from; s < end; ++s) {
      if (!first_byte[static_cast<uint8_t>(text[s])]) continue;
      int32_t node = 0, best = -1;
      size_t best_end = s;
      for (size_t i = s; i < end; ++i) {
        node = child(node, static_cast<uint8_t>(text[i]));
        if (node < 0) break;
        if (nodes[node].pattern >= 0) {
          best = nodes[node].pattern;
          best_end = i + 1;
        }
      }
      if (best >= 0) {
        *start = s;
        *stop = best_end;
        *index = best;
        return true;
      }
    }
    return false;
  }
};

}  // namespace

struct HfTokenizer::Impl {
  Tokenizer bpe;
  WordPieceTokenizer wordpiece;
  SentencePiece source_spm, target_spm;
  Matcher raw, normalized;  // over the added tokens with normalized false / true (index into added_)
  std::vector<int32_t> target_suffix_ids;  // Marian with a target vocabulary: </s> in it
  int32_t unk = -1, target_unk = -1;       // Marian: the id of unknown pieces
};

// ------------------------------------------------------------------------------------------------ queries

const char* HfTokenizer::kind_name() const {
  switch (kind_) {
    case Kind::kBpe: return "bpe";
    case Kind::kWordPiece: return "wordpiece";
    case Kind::kSentencePiece: return "sentencepiece";
  }
  return "";
}

int32_t HfTokenizer::token_to_id(std::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& HfTokenizer::id_to_token(int32_t id) const {
  static const std::string kNone;
  return (id >= 0 && id < vocab_size()) ? tokens_[id] : kNone;
}

bool HfTokenizer::is_special(int32_t id) const { return id >= 0 && id < vocab_size() && special_[id]; }

int32_t HfTokenizer::target_vocab_size() const {
  return separate_target_vocab() ? static_cast<int32_t>(target_tokens_.size()) : vocab_size();
}

const std::string& HfTokenizer::target_id_to_token(int32_t id) const {
  static const std::string kNone;
  if (!separate_target_vocab()) return id_to_token(id);
  return (id >= 0 && id < static_cast<int32_t>(target_tokens_.size())) ? target_tokens_[id] : kNone;
}

int32_t HfTokenizer::special_id(std::string_view role) const {
  const auto it = roles_.find(role);
  return it == roles_.end() ? -1 : it->second;
}

bool HfTokenizer::present(const Files& files) {
  for (const char* name : {"tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "source.spm", "target.spm"})
    if (files.count(name)) return true;
  return false;
}

// ------------------------------------------------------------------------------------------------ loading

namespace {

// The roles' token contents, from the defaults of the tokenizer class, then tokenizer_config.json, then
// special_tokens_map.json (transformers' precedence); "" = none. Also the additional special tokens.
Status read_role_contents(const HfTokenizer::Files& files, std::map<std::string, std::string>* roles,
                          std::vector<std::string>* additional) {
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    Json j;
    bool present;
    ATTN_TRY(parse_file(files, name, &j, &present));
    if (!present) continue;
    for (const char* role : kRoles) {
      const std::string key = std::string(role) + "_token";
      if (const Json* v = j.find(key)) ATTN_TRY(token_content(*v, std::string(name) + ": " + key, &(*roles)[role]));
    }
    if (const Json* extra = j.find("additional_special_tokens"); extra && !extra->is_null()) {
      if (!extra->is_array()) return Status::error(std::string(name) + ": additional_special_tokens must be an array");
      additional->clear();
      for (size_t i = 0; i < extra->items().size(); ++i) {
        std::string content;
        ATTN_TRY(token_content(extra->items()[i],
                               std::string(name) + ": additional_special_tokens[" + std::to_string(i) + "]", &content));
        if (!content.empty()) additional->push_back(content);
      }
    }
  }
  return Status();
}

// A {token: id} object of a vocab.json: ids distinct and contiguous from 0.
Status read_vocab_json(std::string_view text, const std::string& name, std::vector<std::string>* tokens) {
  Json j;
  const Status st = Json::parse(text, &j);
  if (!st.ok()) return Status::error(name + ": " + st.message());
  if (!j.is_object()) return Status::error(name + ": the file must be a JSON object {token: id}");
  tokens->assign(j.members().size(), std::string());
  std::vector<uint8_t> filled(tokens->size(), 0);
  for (const auto& [token, value] : j.members()) {
    if (token.empty()) return Status::error(name + " has an empty token");
    if (!is_id(value, static_cast<int64_t>(tokens->size())))
      return Status::error(name + ": the id of " + quoted(token) + " must be an integer in [0, " +
                           std::to_string(tokens->size()) + ") (ids run from 0, one per token)");
    const auto id = static_cast<size_t>(value.as_number());
    if (filled[id]) return Status::error(name + ": id " + std::to_string(id) + " is given to both " + quoted((*tokens)[id]) +
                                         " and " + quoted(token));
    filled[id] = 1;
    (*tokens)[id] = token;
  }
  if (tokens->empty()) return Status::error(name + " is empty");
  return Status();
}

}  // namespace

Status HfTokenizer::finish_vocab(const std::string& file) {
  ids_.clear();
  for (size_t id = 0; id < tokens_.size(); ++id) {
    const auto [it, fresh] = ids_.emplace(tokens_[id], static_cast<int32_t>(id));
    if (!fresh)
      return Status::error(file + ": " + quoted(tokens_[id]) + " has two ids, " + std::to_string(it->second) + " and " +
                           std::to_string(id));
  }
  special_.resize(tokens_.size(), 0);
  return Status();
}

Status HfTokenizer::read_roles(const Files& files) {
  std::map<std::string, std::string> contents;
  switch (kind_) {
    case Kind::kWordPiece:
      contents = {{"cls", "[CLS]"}, {"sep", "[SEP]"}, {"mask", "[MASK]"}, {"pad", "[PAD]"},
                  {"unk", impl_->wordpiece.unk_token()}};
      break;
    case Kind::kBpe:
      contents = {{"bos", "<|endoftext|>"}, {"eos", "<|endoftext|>"}, {"unk", "<|endoftext|>"}};
      if (impl_->bpe.unk_id() >= 0) contents["unk"] = impl_->bpe.id_to_token(impl_->bpe.unk_id());
      break;
    case Kind::kSentencePiece:
      contents = {{"eos", "</s>"}, {"unk", "<unk>"}, {"pad", "<pad>"}};
      break;
  }
  std::vector<std::string> additional;
  ATTN_TRY(read_role_contents(files, &contents, &additional));
  roles_.clear();
  for (const char* role : kRoles) {
    const auto it = contents.find(role);
    roles_[role] = (it == contents.end() || it->second.empty()) ? -1 : token_to_id(it->second);
  }
  return Status();
}

namespace {

// tokenizer.json's added_tokens.
Status read_added_tokens(const Json& root, std::vector<std::string>* contents, std::vector<int32_t>* ids,
                         std::vector<std::array<bool, 5>>* flags) {
  const Json* added = root.find("added_tokens");
  if (added == nullptr || added->is_null()) return Status();
  if (!added->is_array()) return Status::error("tokenizer.json: added_tokens must be an array");
  std::unordered_set<std::string> seen_content;
  std::unordered_set<int32_t> seen_id;
  for (size_t i = 0; i < added->items().size(); ++i) {
    const Json& a = added->items()[i];
    const std::string where = "tokenizer.json: added_tokens[" + std::to_string(i) + "]";
    if (!a.is_object()) return Status::error(where + " must be an object");
    ATTN_TRY(check_keys(a, where, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}));
    const Json* id = a.find("id");
    const Json* content = a.find("content");
    if (id == nullptr || !is_id(*id, WordPieceTokenizer::kMaxVocabSize))
      return Status::error(where + ".id must be an integer id in [0, " + std::to_string(WordPieceTokenizer::kMaxVocabSize) + ")");
    if (content == nullptr || !content->is_string() || content->as_string().empty())
      return Status::error(where + ".content must be a non-empty string");
    const std::string& c = content->as_string();
    if (c.size() > HfTokenizer::kMaxAddedTokenBytes)
      return Status::error(where + ".content " + quoted(c) + " is longer than " +
                           std::to_string(HfTokenizer::kMaxAddedTokenBytes) + " bytes, which is not supported");
    std::array<bool, 5> f{};  // special, single_word, lstrip, rstrip, normalized
    const char* keys[] = {"special", "single_word", "lstrip", "rstrip", "normalized"};
    for (int k = 0; k < 5; ++k) {
      const Json* v = a.find(keys[k]);
      if (v && !v->is_bool()) return Status::error(where + "." + keys[k] + " must be true or false");
      f[k] = v ? v->as_bool() : (k == 4 ? !f[0] : false);  // normalized defaults to !special, as Hugging Face
    }
    if (!seen_content.insert(c).second) return Status::error(where + ": " + quoted(c) + " is added twice");
    const auto i32 = static_cast<int32_t>(id->as_number());
    if (!seen_id.insert(i32).second)
      return Status::error(where + ": id " + std::to_string(i32) + " is given to two added tokens");
    contents->push_back(c);
    ids->push_back(i32);
    flags->push_back(f);
  }
  return Status();
}

// The post-processor's tokens around a single sequence: TemplateProcessing, BertProcessing, RobertaProcessing,
// ByteLevel (none) or null (none). Ids are checked by the caller.
Status read_post_processor(const Json* p, bool byte_level_ok, std::vector<int32_t>* prefix,
                           std::vector<int32_t>* suffix) {
  prefix->clear();
  suffix->clear();
  if (p == nullptr || p->is_null()) return Status();
  const std::string where = "tokenizer.json: post_processor";
  if (!p->is_object()) return Status::error(where + " must be an object or null");
  const std::string type = type_of(*p);
  if (type == "ByteLevel" && byte_level_ok) {
    ATTN_TRY(check_keys(*p, where, {"type", "add_prefix_space", "trim_offsets", "use_regex"}));
    for (const char* key : {"add_prefix_space", "trim_offsets", "use_regex"})
      if (const Json* v = p->find(key); v && !v->is_bool())
        return Status::error(where + "." + key + " must be true or false");
    return Status();
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    if (type == "BertProcessing")
      ATTN_TRY(check_keys(*p, where, {"type", "sep", "cls"}));
    else
      ATTN_TRY(check_keys(*p, where, {"type", "sep", "cls", "trim_offsets", "add_prefix_space"}));
    for (const char* key : {"cls", "sep"}) {
      const Json* v = p->find(key);
      if (v == nullptr || !v->is_array() || v->items().size() != 2 || !v->items()[0].is_string() ||
          !is_id(v->items()[1], WordPieceTokenizer::kMaxVocabSize))
        return Status::error(where + "." + key + " must be [token, id]");
      (std::string(key) == "cls" ? prefix : suffix)->push_back(static_cast<int32_t>(v->items()[1].as_number()));
    }
    return Status();
  }
  if (type == "TemplateProcessing") {
    ATTN_TRY(check_keys(*p, where, {"type", "single", "pair", "special_tokens"}));
    const Json* single = p->find("single");
    const Json* pair = p->find("pair");
    const Json* specials = p->find("special_tokens");
    if (single == nullptr || !single->is_array()) return Status::error(where + ".single must be an array");
    if (pair && !pair->is_array()) return Status::error(where + ".pair must be an array");
    if (specials == nullptr || !specials->is_object()) return Status::error(where + ".special_tokens must be an object");
    bool seen_a = false;
    for (size_t i = 0; i < single->items().size(); ++i) {
      const Json& item = single->items()[i];
      const std::string at = where + ".single[" + std::to_string(i) + "]";
      if (!item.is_object() || item.members().size() != 1)
        return Status::error(at + " must be {\"SpecialToken\": {...}} or {\"Sequence\": {...}}");
      const auto& [kind, body] = item.members()[0];
      const Json* id = body.find("id");
      if (!body.is_object() || id == nullptr || !id->is_string())
        return Status::error(at + "." + kind + " must be an object with a string \"id\"");
      ATTN_TRY(check_keys(body, at + "." + kind, {"id", "type_id"}));
      if (kind == "Sequence") {
        if (id->as_string() != "A" || seen_a)
          return Status::error(at + ": a single-sequence template has the sequence \"A\" once");
        seen_a = true;
      } else if (kind == "SpecialToken") {
        const Json* entry = specials->find(id->as_string());
        const Json* ids = entry ? entry->find("ids") : nullptr;
        if (ids == nullptr || !ids->is_array())
          return Status::error(at + ": " + quoted(id->as_string()) + " is not in special_tokens (with \"ids\")");
        for (const Json& v : ids->items()) {
          if (!is_id(v, WordPieceTokenizer::kMaxVocabSize))
            return Status::error(where + ".special_tokens[" + quoted(id->as_string()) + "].ids must be integer ids");
          (seen_a ? suffix : prefix)->push_back(static_cast<int32_t>(v.as_number()));
        }
      } else {
        return Status::error(at + ": unknown item " + quoted(kind) + " (SpecialToken or Sequence)");
      }
    }
    if (!seen_a) return Status::error(where + ".single has no sequence \"A\"");
    return Status();
  }
  return Status::error(where + " type " + quoted(type) + " is not supported (TemplateProcessing, BertProcessing, " +
                       "RobertaProcessing" + (byte_level_ok ? ", ByteLevel" : "") + " or null)");
}

// Rewrites a message of Tokenizer::from_json about a synthesized tokenizer.json into one about the legacy files.
// merges.txt line of merge i: i + 1, after the "#version" line when there is one.
std::string legacy_message(const std::string& m, bool version_line) {
  const std::string vocab = "tokenizer.json: model.vocab", merges = "tokenizer.json: model.merges[";
  if (m.compare(0, vocab.size(), vocab) == 0) return "vocab.json" + m.substr(vocab.size());
  if (m.compare(0, merges.size(), merges) == 0) {
    const size_t close = m.find(']', merges.size());
    if (close != std::string::npos) {
      const long index = std::strtol(m.c_str() + merges.size(), nullptr, 10);
      return "merges.txt: line " + std::to_string(index + 1 + (version_line ? 1 : 0)) + m.substr(close + 1);
    }
  }
  const std::string prefix = "tokenizer.json: ";
  if (m.compare(0, prefix.size(), prefix) == 0) return "vocab.json + merges.txt: " + m.substr(prefix.size());
  return m;
}

}  // namespace

Status HfTokenizer::load(const Files& files, HfTokenizer* out) {
  HfTokenizer t;
  auto impl = std::make_shared<Impl>();
  t.impl_ = impl;
  const auto has = [&](const char* name) { return files.count(name) != 0; };
  if (has("tokenizer.json")) {
    ATTN_TRY(load_tokenizer_json(files, &t, *impl));
  } else if (has("vocab.json") && has("merges.txt")) {
    ATTN_TRY(load_gpt2_legacy(files, &t, *impl));
  } else if (has("vocab.txt")) {
    ATTN_TRY(load_vocab_txt(files, &t, *impl));
  } else if (has("source.spm") || has("target.spm")) {
    for (const char* need : {"source.spm", "target.spm", "vocab.json"})
      if (!has(need))
        return Status::error(std::string(need) + " is missing (a Marian tokenizer is source.spm + target.spm + vocab.json)");
    ATTN_TRY(load_marian(files, &t, *impl));
  } else if (has("vocab.json")) {
    return Status::error("merges.txt is missing (GPT-2's tokenizer without tokenizer.json is vocab.json + merges.txt)");
  } else if (has("merges.txt")) {
    return Status::error("vocab.json is missing (GPT-2's tokenizer without tokenizer.json is vocab.json + merges.txt)");
  } else {
    return Status::error("no tokenizer file (tokenizer.json, vocab.json + merges.txt, vocab.txt, or source.spm + "
                         "target.spm + vocab.json)");
  }
  // Added tokens: matchers, and the post-processor's ids must be in the vocabulary.
  for (size_t i = 0; i < t.added_.size(); ++i) {
    const AddedToken& a = t.added_[i];
    if (!a.normalized || t.kind_ == Kind::kSentencePiece) {
      impl->raw.add(a.content, static_cast<int32_t>(i));
    } else if (t.kind_ == Kind::kWordPiece && impl->wordpiece.has_normalizer()) {
      NormalizedText n;
      impl->wordpiece.normalize(a.content, 0, &n);
      impl->normalized.add(n.text, static_cast<int32_t>(i));
    } else {
      impl->normalized.add(a.content, static_cast<int32_t>(i));
    }
  }
  for (const auto* ids : {&t.prefix_ids_, &t.suffix_ids_})
    for (const int32_t id : *ids)
      if (id >= t.vocab_size())
        return Status::error("tokenizer.json: post_processor: token id " + std::to_string(id) +
                             " is outside the vocabulary [0, " + std::to_string(t.vocab_size()) + ")");
  *out = std::move(t);
  return Status();
}

Status HfTokenizer::load_tokenizer_json(const Files& files, HfTokenizer* t, Impl& impl) {
  const std::string_view text = files.at("tokenizer.json");
  Json root;
  const Status parsed = Json::parse(text, &root);
  if (!parsed.ok()) return Status::error("tokenizer.json: " + parsed.message());
  if (!root.is_object()) return Status::error("tokenizer.json: the file must be a JSON object");
  ATTN_TRY(check_keys(root, "tokenizer.json: top level", {"version", "truncation", "padding", "added_tokens",
                                                          "normalizer", "pre_tokenizer", "post_processor", "decoder",
                                                          "model"}));
  // Truncation and padding are settings for batches: the caller's max_tokens decides the length here.
  for (const char* key : {"truncation", "padding"})
    if (const Json* v = root.find(key); v && !v->is_null() && !v->is_object())
      return Status::error(std::string("tokenizer.json: ") + key + " must be an object or null");
  if (const Json* v = root.find("version"); v && !(v->is_string() && v->as_string() == "1.0"))
    return Status::error("tokenizer.json: version must be \"1.0\"");
  const Json* model = root.find("model");
  if (model == nullptr || !model->is_object()) return Status::error("tokenizer.json: model must be an object");
  const std::string model_type = type_of(*model);

  std::vector<std::string> contents;
  std::vector<int32_t> added_ids;
  std::vector<std::array<bool, 5>> flags;
  ATTN_TRY(read_added_tokens(root, &contents, &added_ids, &flags));
  const Json* post = root.find("post_processor");

  if (model_type == "BPE") {
    t->kind_ = Kind::kBpe;
    ATTN_TRY(read_post_processor(post, true, &t->prefix_ids_, &t->suffix_ids_));
    // attn::Tokenizer reads the model (it refuses what it does not run); what it does not know is removed first.
    const bool other_post = post && post->is_object() && std::string(type_of(*post)) != "ByteLevel";
    const Json* trunc = root.find("truncation");
    const Json* pad = root.find("padding");
    Status st;
    if (other_post || (trunc && !trunc->is_null()) || (pad && !pad->is_null())) {
      Json copy = root;
      if (other_post) copy.set("post_processor", Json());
      copy.set("truncation", Json());
      copy.set("padding", Json());
      st = Tokenizer::from_json(copy, &impl.bpe);
    } else {
      st = Tokenizer::from_json(root, &impl.bpe);
    }
    ATTN_TRY(st);
    t->tokens_.resize(impl.bpe.vocab_size());
    t->special_.assign(impl.bpe.vocab_size(), 0);
    for (int32_t id = 0; id < impl.bpe.vocab_size(); ++id) {
      t->tokens_[id] = impl.bpe.id_to_token(id);
      t->special_[id] = impl.bpe.is_special(id);
    }
  } else if (model_type == "WordPiece") {
    t->kind_ = Kind::kWordPiece;
    ATTN_TRY(read_post_processor(post, false, &t->prefix_ids_, &t->suffix_ids_));
    ATTN_TRY(WordPieceTokenizer::from_json(root, &impl.wordpiece));
    // The vocabulary: the model's, with the added tokens (in it with the same id, or filling the ids after it).
    t->tokens_ = impl.wordpiece.model_tokens();
    for (size_t i = 0; i < contents.size(); ++i) {
      const int32_t in_model = impl.wordpiece.model_token_to_id(contents[i]);
      if (in_model >= 0 && in_model != added_ids[i])
        return Status::error("tokenizer.json: added_tokens[" + std::to_string(i) + "]: " + quoted(contents[i]) +
                             " has id " + std::to_string(added_ids[i]) + " but id " + std::to_string(in_model) +
                             " in model.vocab");
      const auto id = static_cast<size_t>(added_ids[i]);
      if (id >= t->tokens_.size()) t->tokens_.resize(id + 1);
      if (!t->tokens_[id].empty() && t->tokens_[id] != contents[i])
        return Status::error("tokenizer.json: id " + std::to_string(id) + " is given to both " + quoted(t->tokens_[id]) +
                             " and " + quoted(contents[i]));
      t->tokens_[id] = contents[i];
    }
    for (size_t id = 0; id < t->tokens_.size(); ++id)
      if (t->tokens_[id].empty())
        return Status::error("tokenizer.json: id " + std::to_string(id) + " has no token (ids must run from 0 to " +
                             std::to_string(t->tokens_.size() - 1) + ")");
    ATTN_TRY(t->finish_vocab("tokenizer.json"));
    for (size_t i = 0; i < contents.size(); ++i) t->special_[added_ids[i]] = flags[i][0];
  } else {
    return Status::error("tokenizer.json: model.type " + quoted(model_type) +
                         " is not supported (BPE for GPT-2, WordPiece for BERT)");
  }
  if (t->kind_ == Kind::kBpe) ATTN_TRY(t->finish_vocab("tokenizer.json"));
  for (size_t i = 0; i < contents.size(); ++i) {
    AddedToken a;
    a.content = contents[i];
    a.id = added_ids[i];
    a.special = flags[i][0];
    a.single_word = flags[i][1];
    a.lstrip = flags[i][2];
    a.rstrip = flags[i][3];
    a.normalized = flags[i][4];
    t->added_.push_back(std::move(a));
  }
  t->source_ = "tokenizer.json";
  return t->read_roles(files);
}

Status HfTokenizer::load_gpt2_legacy(const Files& files, HfTokenizer* t, Impl& impl) {
  t->kind_ = Kind::kBpe;
  std::vector<std::string> vocab;
  ATTN_TRY(read_vocab_json(files.at("vocab.json"), "vocab.json", &vocab));
  // merges.txt: "#version: 0.2", then "left right" per line, in rank order (a final newline is fine).
  const std::string_view merges_txt = files.at("merges.txt");
  std::string merges = "[";
  size_t line = 0, count = 0;
  bool version_line = false;
  for (size_t pos = 0; pos < merges_txt.size(); ++line) {
    size_t eol = merges_txt.find('\n', pos);
    if (eol == std::string_view::npos) eol = merges_txt.size();
    std::string merge(merges_txt.substr(pos, eol - pos));
    pos = eol + 1;
    if (!merge.empty() && merge.back() == '\r') merge.pop_back();
    if (line == 0 && merge.compare(0, 8, "#version") == 0) {
      version_line = true;
      continue;
    }
    const std::string where = "merges.txt: line " + std::to_string(line + 1);
    if (!valid_utf8(merge)) return Status::error(where + " is not valid UTF-8");
    const size_t space = merge.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string::npos)
      return Status::error(where + " " + quoted(merge) + " must be two tokens separated by one space");
    if (count++) merges += ',';
    merges += Json::string(merge).dump();
  }
  merges += ']';
  // The special tokens (GPT2Tokenizer: <|endoftext|> unless the config names others) are added tokens.
  t->tokens_ = vocab;
  ATTN_TRY(t->finish_vocab("vocab.json"));
  std::map<std::string, std::string> roles = {{"bos", "<|endoftext|>"}, {"eos", "<|endoftext|>"}, {"unk", "<|endoftext|>"}};
  std::vector<std::string> additional;
  ATTN_TRY(read_role_contents(files, &roles, &additional));
  std::set<int32_t> special_ids;
  for (const auto& [role, content] : roles)
    if (!content.empty() && t->token_to_id(content) >= 0) special_ids.insert(t->token_to_id(content));
  for (const std::string& content : additional)
    if (t->token_to_id(content) >= 0) special_ids.insert(t->token_to_id(content));
  std::string json = R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[)";
  bool first = true;
  for (const int32_t id : special_ids) {
    json += std::string(first ? "" : ",") + R"({"id":)" + std::to_string(id) + R"(,"content":)" +
            Json::string(vocab[id]).dump() +
            R"(,"single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true})";
    first = false;
  }
  const char* byte_level = R"({"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true})";
  json += std::string(R"(],"normalizer":null,"pre_tokenizer":)") + byte_level + R"(,"post_processor":null,"decoder":)" +
          byte_level + R"(,"model":{"type":"BPE","dropout":null,"unk_token":null,"vocab":{)";
  for (size_t id = 0; id < vocab.size(); ++id)
    json += (id ? "," : "") + Json::string(vocab[id]).dump() + ":" + std::to_string(id);
  json += "},\"merges\":" + merges + "}}";
  const Status st = Tokenizer::from_json(json, &impl.bpe);
  if (!st.ok()) return Status::error(legacy_message(st.message(), version_line));
  for (const int32_t id : special_ids) {
    t->special_[id] = 1;
    AddedToken a;
    a.content = vocab[id];
    a.id = id;
    a.special = true;
    a.normalized = false;
    t->added_.push_back(std::move(a));
  }
  t->source_ = "vocab.json + merges.txt";
  return t->read_roles(files);
}

Status HfTokenizer::load_vocab_txt(const Files& files, HfTokenizer* t, Impl& impl) {
  t->kind_ = Kind::kWordPiece;
  // BertTokenizer's settings (tokenizer_config.json), with its defaults.
  BertNormalizerOptions options;
  Json config;
  bool present;
  ATTN_TRY(parse_file(files, "tokenizer_config.json", &config, &present));
  bool strip_given = false;
  if (present) {
    const auto flag = [&](const char* key, bool* out) {
      const Json* v = config.find(key);
      if (v == nullptr || v->is_null()) return Status();
      if (!v->is_bool()) return Status::error(std::string("tokenizer_config.json: ") + key + " must be true or false");
      *out = v->as_bool();
      return Status();
    };
    ATTN_TRY(flag("do_lower_case", &options.lowercase));
    ATTN_TRY(flag("tokenize_chinese_chars", &options.handle_chinese_chars));
    bool basic = true;
    ATTN_TRY(flag("do_basic_tokenize", &basic));
    if (!basic) return Status::error("tokenizer_config.json: do_basic_tokenize = false is not supported");
    if (const Json* v = config.find("strip_accents"); v && !v->is_null()) {
      ATTN_TRY(flag("strip_accents", &options.strip_accents));
      strip_given = true;
    }
  }
  if (!strip_given) options.strip_accents = options.lowercase;
  ATTN_TRY(WordPieceTokenizer::from_vocab_txt(files.at("vocab.txt"), options, &impl.wordpiece));
  t->tokens_ = impl.wordpiece.model_tokens();
  ATTN_TRY(t->finish_vocab("vocab.txt"));
  // BertTokenizer's special tokens, as named by the config files, never split and matched in the raw text; the
  // post-processor is [CLS] $A [SEP] (BertConverter's template).
  std::map<std::string, std::string> roles = {
      {"cls", "[CLS]"}, {"sep", "[SEP]"}, {"mask", "[MASK]"}, {"pad", "[PAD]"}, {"unk", "[UNK]"}};
  std::vector<std::string> additional;
  ATTN_TRY(read_role_contents(files, &roles, &additional));
  if (roles["unk"] != impl.wordpiece.unk_token())
    return Status::error("tokenizer_config.json: unk_token " + quoted(roles["unk"]) + " is not supported (only \"[UNK]\")");
  std::vector<std::string> specials;
  for (const char* role : {"pad", "unk", "cls", "sep", "mask"}) specials.push_back(roles[role]);
  specials.insert(specials.end(), additional.begin(), additional.end());
  std::set<int32_t> done;
  for (const std::string& content : specials) {
    const int32_t id = content.empty() ? -1 : t->token_to_id(content);
    if (id < 0 || !done.insert(id).second) continue;
    t->special_[id] = 1;
    AddedToken a;
    a.content = content;
    a.id = id;
    a.special = true;
    a.normalized = false;
    t->added_.push_back(std::move(a));
  }
  const int32_t cls = roles["cls"].empty() ? -1 : t->token_to_id(roles["cls"]);
  const int32_t sep = roles["sep"].empty() ? -1 : t->token_to_id(roles["sep"]);
  if (cls >= 0 && sep >= 0) {
    t->prefix_ids_ = {cls};
    t->suffix_ids_ = {sep};
  }
  t->source_ = "vocab.txt";
  return t->read_roles(files);
}

Status HfTokenizer::load_marian(const Files& files, HfTokenizer* t, Impl& impl) {
  t->kind_ = Kind::kSentencePiece;
  for (const char* name : {"source.spm", "target.spm"}) {
    const Status st = SentencePiece::load(files.at(name), std::string(name) == "source.spm" ? &impl.source_spm
                                                                                          : &impl.target_spm);
    if (!st.ok()) return Status::error(std::string(name) + ": " + st.message());
  }
  ATTN_TRY(read_vocab_json(files.at("vocab.json"), "vocab.json", &t->tokens_));
  ATTN_TRY(t->finish_vocab("vocab.json"));
  if (const auto it = files.find("target_vocab.json"); it != files.end()) {
    ATTN_TRY(read_vocab_json(it->second, "target_vocab.json", &t->target_tokens_));
    for (size_t id = 0; id < t->target_tokens_.size(); ++id) t->target_ids_.emplace(t->target_tokens_[id], id);
  }
  std::map<std::string, std::string> roles = {{"eos", "</s>"}, {"unk", "<unk>"}, {"pad", "<pad>"}};
  std::vector<std::string> additional;
  ATTN_TRY(read_role_contents(files, &roles, &additional));
  for (const char* role : {"eos", "unk", "pad"})
    if (roles[role].empty() || t->token_to_id(roles[role]) < 0)
      return Status::error("vocab.json has no " + std::string(role) + " token " + quoted(roles[role]) +
                           " (MarianTokenizer needs </s>, <unk> and <pad>)");
  impl.unk = t->token_to_id(roles["unk"]);
  t->suffix_ids_ = {t->token_to_id(roles["eos"])};
  if (t->separate_target_vocab()) {
    const auto eos = t->target_ids_.find(roles["eos"]);
    const auto unk = t->target_ids_.find(roles["unk"]);
    if (eos == t->target_ids_.end() || unk == t->target_ids_.end())
      return Status::error("target_vocab.json has no " + quoted(roles["eos"]) + " or " + quoted(roles["unk"]));
    impl.target_suffix_ids = {eos->second};
    impl.target_unk = unk->second;
  } else {
    impl.target_suffix_ids = t->suffix_ids_;
    impl.target_unk = impl.unk;
  }
  std::vector<std::string> specials = {roles["eos"], roles["unk"], roles["pad"]};
  specials.insert(specials.end(), additional.begin(), additional.end());
  for (const std::string& content : specials) {
    const int32_t id = t->token_to_id(content);
    if (id < 0 || t->special_[id]) continue;
    t->special_[id] = 1;
    AddedToken a;
    a.content = content;
    a.id = id;
    a.special = true;
    a.normalized = false;
    t->added_.push_back(std::move(a));
  }
  t->source_ = t->separate_target_vocab() ? "source.spm + target.spm + vocab.json + target_vocab.json"
                                          : "source.spm + target.spm + vocab.json";
  return t->read_roles(files);
}

// ------------------------------------------------------------------------------------------------ encoding

void HfTokenizer::split_added(std::string_view text, size_t begin, size_t end, bool normalized,
                              std::vector<Segment>* out) const {
  const Matcher& m = normalized ? impl_->normalized : impl_->raw;
  size_t start_offset = begin, pos = begin, s, e;
  int32_t index;
  while (m.find(text, pos, end, &s, &e, &index)) {
    pos = e;
    const AddedToken& a = added_[index];
    if (a.single_word) {
      const bool space_before = s == begin || !unicode::is_word_char(char_before(text, begin, s).cp);
      const bool space_after = e == end || !unicode::is_word_char(unicode::decode_utf8(text.substr(0, end), e).cp);
      if (!space_before || !space_after) continue;
    }
    if (a.lstrip) {
      size_t ns = s;
      for (CharBefore c; ns > begin && unicode::is_white_space((c = char_before(text, begin, ns)).cp);) ns = c.start;
      s = std::max(ns, start_offset);
    }
    if (a.rstrip) {
      while (e < end) {
        const unicode::Utf8Char c = unicode::decode_utf8(text.substr(0, end), e);
        if (c.invalid || !unicode::is_white_space(c.cp)) break;
        e += c.len;
      }
      pos = e;
    }
    if (start_offset < s) out->push_back({-1, start_offset, s});
    out->push_back({a.id, s, e});
    start_offset = e;
  }
  if (start_offset < end) out->push_back({-1, start_offset, end});
}


// Appends the tokens of the whole text (added tokens and the model's) to *e until it holds `limit` tokens.
bool HfTokenizer::encode_body(std::string_view text, int64_t limit, bool target_side, Encoding* e) const {
  const Impl& impl = *impl_;
  std::vector<Segment> raw, inner;
  split_added(text, 0, text.size(), false, &raw);
  const bool marian_target = kind_ == Kind::kSentencePiece && target_side && separate_target_vocab();
  const auto token_of = [&](int32_t id) -> const std::string& {
    return marian_target ? target_tokens_[id] : tokens_[id];
  };
  NormalizedText n;
  for (const Segment& seg : raw) {
    if (seg.id >= 0) {
      // An added token matched in the raw text (with a separate target vocabulary: its id there).
      int32_t id = seg.id;
      if (marian_target) {
        const auto it = target_ids_.find(tokens_[id]);
        id = it == target_ids_.end() ? impl.target_unk : it->second;
      }
      if (!e->emit(limit, id, token_of(id), static_cast<int64_t>(seg.begin), static_cast<int64_t>(seg.end)))
        return false;
      continue;
    }
    switch (kind_) {
      case Kind::kWordPiece: {
        n.clear();
        impl.wordpiece.normalize(text.substr(seg.begin, seg.end - seg.begin), static_cast<int32_t>(seg.begin), &n);
        inner.clear();
        split_added(n.text, 0, n.text.size(), true, &inner);
        for (const Segment& sub : inner) {
          if (sub.id >= 0) {
            if (!e->emit(limit, sub.id, tokens_[sub.id], n.start[sub.begin], n.end[sub.end - 1])) return false;
          } else if (!impl.wordpiece.encode_normalized(n, sub.begin, sub.end, limit, e)) {
            return false;
          }
        }
        break;
      }
      case Kind::kBpe: {
        inner.clear();
        split_added(text, seg.begin, seg.end, true, &inner);
        for (const Segment& sub : inner) {
          if (sub.id >= 0) {
            if (!e->emit(limit, sub.id, tokens_[sub.id], static_cast<int64_t>(sub.begin), static_cast<int64_t>(sub.end)))
              return false;
            continue;
          }
          const int64_t room = limit < 0 ? -1 : std::max<int64_t>(0, limit - static_cast<int64_t>(e->ids.size()));
          const Encoding part = impl.bpe.encode(text.substr(sub.begin, sub.end - sub.begin), room);
          for (size_t i = 0; i < part.ids.size(); ++i) {
            e->ids.push_back(part.ids[i]);
            e->tokens.push_back(part.tokens[i]);
            e->offsets.emplace_back(part.offsets[i].first + static_cast<int64_t>(sub.begin),
                                    part.offsets[i].second + static_cast<int64_t>(sub.begin));
          }
          if (part.truncated) {
            e->truncated = true;
            return false;
          }
        }
        break;
      }
      case Kind::kSentencePiece: {
        std::string_view piece_text = text.substr(seg.begin, seg.end - seg.begin);
        size_t base = seg.begin;
        // MarianTokenizer.remove_language_code: a leading ">>xx<<" is a token of its own.
        if (piece_text.compare(0, 2, ">>") == 0) {
          const size_t close = piece_text.find("<<");
          if (close != std::string_view::npos) {
            const std::string code(piece_text.substr(0, close + 2));
            int32_t id = marian_target ? (target_ids_.count(code) ? target_ids_.at(code) : impl.target_unk)
                                       : (ids_.count(code) ? ids_.at(code) : impl.unk);
            if (!e->emit(limit, id, token_of(id), static_cast<int64_t>(base), static_cast<int64_t>(base + close + 2)))
              return false;
            piece_text.remove_prefix(close + 2);
            base += close + 2;
          }
        }
        // SentencePiece reads valid UTF-8: invalid input is replaced first, and the spans mapped back.
        std::string valid;
        std::vector<int64_t> from, to;  // per byte of `valid`: the input span
        const bool clean = valid_utf8(piece_text);
        if (!clean) {
          for (size_t pos = 0; pos < piece_text.size();) {
            const unicode::Utf8Char c = unicode::decode_utf8(piece_text, pos);
            const size_t before = valid.size();
            if (c.invalid)
              unicode::append_utf8(unicode::kReplacement, &valid);
            else
              valid.append(piece_text.data() + pos, c.len);
            from.resize(valid.size(), static_cast<int64_t>(base + pos));
            to.resize(valid.size(), static_cast<int64_t>(base + pos + c.len));
            (void)before;
            pos += c.len;
          }
        }
        const SentencePiece& spm = target_side ? impl.target_spm : impl.source_spm;
        for (const SentencePiece::Piece& p : spm.encode(clean ? piece_text : std::string_view(valid))) {
          int32_t id;
          if (marian_target) {
            const auto it = target_ids_.find(p.piece);
            id = it == target_ids_.end() ? impl.target_unk : it->second;
          } else {
            const auto it = ids_.find(p.piece);
            id = it == ids_.end() ? impl.unk : it->second;
          }
          int64_t s, f;
          if (clean) {
            s = static_cast<int64_t>(base) + p.begin;
            f = static_cast<int64_t>(base) + p.end;
          } else if (p.begin < p.end) {
            s = from[p.begin];
            f = to[p.end - 1];
          } else {
            s = f = p.begin < static_cast<int64_t>(from.size()) ? from[p.begin]
                                                                 : static_cast<int64_t>(base + piece_text.size());
          }
          if (!e->emit(limit, id, token_of(id), s, f)) return false;
        }
        break;
      }
    }
  }
  return true;
}

Encoding HfTokenizer::encode(std::string_view text, bool add_special_tokens, int64_t max_tokens,
                             bool target_side) const {
  Encoding e;
  if (!impl_) return e;
  if (static_cast<int64_t>(text.size()) > kMaxInputBytes) {
    text = text.substr(0, prefix_at_char_boundary(text, static_cast<size_t>(kMaxInputBytes)));
    e.truncated = true;
  }
  const bool marian_target = kind_ == Kind::kSentencePiece && target_side && separate_target_vocab();
  const std::vector<int32_t>& suffix = marian_target ? impl_->target_suffix_ids : suffix_ids_;
  const std::vector<int32_t> none;
  const std::vector<int32_t>& prefix = add_special_tokens ? prefix_ids_ : none;
  const std::vector<int32_t>& after = add_special_tokens ? suffix : none;
  const int64_t specials = static_cast<int64_t>(prefix.size() + after.size());
  // The post-processor's tokens stay; the text gets the room that is left (Hugging Face truncates the sequence).
  const int64_t body_limit = max_tokens < 0 ? -1 : static_cast<int64_t>(prefix.size()) + std::max<int64_t>(0, max_tokens - specials);
  const auto token_of = [&](int32_t id) -> const std::string& {
    return marian_target ? target_tokens_[id] : tokens_[id];
  };
  for (const int32_t id : prefix) e.emit(-1, id, token_of(id), 0, 0);
  const bool body_complete = encode_body(text, body_limit, target_side, &e);
  const auto n = static_cast<int64_t>(text.size());
  // The part of the text that was read: all of it, or up to the last token's end.
  int64_t covered = n;
  if (!body_complete) covered = e.ids.size() > prefix.size() ? e.offsets.back().second : 0;
  for (const int32_t id : after) e.emit(-1, id, token_of(id), n, n);
  if (max_tokens >= 0 && static_cast<int64_t>(e.ids.size()) > max_tokens) {
    e.ids.resize(max_tokens);
    e.tokens.resize(max_tokens);
    e.offsets.resize(max_tokens);
    e.truncated = true;
  }
  for (size_t pos = 0; pos < static_cast<size_t>(covered);) {
    const unicode::Utf8Char c = unicode::decode_utf8(text, pos);
    e.replaced += c.invalid;
    pos += c.len;
  }
  return e;
}

// ------------------------------------------------------------------------------------------------ decoding

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  if (!impl_) return std::string();
  switch (kind_) {
    case Kind::kBpe: {
      std::vector<int32_t> kept;
      for (const int32_t id : ids)
        if (id >= 0 && id < vocab_size() && !(skip_special_tokens && special_[id])) kept.push_back(id);
      return impl_->bpe.decode(kept, false);
    }
    case Kind::kWordPiece: {
      std::vector<std::string> tokens;
      for (const int32_t id : ids)
        if (id >= 0 && id < vocab_size() && !(skip_special_tokens && special_[id])) tokens.push_back(tokens_[id]);
      return unicode::to_valid_utf8(impl_->wordpiece.decode_tokens(tokens));
    }
    case Kind::kSentencePiece: {
      // MarianTokenizer.convert_tokens_to_string: pieces decoded by target.spm, special tokens kept as text.
      std::string out;
      std::vector<std::string> pieces;
      for (const int32_t id : ids) {
        if (id < 0 || id >= target_vocab_size()) continue;
        const std::string& token = target_id_to_token(id);
        const int32_t source_id = separate_target_vocab() ? token_to_id(token) : id;
        if (source_id >= 0 && special_[source_id]) {
          if (skip_special_tokens) continue;
          out += impl_->target_spm.decode_pieces(pieces) + token + " ";
          pieces.clear();
        } else {
          pieces.push_back(token);
        }
      }
      out += impl_->target_spm.decode_pieces(pieces);
      // "▁" -> " ", then Python's str.strip().
      std::string spaced;
      for (size_t pos = 0; pos < out.size();) {
        if (out.compare(pos, 3, "\xE2\x96\x81") == 0) {
          spaced += ' ';
          pos += 3;
        } else {
          spaced += out[pos++];
        }
      }
      spaced = unicode::to_valid_utf8(spaced);
      size_t b = 0, f = spaced.size();
      const auto space_at = [&](size_t pos, size_t* len) {
        const unicode::Utf8Char c = unicode::decode_utf8(spaced, pos);
        *len = c.len;
        return unicode::is_white_space(c.cp) || (c.cp >= 0x1C && c.cp <= 0x1F);
      };
      size_t len;
      while (b < f && space_at(b, &len)) b += len;
      while (f > b) {
        size_t p = f - 1;
        while (p > b && (static_cast<unsigned char>(spaced[p]) & 0xC0) == 0x80) --p;
        if (!space_at(p, &len) || p + len != f) break;
        f = p;
      }
      return spaced.substr(b, f - b);
    }
  }
  return std::string();
}

}  // namespace attn
