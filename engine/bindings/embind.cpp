// The WebAssembly module's exports: the only file that knows about embind and JavaScript values.
// It is wrapped by engine/bindings/attn.mjs, the documented JavaScript API; call that, not these.
//
// Conventions between the two files:
//   - every function takes (options_json, tensors): options as a JSON string, tensors as an object
//     {name: {data: Float32Array, shape: number[], dtype?: "bool"}}; parameters are named "param.<state_dict name>".
//   - every function returns {error: string} or an object of result tensors {data: Float32Array, shape};
//     the arrays are copies, safe from WebAssembly memory growth.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>

#include "bindings/js_values.h"
#include "bindings/live_handles.h"
#include "core/parallel.h"

#include "io/json.h"
#include "io/model_file.h"
#include "models/config.h"
#include "models/head_means.h"
#include "models/head_stats.h"
#include "models/rollout.h"
#include "train/decode.h"
#include "train/metrics.h"
#include "train/tasks.h"
#include "train/trainer.h"
#include "models/functional.h"
#include "ops/activation.h"
#include "ops/embedding.h"

using emscripten::val;

namespace attn {
namespace {

using namespace js;

// ------------------------------------------------------------------------------------------------ conversions
// (shape_from, tensor_from: js_values.h)
bool has(const val& tensors, const std::string& name) {
  const val t = tensors[name];
  return !t.isUndefined() && !t.isNull();
}

Status get_tensor(const val& tensors, const std::string& name, Tensor* out, bool required = true) {
  if (!has(tensors, name)) return required ? Status::error(name + " is required") : Status();
  return tensor_from(tensors[name], name, out);
}

Status get_mask(const val& tensors, const std::string& name, MaskArg* out) {
  if (!has(tensors, name)) return Status();
  ATTN_TRY(tensor_from(tensors[name], name, &out->values));
  const val dtype = tensors[name]["dtype"];
  out->is_bool = dtype.isString() && dtype.as<std::string>() == "bool";
  return Status();
}

TensorMap params_from(const val& tensors, Status* st) {
  TensorMap params;
  const val keys = val::global("Object").call<val>("keys", tensors);
  const unsigned n = keys["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    const std::string k = keys[i].as<std::string>();
    if (k.rfind("param.", 0) != 0) continue;
    Tensor t;
    *st = tensor_from(tensors[k], k.substr(6), &t);
    if (!st->ok()) return {};
    params[k.substr(6)] = std::move(t);
  }
  return params;
}

int64_t int_opt(const Json& o, const char* key, int64_t fallback) {
  return static_cast<int64_t>(o.number_or(key, static_cast<double>(fallback)));
}

void trace_to(val& obj, const NamedTensors& trace) {
  val t = val::object();
  for (const auto& [name, tensor] : trace) t.set(name, to_js(tensor));
  obj.set("trace", t);
}

// -------------------------------------------------------------------------------------------- functional API
val sdpa(const std::string& options, const val& tensors) {
  Json o;
  Status st = parse_options(options, &o);
  SdpaArgs a;
  if (st.ok()) st = get_tensor(tensors, "query", &a.query);
  if (st.ok()) st = get_tensor(tensors, "key", &a.key);
  if (st.ok()) st = get_tensor(tensors, "value", &a.value);
  if (st.ok()) st = get_mask(tensors, "attn_mask", &a.attn_mask);
  if (!st.ok()) return error_js(st);
  a.dropout_p = static_cast<float>(o.number_or("dropout_p", 0.0));
  a.is_causal = o.bool_or("is_causal", false);
  a.scale.scaled = o.bool_or("scaled", true);
  a.scale.scale = static_cast<float>(o.number_or("scale", 0.0));
  a.scale.temperature = static_cast<float>(o.number_or("temperature", 1.0));
  a.seed = static_cast<uint64_t>(o.number_or("seed", 0.0));
  SdpaResult r;
  st = scaled_dot_product_attention(a, &r);
  if (!st.ok()) return error_js(st);
  val out = val::object();
  out.set("output", to_js(r.output));
  out.set("weights", to_js(r.weights));
  out.set("scores", to_js(r.scores));
  out.set("scaled", to_js(r.scaled));
  if (!r.mask.data.empty()) out.set("mask", to_js(r.mask));
  if (!r.dropped.data.empty()) out.set("dropped", to_js(r.dropped));
  return out;
}

val mha(const std::string& options, const val& tensors) {
  Json o;
  Status st = parse_options(options, &o);
  MhaArgs a;
  if (st.ok()) st = get_tensor(tensors, "query", &a.query);
  if (st.ok()) st = get_tensor(tensors, "key", &a.key);
  if (st.ok()) st = get_tensor(tensors, "value", &a.value);
  if (st.ok()) st = get_mask(tensors, "key_padding_mask", &a.key_padding_mask);
  if (st.ok()) st = get_mask(tensors, "attn_mask", &a.attn_mask);
  if (st.ok()) a.params = params_from(tensors, &st);
  if (!st.ok()) return error_js(st);
  a.config.embed_dim = int_opt(o, "embed_dim", 0);
  a.config.num_heads = int_opt(o, "num_heads", 1);
  a.config.kdim = int_opt(o, "kdim", 0);
  a.config.vdim = int_opt(o, "vdim", 0);
  a.config.bias = o.bool_or("bias", true);
  a.config.dropout = static_cast<float>(o.number_or("dropout", 0.0));
  a.config.score_scale.scaled = o.bool_or("scaled", true);
  a.config.score_scale.temperature = static_cast<float>(o.number_or("temperature", 1.0));
  a.batch_first = o.bool_or("batch_first", false);
  a.need_weights = o.bool_or("need_weights", true);
  a.average_attn_weights = o.bool_or("average_attn_weights", true);
  a.is_causal = o.bool_or("is_causal", false);
  a.training = o.bool_or("training", false);
  a.seed = static_cast<uint64_t>(o.number_or("seed", 0.0));
  a.record_scores = o.bool_or("trace", false);
  MhaResult r;
  st = multihead_attention(a, &r);
  if (!st.ok()) return error_js(st);
  val out = val::object();
  out.set("attn_output", to_js(r.attn_output));
  out.set("attn_output_weights", a.need_weights ? to_js(r.attn_output_weights) : val::null());
  if (o.bool_or("trace", false)) {
    NamedTensors trace;
    r.trace.visit("", [&](const std::string& n, const Tensor& t) { trace.emplace_back(n, t); });
    trace_to(out, trace);
  }
  return out;
}

val layers(const std::string& options, const val& tensors, bool decoder) {
  Json o;
  Status st = parse_options(options, &o);
  LayerArgs a;
  const char* side = decoder ? "tgt" : "src";
  if (st.ok()) st = get_tensor(tensors, side, &a.src);
  if (st.ok() && decoder) st = get_tensor(tensors, "memory", &a.memory);
  if (st.ok()) st = get_mask(tensors, std::string(side) + "_mask", &a.mask);
  if (st.ok()) st = get_mask(tensors, std::string(side) + "_key_padding_mask", &a.key_padding_mask);
  if (st.ok() && decoder) st = get_mask(tensors, "memory_mask", &a.memory_mask);
  if (st.ok() && decoder) st = get_mask(tensors, "memory_key_padding_mask", &a.memory_key_padding_mask);
  if (st.ok()) a.params = params_from(tensors, &st);
  if (!st.ok()) return error_js(st);
  a.config.d_model = int_opt(o, "d_model", 0);
  a.config.nhead = int_opt(o, "nhead", 1);
  a.config.dim_feedforward = int_opt(o, "dim_feedforward", 2048);
  a.config.dropout = static_cast<float>(o.number_or("dropout", 0.1));
  const std::string act = o.string_or("activation", "relu");
  if (!parse_activation(act, &a.config.activation))
    return error_js(Status::error(std::string("activation must be ") + activation_names() + ", got \"" + act + "\""));
  a.config.layer_norm_eps = static_cast<float>(o.number_or("layer_norm_eps", 1e-5));
  a.config.norm_first = o.bool_or("norm_first", false);
  a.config.score_scale.scaled = o.bool_or("scaled", true);
  a.config.score_scale.temperature = static_cast<float>(o.number_or("temperature", 1.0));
  a.num_layers = int_opt(o, "num_layers", 0);
  a.norm = o.bool_or("norm", false);
  a.batch_first = o.bool_or("batch_first", false);
  a.is_causal = o.bool_or("is_causal", false);
  a.training = o.bool_or("training", false);
  a.seed = static_cast<uint64_t>(o.number_or("seed", 0.0));
  a.record_scores = o.bool_or("record_scores", false);
  LayerResult r;
  st = decoder ? transformer_decoder(a, &r) : transformer_encoder(a, &r);
  if (!st.ok()) return error_js(st);
  val out = val::object();
  out.set("output", to_js(r.output));
  trace_to(out, r.trace);
  return out;
}

val encoder(const std::string& options, const val& tensors) { return layers(options, tensors, false); }
val decoder(const std::string& options, const val& tensors) { return layers(options, tensors, true); }

val positional_encoding(int length, int d_model) {
  if (length <= 0 || d_model <= 0 || static_cast<int64_t>(length) * d_model > (int64_t{1} << 26))
    return error_js(Status::error("positional encoding: length and d_model must be positive (and not huge)"));
  return to_js(sinusoidal_encoding(length, d_model));
}

// An activation elementwise, and its derivative (for plotting the curves): {output: act(x), derivative: act'(x)}.
val activation_js(const std::string& name, const val& tensors) {
  Activation a;
  if (!parse_activation(name, &a))
    return error_js(Status::error(std::string("activation must be ") + activation_names() + ", got \"" + name + "\""));
  Tensor x;
  const Status st = get_tensor(tensors, "input", &x);
  if (!st.ok()) return error_js(st);
  Tensor y(x.shape), dx(x.shape);
  const std::vector<float> ones(x.data.size(), 1.0f);
  activation_forward(y.ptr(), x.ptr(), x.numel(), a);
  activation_backward(dx.ptr(), ones.data(), x.ptr(), x.numel(), a);
  val out = val::object();
  out.set("output", to_js(y));
  out.set("derivative", to_js(dx));
  return out;
}

// ------------------------------------------------------------------------------------------------ the model
// {B, S, T, src: Int32Array, tgt: Int32Array, targets: Int32Array} <-> Batch
Batch batch_from(const val& b) {
  Batch out;
  out.B = static_cast<int64_t>(b["B"].as<double>());
  out.S = static_cast<int64_t>(b["S"].as<double>());
  out.T = b["T"].isUndefined() ? 0 : static_cast<int64_t>(b["T"].as<double>());
  out.src = ids_from(b["src"]);
  if (!b["tgt"].isUndefined() && !b["tgt"].isNull()) out.tgt = ids_from(b["tgt"]);
  out.targets = ids_from(b["targets"]);
  return out;
}

// A model living in the module between calls (the page keeps one in its worker), with its trainer.
class Model : js::LiveHandle<js::kModelHandle> {
 public:
  Model() = default;

