// The tokenizers' WebAssembly exports (engine/text/tokenizer.h), wrapped by the Tokenizer class at the end of
// engine/bindings/attn.mjs; call that, not these.
//
// Conventions between the two files:
//   - encode's text goes in as UTF-8 bytes (a Uint8Array from TextEncoder, so lone surrogates are already U+FFFD);
//   - methods that can fail return an error message ("" on success);
//   - decode returns the text as UTF-8 bytes (a Uint8Array);
//   - encode returns {ids: Int32Array, offsets: Int32Array [start0, end0, start1, ...] in BYTES, truncated,
//     replaced}; attn.mjs converts the offsets to UTF-16 code units. Arrays are copies, safe from memory growth.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <vector>

#include "bindings/js_values.h"
#include "bindings/live_handles.h"
#include "io/json.h"
#include "text/hf_tokenizer.h"
#include "text/tokenizer.h"

using emscripten::val;

namespace attn {
namespace {

using js::bytes_from;

std::vector<std::string> strings_from(const val& array) {
  std::vector<std::string> out;
  const unsigned n = array["length"].as<unsigned>();
  out.reserve(n);
  for (unsigned i = 0; i < n; ++i) out.push_back(array[i].as<std::string>());
  return out;
}


template <typename T>
val typed_array(const std::vector<T>& v) {
  return val(emscripten::typed_memory_view(v.size(), v.data())).call<val>("slice");
}

// An encoding as {ids: Int32Array, offsets: Int32Array [start0, end0, ...] (bytes), truncated, replaced}.
val encoding_js(const Encoding& e) {
  std::vector<int32_t> offsets;
  offsets.reserve(2 * e.offsets.size());
  for (const auto& [start, end] : e.offsets) {
    offsets.push_back(static_cast<int32_t>(start));  // < kMaxInputBytes
    offsets.push_back(static_cast<int32_t>(end));
  }
  val out = val::object();
  out.set("ids", typed_array(e.ids));
  out.set("offsets", typed_array(offsets));
  out.set("truncated", e.truncated);
  out.set("replaced", static_cast<double>(e.replaced));
  return out;
}

class TokenizerHandle : js::LiveHandle<js::kTokenizerHandle> {
 public:
  std::string load(const std::string& json) {
    const Status st = Tokenizer::from_json(json, &tokenizer_);
    return st.ok() ? "" : st.message();
  }

  // kind "bpe" or "char"; texts and special_tokens are arrays of strings.
  std::string train(const std::string& kind, const val& texts, double vocab_size, double min_count,
                    const val& special_tokens, const std::string& unk_token) {
    if (kind != "bpe" && kind != "char") return "kind must be 'bpe' or 'char'";
    const Tokenizer::Kind k = kind == "bpe" ? Tokenizer::Kind::kByteBpe : Tokenizer::Kind::kChar;
    const std::vector<std::string> specials = strings_from(special_tokens);
    const Status st = Tokenizer::check_special_tokens(k, specials, unk_token);
    if (!st.ok()) return st.message();
    if (k == Tokenizer::Kind::kByteBpe) {
      if (!(vocab_size >= 0 && vocab_size <= Tokenizer::kMaxVocabSize))
        return "vocabSize must be between 0 and " + std::to_string(Tokenizer::kMaxVocabSize);
      tokenizer_ = Tokenizer::train_bpe(strings_from(texts), static_cast<int32_t>(vocab_size), specials);
    } else {
      if (!(min_count >= 1 && min_count <= 2147483647.0)) return "minCount must be at least 1";
      tokenizer_ = Tokenizer::train_chars(strings_from(texts), static_cast<int32_t>(min_count), specials, unk_token);
    }
    return "";
  }

  val encode(const val& utf8, double max_tokens) const {
    const Encoding e = tokenizer_.encode(bytes_from(utf8), max_tokens >= 0 ? static_cast<int64_t>(max_tokens) : -1);
    return encoding_js(e);
  }

  // UTF-8 bytes (a Uint8Array): as a std::string, embind would decode it with a TextDecoder that drops a leading BOM.
  val decode(const val& ids, bool skip_special_tokens) const {
    const std::string text = tokenizer_.decode(emscripten::convertJSArrayToNumberVector<int32_t>(ids), skip_special_tokens);
    return js::bytes_js(text);
  }

  // Every token's string, id order, as a JSON array (one call instead of one per token).
  std::string vocab_json() const {
    std::string out = "[";
    for (int32_t id = 0; id < tokenizer_.vocab_size(); ++id) {
      if (id) out += ',';
      out += Json::string(tokenizer_.id_to_token(id)).dump();
    }
    return out + "]";
  }

  val special_ids() const {
    std::vector<int32_t> ids;
    for (int32_t id = 0; id < tokenizer_.vocab_size(); ++id)
      if (tokenizer_.is_special(id)) ids.push_back(id);
    return typed_array(ids);
  }

  int token_to_id(const std::string& token) const { return tokenizer_.token_to_id(token); }
  std::string to_json() const { return tokenizer_.to_json(); }
  std::string kind() const { return tokenizer_.kind() == Tokenizer::Kind::kByteBpe ? "bpe" : "char"; }
  double max_input_bytes() const { return static_cast<double>(Tokenizer::kMaxInputBytes); }

