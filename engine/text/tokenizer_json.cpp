// Tokenizer <-> Hugging Face tokenizer.json.
//
// Byte-level BPE is written as GPT-2's tokenizer.json is: pre_tokenizer and decoder ByteLevel (no prefix space),
// model BPE with the vocabulary and the merges ("left right", in rank order).
// Character level is written as a model that Hugging Face's encoders run to the same ids: model BPE with the
// characters as vocabulary, no merges and an unk_token, and no pre-tokenizer, so the whole text is one word, split
// into its characters, each looked up, unknown ones giving the unk token; decoder Fuse (concatenation).
// In both, the special tokens are "added_tokens" (special: true) and also entries of the model's vocab.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <unordered_set>

#include "io/json.h"
#include "text/json_fields.h"
#include "text/pretokenize.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace attn {

// ------------------------------------------------------------------------------------------------------ writing

std::string Tokenizer::to_json() const {
  const auto str = [](const std::string& s) { return Json::string(s).dump(); };
  std::string o = R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[)";
  bool first = true;
  for (int32_t id = 0; id < vocab_size(); ++id) {
    if (role_[id] == kModelToken) continue;
    if (!first) o += ',';
    first = false;
    o += R"({"id":)" + std::to_string(id) + R"(,"content":)" + str(tokens_[id]) +
         R"(,"single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":)" +
         (role_[id] == kSpecialToken ? "true" : "false") + "}";
  }
  o += R"(],"normalizer":null,)";
  if (kind_ == Kind::kByteBpe) {
    const char* byte_level = R"({"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true})";
    o += std::string(R"("pre_tokenizer":)") + byte_level + R"(,"post_processor":null,"decoder":)" + byte_level + ",";
  } else {
    o += R"("pre_tokenizer":null,"post_processor":null,"decoder":{"type":"Fuse"},)";
  }
  o += R"("model":{"type":"BPE","dropout":null,"unk_token":)";
  o += unk_id_ >= 0 ? str(tokens_[unk_id_]) : "null";
  o += R"(,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,)";
  o += R"("vocab":{)";
  for (int32_t id = 0; id < vocab_size(); ++id) {
    if (id) o += ',';
    o += str(tokens_[id]) + ":" + std::to_string(id);
  }
  o += R"(},"merges":[)";
  for (size_t i = 0; i < merges_.size(); ++i) {
    if (i) o += ',';
    o += str(tokens_[merges_[i].first] + " " + tokens_[merges_[i].second]);
  }
  o += "]}}";
  return o;
}

// ------------------------------------------------------------------------------------------------------ reading