  // Builds a fresh model from a config (weights drawn from seed 0); "" or the reason it is invalid.
  std::string init(const std::string& config_json) {
    Json j;
    Status st = Json::parse(config_json, &j);
    ModelConfig c;
    if (st.ok()) st = model_config_from_json(j, &c);
    if (!st.ok()) return st.message();
    model_ = std::make_unique<TransformerModel>(c);
    trainer_.reset();
    reset(0);
    return "";
  }

  // Loads a model file (safetensors + config; see io/model_file.h); "" or the reason it was rejected.
  std::string load(const val& bytes_js) {
    const std::vector<uint8_t> bytes = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes_js);
    LoadedModel loaded;
    Status st = load_model(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), &loaded);
    if (!st.ok()) return st.message();
    model_ = std::move(loaded.model);
    metadata_ = loaded.metadata;
    trainer_.reset();
    return "";
  }

  val save(bool f16) {
    const std::string bytes = save_model(*model_, f16, metadata_extra());
    return val(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data())))
        .call<val>("slice");
  }

  std::string metadata() const {
    Json j = Json::object();
    for (const auto& [k, v] : metadata_) j.set(k, Json::string(v));
    return j.dump();
  }

  std::string config() const { return model_config_to_json(model_->config).dump(); }
  double num_parameters() { return static_cast<double>(model_->num_parameters()); }

  void reset(double seed) {
    Rng rng(static_cast<uint64_t>(seed));
    model_->reset_parameters(rng);
    trainer_.reset();
  }

  val state_dict() {
    val out = val::object();
    model_->visit([&](const std::string& name, Param& p) { out.set(name, to_js(p.value)); });
    return out;
  }

  std::string load_state_dict(const val& tensors) {
    TensorMap state;
    const val keys = val::global("Object").call<val>("keys", tensors);
    for (unsigned i = 0; i < keys["length"].as<unsigned>(); ++i) {
      const std::string k = keys[i].as<std::string>();
      Status st = tensor_from(tensors[k], k, &state[k]);
      if (!st.ok()) return st.message();
    }
    Status st = load_state_dict_visit([&](const ParamVisitor& fn) { model_->visit(fn); }, state);
    return st.ok() ? "" : st.message();
  }

  // ids: Int32Array [B * L] (src for encoder-decoder); tgt: Int32Array [B * T] or undefined.
  // options: {"batch": B, "trace": "none" | "weights" | "full"}; masks: head ablation ({head_mask, head_mean, ...}
  // tensors, js_values.h head_masks_from) or undefined.
  val forward(const val& ids_js, const val& tgt_js, const std::string& options, const val& masks) {
    Json o;
    Status st = parse_options(options, &o);
    if (!st.ok()) return error_js(st);
    HeadMasks heads;
    st = head_masks(masks, &heads);
    if (!st.ok()) return error_js(st);
    const ModelConfig& config = model_->config;
    const int64_t B = int_opt(o, "batch", 1);
    const std::vector<int32_t> ids = ids_from(ids_js);
    if (B <= 0 || ids.size() % static_cast<size_t>(B)) return error_js(Status::error("ids do not split into the batch"));
    const int64_t L = static_cast<int64_t>(ids.size()) / B;
    st = model_->check_ids(ids, L, config.vocab_size);
    if (!st.ok()) return error_js(st);
    ForwardContext ctx;
    const std::string trace = o.string_or("trace", "weights");
    ctx.record_scores = trace == "full";
    ModelCache& cache = cache_;  // kept between calls: its buffers are reused
    if (config.arch == Arch::kEncoderDecoder) {
      if (tgt_js.isUndefined() || tgt_js.isNull()) return error_js(Status::error("encoder-decoder models need tgt ids"));
      const std::vector<int32_t> tgt = ids_from(tgt_js);
      if (tgt.size() % static_cast<size_t>(B)) return error_js(Status::error("tgt ids do not split into the batch"));
      const int64_t T = static_cast<int64_t>(tgt.size()) / B;
      st = model_->check_ids(tgt, T, config.target_vocab());
      if (!st.ok()) return error_js(st);
      model_->forward_seq2seq(cache, ids, L, tgt, T, B, ctx, &heads);
    } else {
      model_->forward(cache, ids, B, L, ctx, &heads);
    }
    return result_js(cache, trace);
  }

  // Greedy decoding of one sequence. options: {"bos", "eos", "max_len", "trace"}; masks: head ablation at every step
  // (as forward). Returns {tokens: Int32Array, finished, logits, trace} where the trace is the final forward over the
  // whole output.
  val greedy(const val& src_js, const std::string& options, const val& masks) {
    Json o;
    Status st = parse_options(options, &o);
    if (!st.ok()) return error_js(st);
    HeadMasks heads;
    st = head_masks(masks, &heads);
    if (!st.ok()) return error_js(st);
    const ModelConfig& c = model_->config;
    const std::vector<int32_t> src = ids_from(src_js);
    st = model_->check_ids(src, static_cast<int64_t>(src.size()), c.vocab_size);
    if (!st.ok()) return error_js(st);
    const int32_t bos = static_cast<int32_t>(int_opt(o, "bos", kBos)), eos = static_cast<int32_t>(int_opt(o, "eos", kEos));
    const int64_t max_len = int_opt(o, "max_len", c.max_len);
    if (bos < 0 || bos >= c.target_vocab() || eos < 0 || eos >= c.head_size)
      return error_js(Status::error("bos and eos must be token ids of the model"));
    if (c.arch == Arch::kEncoder) return error_js(Status::error("an encoder-only model does not generate"));
    Decoded d = c.arch == Arch::kEncoderDecoder ? greedy_seq2seq(*model_, src, bos, eos, max_len, &heads)
                                                : greedy_lm(*model_, src, eos, max_len, &heads);
    val out = result_js(d.cache, o.string_or("trace", "weights"));
    out.set("tokens", int32_js(d.tokens));
    out.set("finished", d.finished);
    return out;
  }

  // Per-head statistics over many sequences (models/head_stats.h), for each attention kind of the model:
  // {"self": [[stat per head] per layer]} (encoder or decoder-only), or for encoder-decoder models
  // {"encoder": ..., "decoder": ..., "cross": ...}. seqs: Int32Array[]; punct: Uint8Array[] (1 = punctuation
  // token, same lengths); tgts: Int32Array[] for encoder-decoder models (decoder inputs), else undefined.
  val head_stats(const val& seqs_js, const val& punct_js, const val& tgts_js) {
    const ModelConfig& c = model_->config;
    const bool seq2seq = c.arch == Arch::kEncoderDecoder;
    const std::vector<std::vector<int32_t>> seqs = sequences_of(seqs_js);
    const std::vector<std::vector<uint8_t>> punct = flags_of(punct_js);
    const std::vector<std::vector<int32_t>> tgts = seq2seq ? sequences_of(tgts_js) : std::vector<std::vector<int32_t>>{};
    if (punct.size() != seqs.size() || (seq2seq && tgts.size() != seqs.size()))
      return error_js(Status::error("headStats: seqs, punct (and tgts) must have the same length"));
    const int64_t H = c.layer.nhead;
    HeadStats self(c.num_layers, H), dec(seq2seq ? c.num_decoder_layers : 1, H), cross(seq2seq ? c.num_decoder_layers : 1, H);
    ModelCache cache;
    for (size_t i = 0; i < seqs.size(); ++i) {
      const auto& ids = seqs[i];
      const int64_t L = static_cast<int64_t>(ids.size());
      if (punct[i].size() != ids.size()) return error_js(Status::error("headStats: punct lengths must match seqs"));
      Status st = model_->check_ids(ids, L, c.vocab_size);
      if (!st.ok()) return error_js(st);
      const std::vector<int64_t> len = {L};
      if (seq2seq) {
        const auto& tgt = tgts[i];
        const int64_t T = static_cast<int64_t>(tgt.size());
        st = model_->check_ids(tgt, T, c.target_vocab());
        if (!st.ok()) return error_js(st);
        model_->forward_seq2seq(cache, ids, L, tgt, T, 1, ForwardContext());
        const std::vector<int64_t> tlen = {T};
        for (int64_t l = 0; l < c.num_layers; ++l)
          self.add(l, cache.encoder.layers[static_cast<size_t>(l)].self_attn.weights, len, len, punct[i], true);
        for (int64_t l = 0; l < c.num_decoder_layers; ++l) {
          const auto& layer = cache.decoder.layers[static_cast<size_t>(l)];
          dec.add(l, layer.self_attn.weights, tlen, tlen, {}, true);
          cross.add(l, layer.multihead_attn.weights, tlen, len, punct[i], false);
        }
      } else {
        model_->forward(cache, ids, 1, L, ForwardContext());
        const EncoderCache& stack = c.arch == Arch::kDecoder ? cache.decoder_only : cache.encoder;
        for (int64_t l = 0; l < c.num_layers; ++l)
          self.add(l, stack.layers[static_cast<size_t>(l)].self_attn.weights, len, len, punct[i], true);
      }
    }
    val out = val::object();
    if (seq2seq) {
      out.set("encoder", head_stats_js(self));
      out.set("decoder", head_stats_js(dec));
      out.set("cross", head_stats_js(cross));
    } else {
      out.set(c.arch == Arch::kDecoder ? "decoder" : "encoder", head_stats_js(self));
    }
    return out;
  }

  // Mean ablation's means (models/head_means.h): each head's context vector averaged over every position of seqs
  // (Int32Array[]; tgts: the decoder inputs of encoder-decoder models, else undefined).
  // Returns {head_mean [layers, H, Dh], decoder_head_mean?, cross_attn_head_mean?}.
  val head_means_of(const val& seqs_js, const val& tgts_js) {
    HeadMasks means;
    const Status st = head_means(*model_, sequences_of(seqs_js), sequences_of(tgts_js), &means);
    if (!st.ok()) return error_js(st);
    return head_means_js(means);
  }

  // Training. trainStart(config JSON) creates the trainer (optimizer state starts empty); trainStep and
  // evaluate take a Batch {B, S, T, src, tgt, targets}.
  std::string train_start(const std::string& config_json) {
    Json j;
    Status st = Json::parse(config_json, &j);
    TrainConfig tc;
    if (st.ok()) st = train_config_from_json(j, &tc);
    if (!st.ok()) return st.message();
    if (model_->config.head_size == 0) return "the model has no output head (head_size 0) to train";
    trainer_ = std::make_unique<Trainer>(*model_, tc);
    return "";
  }

  // inspect: also what the step did, taken apart (train/trainer.h StepDetails): losses [B, out_len] (NaN where
  // ignored), clip_coef, and per parameter {name, shape, before, value, grad (as used, after clipping), state
  // {exp_avg, exp_avg_sq} or {momentum_buffer}} as Float32Arrays.
  val train_step(const val& batch_js, bool inspect) {
    if (!trainer_) return error_js(Status::error("call trainStart first"));
    const Batch b = batch_from(batch_js);
    Status st = trainer_->check(b);
    if (!st.ok()) return error_js(st);
    StepDetails details;
    const StepStats s = trainer_->step(b, inspect ? &details : nullptr);
    val out = val::object();
    out.set("step", static_cast<double>(s.step));
    out.set("loss", s.loss);
    out.set("grad_norm", s.grad_norm);
    out.set("lr", s.lr);
    out.set("tokens", static_cast<double>(s.tokens));
    if (!inspect) return out;
    out.set("losses", val(emscripten::typed_memory_view(details.losses.size(), details.losses.data())).call<val>("slice"));
    out.set("clip_coef", details.clip_coef);
    auto floats = [](const FloatBuffer& v) { return val(emscripten::typed_memory_view(v.size(), v.data())).call<val>("slice"); };
    val params = val::array();
    size_t k = 0;
    model_->visit([&](const std::string& name, Param& p) {
      val e = to_js(p.value);
      e.set("name", name);
      e.set("value", e["data"]);
      e.delete_("data");
      e.set("before", floats(details.before[k]));
      e.set("grad", floats(p.grad.data));
      val state = val::object();
      for (const auto& [key, buf] : trainer_->optimizer().state(k)) state.set(key, floats(*buf));
      e.set("state", state);
      params.call<void>("push", e);
      ++k;
    });
    out.set("params", params);
    return out;
  }

  val evaluate(const val& batch_js) {
    if (!trainer_) return error_js(Status::error("call trainStart first"));
    const Batch b = batch_from(batch_js);
    Status st = trainer_->check(b);
    if (!st.ok()) return error_js(st);
    const EvalStats e = trainer_->evaluate(b);
    val out = val::object();
    out.set("loss", e.loss);
    out.set("tokens", static_cast<double>(e.tokens));
    out.set("correct", static_cast<double>(e.correct));
    out.set("sequences", static_cast<double>(e.sequences));
    out.set("exact", static_cast<double>(e.exact));
    out.set("token_accuracy", e.token_accuracy());
    out.set("exact_match", e.exact_match());
    out.set("predictions", int32_js(trainer_->predictions()));
    return out;
  }

 private:
  std::map<std::string, std::string> metadata_extra() const {
    std::map<std::string, std::string> extra;
    for (const auto& [k, v] : metadata_)
      if (k != "format" && k != "version" && k != "config") extra[k] = v;
    return extra;
  }

  // The head masks of a forward or greedy call, read and checked against the model.
  Status head_masks(const val& masks, HeadMasks* heads) const {
    ATTN_TRY(head_masks_from(masks, heads));
    return model_->check_head_masks(heads);
  }

  val result_js(const ModelCache& cache, const std::string& trace) {
    val out = val::object();
    out.set("logits", to_js(cache.logits));
    NamedTensors entries;
    if (trace != "none") {
      TransformerModel::visit_trace(cache, [&](const std::string& name, const Tensor& t) {
        if (trace == "full" || is_attention_entry(name)) entries.emplace_back(name, t);
      });
    }
    trace_to(out, entries);
    return out;
  }

  std::unique_ptr<TransformerModel> model_;
  std::unique_ptr<Trainer> trainer_;
  std::map<std::string, std::string> metadata_;
  ModelCache cache_;
};