 private:
  Tokenizer tokenizer_;
};


// ------------------------------------------------------------------------------------------------ Hugging Face
// HfTokenizerHandle (text/hf_tokenizer.h), wrapped by the HfTokenizer class of attn.mjs, with the conventions
// above: load(names, contents) takes the file names and their bytes (Uint8Arrays) and returns "" or the error;
// encode(utf8, maxTokens, addSpecialTokens, target) returns {ids, offsets (bytes), truncated, replaced}.
class HfTokenizerHandle : js::LiveHandle<js::kHfTokenizerHandle> {
 public:
  std::string load(const val& names, const val& contents) {
    const unsigned n = names["length"].as<unsigned>();
    if (contents["length"].as<unsigned>() != n) return "loadHfTokenizer: one content per file name";
    std::vector<std::string> bytes(n);
    HfTokenizer::Files files;
    for (unsigned i = 0; i < n; ++i) {
      bytes[i] = bytes_from(contents[i]);
      files[names[i].as<std::string>()] = bytes[i];
    }
    if (!HfTokenizer::present(files))
      return "loadHfTokenizer: no tokenizer file (tokenizer.json, vocab.json + merges.txt, vocab.txt, or "
             "source.spm + target.spm + vocab.json)";
    const Status st = HfTokenizer::load(files, &tokenizer_);
    return st.ok() ? "" : st.message();
  }

  val encode(const val& utf8, double max_tokens, bool add_special_tokens, bool target) const {
    const Encoding e = tokenizer_.encode(bytes_from(utf8), add_special_tokens,
                                         max_tokens >= 0 ? static_cast<int64_t>(max_tokens) : -1, target);
    return encoding_js(e);
  }

  val decode(const val& ids, bool skip_special_tokens) const {
    const std::string text = tokenizer_.decode(emscripten::convertJSArrayToNumberVector<int32_t>(ids), skip_special_tokens);
    return js::bytes_js(text);
  }

  std::string vocab_json() const {
    std::string out = "[";
    for (int32_t id = 0; id < tokenizer_.vocab_size(); ++id) {
      if (id) out += ',';
      out += Json::string(tokenizer_.id_to_token(id)).dump();
    }
    return out + "]";
  }

  // The target side's vocabulary when it is separate (Marian with target_vocab.json), else "".
  std::string target_vocab_json() const {
    if (!tokenizer_.separate_target_vocab()) return "";
    std::string out = "[";
    for (int32_t id = 0; id < tokenizer_.target_vocab_size(); ++id) {
      if (id) out += ',';
      out += Json::string(tokenizer_.target_id_to_token(id)).dump();
    }
    return out + "]";
  }

  val special_ids() const {
    std::vector<int32_t> ids;
    for (int32_t id = 0; id < tokenizer_.vocab_size(); ++id)
      if (tokenizer_.is_special(id)) ids.push_back(id);
    return typed_array(ids);
  }

  // {cls, sep, mask, pad, unk, bos, eos}: ids, or null.
  val special_tokens() const {
    val out = val::object();
    for (const char* role : {"cls", "sep", "mask", "pad", "unk", "bos", "eos"}) {
      const int32_t id = tokenizer_.special_id(role);
      out.set(role, id >= 0 ? val(id) : val::null());
    }
    return out;
  }

  int token_to_id(const std::string& token) const { return tokenizer_.token_to_id(token); }
  std::string kind() const { return tokenizer_.kind_name(); }
  std::string source() const { return tokenizer_.source(); }
  double max_input_bytes() const { return static_cast<double>(HfTokenizer::kMaxInputBytes); }

 private:
  HfTokenizer tokenizer_;
};

}  // namespace
}  // namespace attn

EMSCRIPTEN_BINDINGS(attn_tokenizer) {
  using attn::TokenizerHandle;
  emscripten::class_<TokenizerHandle>("TokenizerHandle")
      .constructor<>()
      .function("load", &TokenizerHandle::load)
      .function("train", &TokenizerHandle::train)
      .function("encode", &TokenizerHandle::encode)
      .function("decode", &TokenizerHandle::decode)
      .function("vocabJson", &TokenizerHandle::vocab_json)
      .function("specialIds", &TokenizerHandle::special_ids)
      .function("tokenToId", &TokenizerHandle::token_to_id)
      .function("toJson", &TokenizerHandle::to_json)
      .function("kind", &TokenizerHandle::kind)
      .function("maxInputBytes", &TokenizerHandle::max_input_bytes);
}

EMSCRIPTEN_BINDINGS(attn_hf_tokenizer) {
  using attn::HfTokenizerHandle;
  emscripten::class_<HfTokenizerHandle>("HfTokenizerHandle")
      .constructor<>()
      .function("load", &HfTokenizerHandle::load)
      .function("encode", &HfTokenizerHandle::encode)
      .function("decode", &HfTokenizerHandle::decode)
      .function("vocabJson", &HfTokenizerHandle::vocab_json)
      .function("targetVocabJson", &HfTokenizerHandle::target_vocab_json)
      .function("specialIds", &HfTokenizerHandle::special_ids)
      .function("specialTokens", &HfTokenizerHandle::special_tokens)
      .function("tokenToId", &HfTokenizerHandle::token_to_id)
      .function("kind", &HfTokenizerHandle::kind)
      .function("source", &HfTokenizerHandle::source)
      .function("maxInputBytes", &HfTokenizerHandle::max_input_bytes);
}
