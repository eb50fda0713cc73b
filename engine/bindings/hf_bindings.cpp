// Hugging Face checkpoints' WebAssembly exports (engine/hf/), wrapped by the HfModel class of
// engine/bindings/attn.mjs; call that, not these.
//
// Conventions between the two files:
//   - files arrive as a JS object {name: Uint8Array}; the engine copies model.safetensors one tensor at a time
//     (HfFilesFromJs below), so a checkpoint never sits in WebAssembly memory twice;
//   - a call that can fail returns "" / {error} or its result; tensors are {data: Float32Array, shape}, copies,
//     safe from memory growth.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <memory>
#include <string>

#include "bindings/js_values.h"
#include "bindings/live_handles.h"
#include "hf/weights.h"
#include "models/head_stats.h"

using emscripten::val;

namespace attn {
namespace {

using namespace js;

// The files of a model folder as JS Uint8Arrays, read by range. A file may also be given by its first bytes only,
// {size, head: Uint8Array} (for HfLoadOptions::check_only: a page checks a model before reading gigabytes).
class HfFilesFromJs : public HfFiles {
 public:
  explicit HfFilesFromJs(val files) : files_(std::move(files)) {}
  bool has(const std::string& name) const override {
    const val f = files_[name];
    return !f.isUndefined() && !f.isNull();
  }
  uint64_t size(const std::string& name) const override {
    if (!has(name)) return 0;
    const val f = files_[name];
    return static_cast<uint64_t>((partial(f) ? f["size"] : f["length"]).as<double>());
  }
  Status read(const std::string& name, uint64_t offset, uint64_t n, char* dst) const override {
    if (!has(name)) return Status::error(name + " is missing");
    const val f = files_[name];
    const val bytes = partial(f) ? f["head"] : f;
    const val part = bytes.call<val>("subarray", static_cast<double>(offset), static_cast<double>(offset + n));
    if (static_cast<uint64_t>(part["length"].as<double>()) != n)
      return Status::error(partial(f) ? name + ": only its first " + std::to_string(static_cast<uint64_t>(bytes["length"].as<double>())) +
                                            " bytes were given"
                                      : name + ": read past the end");
    // No allocation between making the view and filling it, so memory growth cannot detach it.
    val(emscripten::typed_memory_view(static_cast<size_t>(n), reinterpret_cast<uint8_t*>(dst))).call<void>("set", part);
    return Status();
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    const val keys = val::global("Object").call<val>("keys", files_);
    for (unsigned i = 0; i < keys["length"].as<unsigned>(); ++i) out.push_back(keys[i].as<std::string>());
    return out;
  }