// ------------------------------------------------------------------------------------- tasks and metrics
// A batch of a task: spec {"task", "symbols", "min_len", "max_len", "arch", "batch", "split"}, seeded.
val task_batch_js(const std::string& spec_json, double seed) {
  Json j;
  Status st = parse_options(spec_json, &j);
  if (!st.ok()) return error_js(st);
  TaskConfig t;
  Arch arch;
  if (!parse_task(j.string_or("task", "reverse"), &t.kind)) return error_js(Status::error(std::string("task must be ") + task_names()));
  if (!parse_arch(j.string_or("arch", "encoder-decoder"), &arch)) return error_js(Status::error("unknown arch"));
  t.symbols = static_cast<int32_t>(int_opt(j, "symbols", t.symbols));
  t.min_len = static_cast<int32_t>(int_opt(j, "min_len", t.min_len));
  t.max_len = static_cast<int32_t>(int_opt(j, "max_len", t.max_len));
  st = t.validate(arch);
  if (!st.ok()) return error_js(st);
  const int64_t B = int_opt(j, "batch", 32);
  if (B <= 0 || B > 4096) return error_js(Status::error("batch must be between 1 and 4096"));
  const std::string split = j.string_or("split", "train");
  if (split != "train" && split != "held-out") return error_js(Status::error("split must be train or held-out"));
  Rng rng(static_cast<uint64_t>(seed));
  val out = batch_js(task_batch(t, arch, B, rng, split == "train" ? Split::kTrain : Split::kHeldOut));
  out.set("vocab_size", t.vocab_size());
  out.set("max_positions", t.max_positions(arch));
  return out;
}