namespace {

Status fail(const std::string& message) { return Status::error("tokenizer.json: " + message); }
Status check_keys(const Json& obj, const std::string& where, std::initializer_list<const char*> allowed) {
  return tokfile::check_keys(obj, where, allowed, "tokenizer.json: ");
}
using tokfile::quoted;
using tokfile::type_of;



bool is_null_or_absent(const Json& obj, const char* key) {
  const Json* v = obj.find(key);
  return v == nullptr || v->is_null();
}

// `key` of `obj` is absent or a boolean; when `required` is 0 or 1 it must also have that value.
Status check_bool(const Json& obj, const std::string& where, const char* key, int required = -1) {
  const Json* v = obj.find(key);
  if (v == nullptr) return Status();
  if (!v->is_bool()) return fail(where + "." + key + " must be true or false");
  if (required >= 0 && v->as_bool() != (required == 1))
    return fail(where + "." + key + " = " + (v->as_bool() ? "true" : "false") + " is not supported");
  return Status();
}

Status get_id(const Json& v, const std::string& where, int32_t* id) {
  // Range first: casting an out-of-range double to an integer is undefined behaviour.
  if (!v.is_number() || !(v.as_number() >= 0) || v.as_number() >= Tokenizer::kMaxVocabSize ||
      v.as_number() != std::floor(v.as_number()))
    return fail(where + " must be an integer id in [0, " + std::to_string(Tokenizer::kMaxVocabSize) + ")");
  *id = static_cast<int32_t>(v.as_number());
  return Status();
}


// A ByteLevel pre-tokenizer, decoder or post-processor (only the GPT-2 configuration changes no ids).
Status check_byte_level(const Json* v, const std::string& where, bool required) {
  if (v == nullptr || v->is_null()) {
    if (required) return fail(where + " must be ByteLevel for a byte-level BPE tokenizer");
    return Status();
  }
  if (!v->is_object() || std::string(type_of(*v)) != "ByteLevel")
    return fail(where + " must be {\"type\": \"ByteLevel\", ...} for a byte-level BPE tokenizer");
  ATTN_TRY(check_keys(*v, where, {"type", "add_prefix_space", "trim_offsets", "use_regex"}));
  const bool is_pre_tokenizer = where == "pre_tokenizer";
  ATTN_TRY(check_bool(*v, where, "add_prefix_space", is_pre_tokenizer ? 0 : -1));
  ATTN_TRY(check_bool(*v, where, "use_regex", is_pre_tokenizer ? 1 : -1));
  return check_bool(*v, where, "trim_offsets");
}

// One merge: "left right" or ["left", "right"].
Status get_merge(const Json& m, size_t i, std::string* left, std::string* right) {
  const std::string where = "model.merges[" + std::to_string(i) + "]";
  if (m.is_string()) {
    const std::string& s = m.as_string();
    const size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == s.size() || s.find(' ', space + 1) != std::string::npos)
      return fail(where + " " + quoted(s) + " must be two tokens separated by one space");
    *left = s.substr(0, space);
    *right = s.substr(space + 1);
    return Status();
  }
  if (m.is_array() && m.items().size() == 2 && m.items()[0].is_string() && m.items()[1].is_string()) {
    *left = m.items()[0].as_string();
    *right = m.items()[1].as_string();
    return Status();
  }
  return fail(where + " must be a string \"left right\" or an array [\"left\", \"right\"]");
}

}  // namespace

Status Tokenizer::from_json(std::string_view text, Tokenizer* out) {
  Json root;
  const Status parsed = Json::parse(text, &root);
  if (!parsed.ok()) return fail(parsed.message());
  return from_json(root, out);
}