 private:
  static bool partial(const val& f) { return f["head"].isUndefined() == false && !f["head"].isNull(); }
  val files_;
};

// The WebAssembly memory a model may still use: the module's maximum (2 GB) less what is allocated now.
int64_t available_bytes() {
  constexpr int64_t kMaximum = int64_t{2} << 30;
  const struct mallinfo info = mallinfo();
  return kMaximum - static_cast<int64_t>(info.uordblks) - (int64_t{32} << 20);
}

std::vector<int32_t> ints_or_empty(const val& v) {
  if (v.isUndefined() || v.isNull()) return {};
  return ids_from(v);
}

val tensors_js(const std::vector<const Tensor*>& ts) {
  val out = val::array();
  for (const Tensor* t : ts) out.call<void>("push", to_js(*t));
  return out;
}

// {family, architectures, vocab_size, d_model, num_layers, num_heads, ffn_dim, max_positions, ... } as JSON text
// (GPT-2: also scale_attn_weights and scale_attn_by_inverse_layer_idx).
std::string config_json(const HfConfig& c) {
  Json j = Json::object();
  j.set("family", Json::string(hf_family_name(c.family)));
  Json arch = Json::array();
  for (const auto& a : c.architectures) arch.push(Json::string(a));
  j.set("architectures", std::move(arch));
  const auto num = [&](const char* k, double v) { j.set(k, Json::number(v)); };
  num("vocab_size", static_cast<double>(c.vocab_size));
  num("d_model", static_cast<double>(c.d_model));
  num("num_layers", static_cast<double>(c.num_layers));
  num("num_heads", static_cast<double>(c.num_heads));
  num("ffn_dim", static_cast<double>(c.ffn_dim));
  num("max_positions", static_cast<double>(c.max_positions));
  num("layer_norm_eps", static_cast<double>(c.layer_norm_eps));
  j.set("activation", Json::string(activation_name(c.activation)));
  num("type_vocab_size", static_cast<double>(c.type_vocab_size));
  if (c.encoder_decoder()) {
    num("decoder_layers", static_cast<double>(c.decoder_layers));
    num("decoder_heads", static_cast<double>(c.decoder_heads));
    num("decoder_ffn_dim", static_cast<double>(c.decoder_ffn_dim));
    num("decoder_vocab_size", static_cast<double>(c.decoder_vocab_size));
    num("decoder_start_token_id", c.decoder_start_token_id);
    num("max_length", c.max_length);
  }
  num("pad_token_id", c.pad_token_id);
  num("bos_token_id", c.bos_token_id);
  num("eos_token_id", c.eos_token_id);
  if (c.family == HfFamily::kGpt2) {  // how its scores are scaled (the neuron view says it)
    j.set("scale_attn_weights", Json::boolean(c.scale_attn_weights));
    j.set("scale_attn_by_inverse_layer_idx", Json::boolean(c.scale_attn_by_inverse_layer_idx));
  }
  j.set("lm_head", Json::boolean(c.family == HfFamily::kGpt2 || c.encoder_decoder() || c.lm_head));
  j.set("causal", Json::boolean(c.causal()));
  return j.dump();
}

// {dtype, unused: [names], bytes, maxTokens, parameters} of a load or a check.
val info_js(const HfLoaded& l) {
  val out = val::object();
  out.set("dtype", l.dtype);
  val unused = val::array();
  for (const auto& n : l.unused) unused.call<void>("push", n);
  out.set("unused", unused);
  out.set("bytes", static_cast<double>(l.bytes));
  out.set("maxTokens", static_cast<double>(l.max_tokens));
  out.set("parameters", static_cast<double>(l.config.parameter_count()));
  return out;
}

// Checks a model folder without reading its weights (HfLoadOptions::check_only): {config, ...info} or {error}.
val inspect_hf(const val& files, double max_bytes) {
  HfFilesFromJs source(files);
  HfLoadOptions options;
  options.check_only = true;
  options.max_bytes = max_bytes > 0 ? static_cast<int64_t>(max_bytes) : available_bytes();
  HfLoaded loaded;
  const Status st = load_hf_model(source, options, &loaded);
  if (!st.ok()) return error_js(st);
  val out = info_js(loaded);
  out.set("config", config_json(loaded.config));
  return out;
}

class HfModelHandle : js::LiveHandle<js::kHfModelHandle> {
 public:
  // "" or the reason the files cannot be loaded. max_bytes <= 0: what the WebAssembly memory has left.
  std::string load(const val& files, double max_bytes) {
    HfFilesFromJs source(files);
    HfLoadOptions options;
    options.max_bytes = max_bytes > 0 ? static_cast<int64_t>(max_bytes) : available_bytes();
    HfLoaded loaded;
    const Status st = load_hf_model(source, options, &loaded);
    if (!st.ok()) return st.message();
    loaded_ = std::move(loaded);
    return "";
  }

  std::string config() const { return config_json(loaded_.config); }

  // {dtype, unused: [names], bytes, maxTokens, parameters}
  val info() { return info_js(loaded_); }