val bleu_js(const val& hyps, const val& refs) {
  const BleuScore b = corpus_bleu(sequences_of(hyps), sequences_of(refs));
  val out = val::object();
  out.set("bleu", b.bleu);
  val p = val::array();
  for (double x : b.precisions) p.call<void>("push", x);
  out.set("precisions", p);
  out.set("brevity_penalty", b.brevity_penalty);
  out.set("hyp_length", static_cast<double>(b.hyp_length));
  out.set("ref_length", static_cast<double>(b.ref_length));
  return out;
}

val f1_js(const val& gold, const val& pred, int num_classes, int ignore) {
  if (num_classes <= 0 || num_classes > (1 << 20)) return error_js(Status::error("num_classes must be positive"));
  const F1Scores f = f1_scores(ids_from(gold), ids_from(pred), num_classes, ignore);
  val out = val::object();
  out.set("macro", f.macro);
  out.set("micro", f.micro);
  val pc = val::array();
  for (double x : f.per_class) pc.call<void>("push", x);
  out.set("per_class", pc);
  return out;
}

// ------------------------------------------------------------------------------------------ rollout and flow
// attentions: [{data, shape}], one [H, T, T] or [1, H, T, T] per layer; options: {residual, head (-1: the mean),
// layer (-1: the last), normalize} (models/rollout.h).
Status rollout_args(const std::string& options, const val& attentions, std::vector<Tensor>* att, FlowOptions* o) {
  Json j;
  ATTN_TRY(parse_options(options, &j));
  if (!attentions.isArray()) return Status::error("attentions must be an array with one tensor per layer");
  for (unsigned l = 0; l < attentions["length"].as<unsigned>(); ++l) {
    att->emplace_back();
    ATTN_TRY(tensor_from(attentions[l], "attentions[" + std::to_string(l) + "]", &att->back()));
  }
  if (j.find("residual") && !j.find("residual")->is_number()) return Status::error("residual must be a number");
  for (const char* key : {"head", "layer"}) {
    const Json* v = j.find(key);
    if (v && !(v->is_number() && std::floor(v->as_number()) == v->as_number()))
      return Status::error(std::string(key) + " must be a whole number");
  }
  if (j.find("normalize") && !j.find("normalize")->is_bool()) return Status::error("normalize must be true or false");
  o->residual = j.number_or("residual", 0.5);
  o->head = int_opt(j, "head", -1);
  o->layer = int_opt(j, "layer", -1);
  o->normalize = j.bool_or("normalize", true);
  return Status();
}