Status Tokenizer::from_json(const Json& root, Tokenizer* out) {
  if (!root.is_object()) return fail("the file must be a JSON object");
  ATTN_TRY(check_keys(root, "top level", {"version", "truncation", "padding", "added_tokens", "normalizer",
                                          "pre_tokenizer", "post_processor", "decoder", "model"}));
  if (const Json* v = root.find("version"); v && !(v->is_string() && v->as_string() == "1.0"))
    return fail("version must be \"1.0\"");
  for (const char* key : {"truncation", "padding", "normalizer"})
    if (!is_null_or_absent(root, key)) return fail(std::string(key) + " is not supported (must be null)");

  // The model.
  const Json* model = root.find("model");
  if (model == nullptr || !model->is_object()) return fail("model must be an object");
  ATTN_TRY(check_keys(*model, "model", {"type", "dropout", "unk_token", "continuing_subword_prefix",
                                        "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges", "vocab",
                                        "merges"}));
  if (std::string(type_of(*model)) != "BPE") return fail("model.type must be \"BPE\"");
  if (!is_null_or_absent(*model, "dropout")) return fail("model.dropout is not supported (must be null)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const Json* v = model->find(key);
    if (v && !v->is_null() && !(v->is_string() && v->as_string().empty()))
      return fail(std::string("model.") + key + " is not supported (must be null or \"\")");
  }
  for (const char* key : {"fuse_unk", "byte_fallback", "ignore_merges"}) ATTN_TRY(check_bool(*model, "model", key, 0));
  const Json* unk = model->find("unk_token");
  if (unk && !unk->is_null() && !unk->is_string()) return fail("model.unk_token must be a string or null");
  const Json* vocab = model->find("vocab");
  if (vocab == nullptr || !vocab->is_object()) return fail("model.vocab must be an object {token: id}");
  const Json* merges = model->find("merges");
  if (merges == nullptr || !merges->is_array()) return fail("model.merges must be an array");

  // Which kind: the pre-tokenizer says.
  const Json* pre = root.find("pre_tokenizer");
  const Json* decoder = root.find("decoder");
  const Json* post = root.find("post_processor");
  Kind kind;
  if (pre == nullptr || pre->is_null()) {
    kind = Kind::kChar;
    if (decoder == nullptr || !decoder->is_object() || std::string(type_of(*decoder)) != "Fuse")
      return fail("decoder must be {\"type\": \"Fuse\"} for a character-level tokenizer (no pre_tokenizer)");
    ATTN_TRY(check_keys(*decoder, "decoder", {"type"}));
    if (post && !post->is_null()) return fail("post_processor must be null for a character-level tokenizer");
    if (!merges->items().empty()) return fail("a character-level tokenizer (no pre_tokenizer) has no merges");
    if (unk == nullptr || !unk->is_string())
      return fail("model.unk_token is required for a character-level tokenizer (no pre_tokenizer)");
  } else if (pre->is_object() && std::string(type_of(*pre)) == "ByteLevel") {
    kind = Kind::kByteBpe;
    ATTN_TRY(check_byte_level(pre, "pre_tokenizer", true));
    ATTN_TRY(check_byte_level(decoder, "decoder", true));
    ATTN_TRY(check_byte_level(post, "post_processor", false));
  } else {
    return fail("pre_tokenizer must be ByteLevel (byte-level BPE) or null (character level); other pre-tokenizers "
                "are not supported");
  }

  // Every id, from the vocab and the added tokens: they must run from 0 to n - 1, one token each.
  std::vector<std::string> tokens;
  std::vector<Role> roles;
  std::vector<uint8_t> filled;
  auto place = [&](int32_t id, const std::string& token) {
    if (id >= static_cast<int32_t>(tokens.size())) {
      tokens.resize(id + 1);
      roles.resize(id + 1, kModelToken);
      filled.resize(id + 1, 0);
    }
    if (filled[id] && tokens[id] != token)
      return fail("id " + std::to_string(id) + " is given to both " + quoted(tokens[id]) + " and " + quoted(token));
    tokens[id] = token;
    filled[id] = 1;
    return Status();
  };
  for (const auto& [token, value] : vocab->members()) {
    if (token.empty()) return fail("model.vocab has an empty token");
    int32_t id;
    ATTN_TRY(get_id(value, "model.vocab[" + quoted(token) + "]", &id));
    ATTN_TRY(place(id, token));
  }
  std::unordered_map<std::string, int32_t> vocab_ids;
  for (const auto& [token, value] : vocab->members()) vocab_ids.emplace(token, static_cast<int32_t>(value.as_number()));

  if (const Json* added = root.find("added_tokens"); added && !added->is_null()) {
    if (!added->is_array()) return fail("added_tokens must be an array");
    std::unordered_set<std::string> seen;
    for (size_t i = 0; i < added->items().size(); ++i) {
      const Json& a = added->items()[i];
      const std::string where = "added_tokens[" + std::to_string(i) + "]";
      if (!a.is_object()) return fail(where + " must be an object");
      ATTN_TRY(check_keys(a, where, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}));
      const Json* id_v = a.find("id");
      const Json* content = a.find("content");
      if (id_v == nullptr || content == nullptr) return fail(where + " needs an id and a content");
      int32_t id;
      ATTN_TRY(get_id(*id_v, where + ".id", &id));
      if (!content->is_string() || content->as_string().empty()) return fail(where + ".content must be a non-empty string");
      for (const char* key : {"single_word", "lstrip", "rstrip", "normalized", "special"})
        ATTN_TRY(check_bool(a, where, key));
      const std::string& c = content->as_string();
      if (!seen.insert(c).second) return fail(where + ": " + quoted(c) + " is added twice");
      const auto in_vocab = vocab_ids.find(c);
      if (in_vocab != vocab_ids.end() && in_vocab->second != id)
        return fail(where + ": " + quoted(c) + " has id " + std::to_string(id) + " but id " +
                    std::to_string(in_vocab->second) + " in model.vocab");
      ATTN_TRY(place(id, c));
      roles[id] = a.bool_or("special", false) ? kSpecialToken : kAddedToken;
    }
  }
  if (tokens.empty()) return fail("the vocabulary is empty");
  for (size_t id = 0; id < tokens.size(); ++id)
    if (!filled[id])
      return fail("id " + std::to_string(id) + " has no token (ids must run from 0 to " +
                  std::to_string(tokens.size() - 1) + ")");

  // The tokens themselves.
  Tokenizer t(kind);
  t.byte_id_.fill(-1);
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string& token = tokens[id];
    std::string bytes = token;
    if (roles[id] == kModelToken) {
      if (kind == Kind::kByteBpe) {
        if (!token_to_bytes(token, &bytes))
          return fail("model.vocab: token " + quoted(token) + " (id " + std::to_string(id) +
                      ") has characters that stand for no byte (GPT-2's bytes_to_unicode)");
        if (bytes.size() == 1) t.byte_id_[static_cast<unsigned char>(bytes[0])] = static_cast<int32_t>(id);
      } else {
        const unicode::Utf8Char c = unicode::decode_utf8(token, 0);
        if (c.invalid || c.len != token.size())
          return fail("model.vocab: token " + quoted(token) + " (id " + std::to_string(id) +
                      ") is not a single character, which a character-level tokenizer needs");
        t.char_id_[c.cp] = static_cast<int32_t>(id);
      }
    }
    t.add_token(token, std::move(bytes), roles[id]);
  }

  if (kind == Kind::kByteBpe) {
    for (int b = 0; b < 256; ++b)
      if (t.byte_id_[b] < 0)
        return fail("model.vocab has no token for byte " + std::to_string(b) + " (" +
                    quoted(bytes_to_token(std::string(1, static_cast<char>(b)))) + ")");
    if (unk && unk->is_string() && t.token_to_id(unk->as_string()) < 0)
      return fail("model.unk_token " + quoted(unk->as_string()) + " is not in the vocabulary");
    // Merges: both parts and the result must be model tokens; each pair once.
    auto model_token = [&](const std::string& s) {
      const int32_t id = t.token_to_id(s);
      return (id >= 0 && t.role_[id] == kModelToken) ? id : -1;
    };
    for (size_t i = 0; i < merges->items().size(); ++i) {
      std::string left, right;
      ATTN_TRY(get_merge(merges->items()[i], i, &left, &right));
      const std::string where = "model.merges[" + std::to_string(i) + "] " + quoted(left + " " + right);
      const int32_t l = model_token(left), r = model_token(right), m = model_token(left + right);
      if (l < 0) return fail(where + ": " + quoted(left) + " is not a token of the model's vocabulary");
      if (r < 0) return fail(where + ": " + quoted(right) + " is not a token of the model's vocabulary");
      if (m < 0) return fail(where + ": the merged " + quoted(left + right) + " is not a token of the model's vocabulary");
      if (t.merge_rules_.count(pair_key(l, r))) return fail(where + " appears twice");
      t.add_merge(l, r, m);
    }
  } else {
    t.unk_id_ = t.token_to_id(unk->as_string());
    if (t.unk_id_ < 0) return fail("model.unk_token " + quoted(unk->as_string()) + " is not in the vocabulary");
  }
  *out = std::move(t);
  return Status();
}

}  // namespace attn