  // inputs: {input_ids, attention_mask?, token_type_ids?, decoder_input_ids?} (Int32Arrays) and the head masks
  // {head_mask?, decoder_head_mask?, cross_attn_head_mask?, head_mean?, ...} ({data, shape});
  // options JSON: {"logits": "all" | "last" | "none" | [positions], "trace": "none" | "weights" | "full",
  // "cache": continue from the last pass when the ids (and head masks) begin alike (GPT-2; not with "full")}.
  val forward(const val& inputs, const std::string& options) {
    Json o;
    Status st = parse_options(options, &o);
    if (!st.ok()) return error_js(st);
    HfInput in;
    st = input_from(inputs, &in);
    if (st.ok()) st = logit_option(o, &in);
    if (!st.ok()) return error_js(st);
    const std::string trace = o.string_or("trace", "none");
    in.reuse_cache = o.bool_or("cache", false) && trace != "full";
    in.full_trace = trace == "full";
    st = loaded_.model->forward(in, &cache_);
    if (!st.ok()) return error_js(st);
    val out = outputs_js(trace);
    out.set("reused", static_cast<double>(cache_.reused));
    return out;
  }

  // Greedy translation (Marian). inputs: {input_ids, attention_mask?} and the head masks (as forward, applied at
  // every step); options {"max_new_tokens", "trace"}.
  // Returns the outputs of the final teacher-forced pass and `sequences` (Int32Array, from the start token).
  val generate(const val& inputs, const std::string& options) {
    Json o;
    Status st = parse_options(options, &o);
    HfInput in;
    if (st.ok()) st = input_from(inputs, &in);
    if (!st.ok()) return error_js(st);
    in.full_trace = o.string_or("trace", "none") == "full";
    std::vector<int32_t> ids;
    st = loaded_.model->generate(in, static_cast<int64_t>(o.number_or("max_new_tokens", 64)), &ids, &cache_);
    if (!st.ok()) return error_js(st);
    val out = outputs_js(o.string_or("trace", "none"));
    out.set("sequences", int32_js(ids));
    return out;
  }

  // What each head does over many sequences (models/head_stats.h), as Model.headStats: {"encoder" | "decoder":
  // [[stat per head] per layer]} (BERT, DistilBERT: encoder; GPT-2: decoder), or for Marian {"encoder",
  // "decoder", "cross"}. seqs: Int32Array[] (input_ids); punct: Uint8Array[] (1 = punctuation token, same
  // lengths); tgts: Int32Array[] of decoder inputs for Marian (e.g. its translations), else undefined.
  val head_stats(const val& seqs_js, const val& punct_js, const val& tgts_js) {
    const HfModel& m = *loaded_.model;
    const HfConfig& c = m.config;
    const bool seq2seq = c.encoder_decoder();
    const std::vector<std::vector<int32_t>> seqs = sequences_of(seqs_js);
    const std::vector<std::vector<uint8_t>> punct = flags_of(punct_js);
    const std::vector<std::vector<int32_t>> tgts = seq2seq ? sequences_of(tgts_js) : std::vector<std::vector<int32_t>>{};
    if (punct.size() != seqs.size() || (seq2seq && tgts.size() != seqs.size()))
      return error_js(Status::error("headStats: seqs, punct (and tgts) must have the same length"));
    HeadStats self(c.num_layers, c.num_heads), dec(seq2seq ? c.decoder_layers : 1, seq2seq ? c.decoder_heads : 1),
        cross(seq2seq ? c.decoder_layers : 1, seq2seq ? c.decoder_heads : 1);
    HfCache cache;
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (punct[i].size() != seqs[i].size()) return error_js(Status::error("headStats: punct lengths must match seqs"));
      HfInput in;
      in.input_ids = seqs[i];
      if (seq2seq) in.decoder_input_ids = tgts[i];
      in.logits = false;
      const Status st = m.forward(in, &cache);
      if (!st.ok()) return error_js(st);
      const std::vector<int64_t> len = {static_cast<int64_t>(seqs[i].size())};
      for (size_t l = 0; l < cache.stack.layers.size(); ++l)
        self.add(static_cast<int64_t>(l), cache.stack.layers[l].self_attn.weights, len, len, punct[i], true);
      const std::vector<int64_t> tlen = {cache.Td};
      for (size_t l = 0; l < cache.decoder.layers.size(); ++l) {
        dec.add(static_cast<int64_t>(l), cache.decoder.layers[l].self_attn.weights, tlen, tlen, {}, true);
        cross.add(static_cast<int64_t>(l), cache.decoder.layers[l].multihead_attn.weights, tlen, len, punct[i], false);
      }
    }
    val out = val::object();
    if (seq2seq) {
      out.set("encoder", head_stats_js(self));
      out.set("decoder", head_stats_js(dec));
      out.set("cross", head_stats_js(cross));
    } else {
      out.set(c.family == HfFamily::kGpt2 ? "decoder" : "encoder", head_stats_js(self));
    }
    return out;
  }