val rollout_or_flow(const std::string& options, const val& attentions, bool flow) {
  std::vector<Tensor> att;
  FlowOptions o;
  Tensor out;
  Status st = rollout_args(options, attentions, &att, &o);
  if (st.ok()) st = flow ? attention_flow(att, o, &out) : attention_rollout(att, o, &out);
  return st.ok() ? to_js(out) : error_js(st);
}
val rollout_js(const std::string& options, const val& attentions) { return rollout_or_flow(options, attentions, false); }
val flow_js(const std::string& options, const val& attentions) { return rollout_or_flow(options, attentions, true); }

int max_flow_tokens_js(int layers) { return static_cast<int>(max_flow_tokens(layers)); }

std::string engine_info() {
  Json j = Json::object();
  j.set("name", Json::string("attn"));
  j.set("version", Json::string("0.1.0"));
#ifdef __wasm_simd128__
  j.set("simd128", Json::boolean(true));
#else
  j.set("simd128", Json::boolean(false));
#endif
  j.set("eigen", Json::string(std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                              std::to_string(EIGEN_MINOR_VERSION)));
#if defined(ATTN_THREADS)
  j.set("threadsBuild", Json::boolean(true));
#else
  j.set("threadsBuild", Json::boolean(false));
#endif
  j.set("threads", Json::number(num_threads()));
  return j.dump();
}

}  // namespace
}  // namespace attn

EMSCRIPTEN_BINDINGS(attn_engine) {
  using namespace attn;
  emscripten::function("engineInfo", &engine_info);
  emscripten::function("setThreads", &set_num_threads);
  emscripten::function("liveHandles", &js::live_handles_js);
  emscripten::function("memoryUse", &js::memory_use_js);
  emscripten::function("sdpa", &sdpa);
  emscripten::function("multiheadAttention", &mha);
  emscripten::function("encoder", &encoder);
  emscripten::function("decoder", &decoder);
  emscripten::function("positionalEncoding", &positional_encoding);
  emscripten::function("activation", &activation_js);
  emscripten::function("taskBatch", &task_batch_js);
  emscripten::function("bleu", &bleu_js);
  emscripten::function("f1", &f1_js);
  emscripten::function("attentionRollout", &rollout_js);
  emscripten::function("attentionFlow", &flow_js);
  emscripten::function("maxFlowTokens", &max_flow_tokens_js);
  emscripten::class_<Model>("Model")
      .constructor<>()
      .function("init", &Model::init)
      .function("load", &Model::load)
      .function("save", &Model::save)
      .function("metadata", &Model::metadata)
      .function("config", &Model::config)
      .function("numParameters", &Model::num_parameters)
      .function("reset", &Model::reset)
      .function("stateDict", &Model::state_dict)
      .function("loadStateDict", &Model::load_state_dict)
      .function("forward", &Model::forward)
      .function("greedy", &Model::greedy)
      .function("headStats", &Model::head_stats)
      .function("headMeans", &Model::head_means_of)
      .function("trainStart", &Model::train_start)
      .function("trainStep", &Model::train_step)
      .function("evaluate", &Model::evaluate);
}