 private:
  static Status input_from(const val& inputs, HfInput* in) {
    in->input_ids = ints_or_empty(inputs["input_ids"]);
    in->attention_mask = ints_or_empty(inputs["attention_mask"]);
    in->token_type_ids = ints_or_empty(inputs["token_type_ids"]);
    in->decoder_input_ids = ints_or_empty(inputs["decoder_input_ids"]);
    return head_masks_from(inputs, &in->heads);  // checked against the model by its forward
  }

  Status logit_option(const Json& o, HfInput* in) const {
    const Json* l = o.find("logits");
    if (l == nullptr || (l->is_string() && l->as_string() == "all")) return Status();
    if (l->is_string() && l->as_string() == "none") {
      in->logits = false;
      return Status();
    }
    if (l->is_string() && l->as_string() == "last") {
      const size_t rows = loaded_.model->config.encoder_decoder() ? in->decoder_input_ids.size() : in->input_ids.size();
      if (rows > 0) in->logit_positions = {static_cast<int64_t>(rows) - 1};
      return Status();
    }
    if (l->is_array()) {
      for (const Json& p : l->items()) {
        if (!p.is_number() || p.as_number() < 0 || p.as_number() > 1e9)
          return Status::error("logits: positions must be non-negative integers");
        in->logit_positions.push_back(static_cast<int64_t>(p.as_number()));
      }
      if (in->logit_positions.empty()) in->logits = false;
      return Status();
    }
    return Status::error("logits must be \"all\", \"last\", \"none\" or a list of positions");
  }

  // HF's output_attentions names, plus the engine's Trace when asked.
  val outputs_js(const std::string& trace) const {
    const HfModel& m = *loaded_.model;
    val out = val::object();
    if (!cache_.logits.data.empty()) {
      out.set("logits", to_js(cache_.logits));
      val pos = val::array();
      for (int64_t p : cache_.logit_positions) pos.call<void>("push", static_cast<double>(p));
      out.set("logit_positions", pos);
    }
    out.set("last_hidden_state", to_js(cache_.hidden));
    std::vector<const Tensor*> self, dec, cross;
    for (const auto& l : cache_.stack.layers) self.push_back(&l.self_attn.weights);
    if (m.config.encoder_decoder()) {
      for (const auto& l : cache_.decoder.layers) {
        dec.push_back(&l.self_attn.weights);
        cross.push_back(&l.multihead_attn.weights);
      }
      out.set("encoder_attentions", tensors_js(self));
      out.set("decoder_attentions", tensors_js(dec));
      out.set("cross_attentions", tensors_js(cross));
    } else {
      out.set("attentions", tensors_js(self));
    }
    if (trace != "none") {
      val t = val::object();
      m.visit_trace(cache_, [&](const std::string& name, const Tensor& x) {
        if (trace == "full" || is_attention_entry(name)) t.set(name, to_js(x));
      });
      out.set("trace", t);
    }
    return out;
  }

  HfLoaded loaded_;
  HfCache cache_;  // kept between calls: its buffers are reused
};

}  // namespace
}  // namespace attn

EMSCRIPTEN_BINDINGS(attn_hf) {
  using attn::HfModelHandle;
  emscripten::function("inspectHuggingFace", &attn::inspect_hf);
  emscripten::class_<HfModelHandle>("HfModelHandle")
      .constructor<>()
      .function("load", &HfModelHandle::load)
      .function("config", &HfModelHandle::config)
      .function("info", &HfModelHandle::info)
      .function("forward", &HfModelHandle::forward)
      .function("generate", &HfModelHandle::generate)
      .function("headStats", &HfModelHandle::head_stats);
}
