// Conversions between engine values and JavaScript values, shared by the binding files (embind.cpp,
// run_bindings.cpp). Arrays handed to JavaScript are copies (slice), safe from WebAssembly memory growth.
#pragma once

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <tuple>
#include <vector>

#include "core/tensor.h"
#include "io/json.h"
#include "models/head_stats.h"
#include "models/transformer.h"
#include "train/trainer.h"

namespace attn::js {

using emscripten::val;

// A Trace entry the page draws: attention weights ("...weights") or their additive mask ("...mask").
inline bool is_attention_entry(const std::string& name) {
  auto ends = [&](const char* suffix, size_t n) { return name.size() > n && name.compare(name.size() - n, n, suffix) == 0; };
  return ends(".weights", 8) || ends(".mask", 5);
}

// {data: Float32Array, shape: number[]}
inline val to_js(const Tensor& t) {
  val out = val::object();
  out.set("data", val(emscripten::typed_memory_view(t.data.size(), t.data.data())).call<val>("slice"));
  val shape = val::array();
  for (int64_t d : t.shape) shape.call<void>("push", static_cast<double>(d));
  out.set("shape", shape);
  return out;
}

inline val error_js(const Status& st) {
  val out = val::object();
  out.set("error", st.message());
  return out;
}

// Options arrive as a JSON object in a string.
inline Status parse_options(const std::string& text, Json* out) {
  Status st = Json::parse(text, out);
  if (!st.ok()) return Status::error("options: " + st.message());
  if (!out->is_object()) return Status::error("options must be an object");
  return Status();
}

inline val int32_js(const std::vector<int32_t>& v) {
  return val(emscripten::typed_memory_view(v.size(), v.data())).call<val>("slice");
}

// A batch as {B, S, T, src, tgt, targets} (Int32Arrays, row-major; see Batch in train/trainer.h).
inline val batch_js(const Batch& b) {
  val out = val::object();
  out.set("B", static_cast<double>(b.B));
  out.set("S", static_cast<double>(b.S));
  out.set("T", static_cast<double>(b.T));
  out.set("src", int32_js(b.src));
  out.set("tgt", int32_js(b.tgt));
  out.set("targets", int32_js(b.targets));
  return out;
}

inline std::vector<int32_t> ids_from(const val& v) { return emscripten::convertJSArrayToNumberVector<int32_t>(v); }

inline Shape shape_from(const val& v) {
  Shape s;
  const unsigned n = v["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) s.push_back(static_cast<int64_t>(v[i].as<double>()));
  return s;
}

// {data: Float32Array, shape} -> Tensor; `name` is the argument's name in messages.
inline Status tensor_from(const val& t, const std::string& name, Tensor* out) {
  Shape shape = shape_from(t["shape"]);
  for (int64_t d : shape)
    if (d < 0) return Status::error(name + ": negative dimension in shape " + shape_str(shape));
  std::vector<float> data = emscripten::convertJSArrayToNumberVector<float>(t["data"]);
  if (static_cast<int64_t>(data.size()) != numel_of(shape))
    return Status::error(name + ": " + std::to_string(data.size()) + " values do not fill shape " + shape_str(shape));
  *out = Tensor(std::move(shape), std::move(data));
  return Status();
}

// Head ablation by Hugging Face's names, each a tensor or absent: head_mask, decoder_head_mask, cross_attn_head_mask,
// and the engine's means head_mean, decoder_head_mean, cross_attn_head_mean (models/transformer.h HeadMasks).
// Shapes and values are checked later, against the model (check_head_masks).
inline Status head_masks_from(const val& obj, HeadMasks* out) {
  *out = HeadMasks();
  if (obj.isUndefined() || obj.isNull()) return Status();
  const std::tuple<const char*, const char*, StackHeadMask*> names[] = {
      {"head_mask", "head_mean", &out->head_mask},
      {"decoder_head_mask", "decoder_head_mean", &out->decoder_head_mask},
      {"cross_attn_head_mask", "cross_attn_head_mean", &out->cross_attn_head_mask}};
  for (const auto& [mask, mean, stack] : names) {
    for (const auto& [name, t] : {std::make_pair(mask, &stack->mask), std::make_pair(mean, &stack->mean)}) {
      const val v = obj[name];
      if (v.isUndefined() || v.isNull()) continue;
      ATTN_TRY(tensor_from(v, name, t));
      if (t->data.empty()) return Status::error(std::string(name) + " is empty");
    }
  }
  return Status();
}

// Head means as {head_mean, decoder_head_mean?, cross_attn_head_mean?} ({data, shape} each).
inline val head_means_js(const HeadMasks& means) {
  val out = val::object();
  if (!means.head_mask.mean.data.empty()) out.set("head_mean", to_js(means.head_mask.mean));
  if (!means.decoder_head_mask.mean.data.empty()) out.set("decoder_head_mean", to_js(means.decoder_head_mask.mean));
  if (!means.cross_attn_head_mask.mean.data.empty()) out.set("cross_attn_head_mean", to_js(means.cross_attn_head_mask.mean));
  return out;
}

// An array of id arrays (Int32Array[]); empty when undefined.
inline std::vector<std::vector<int32_t>> sequences_of(const val& v) {
  std::vector<std::vector<int32_t>> out;
  if (v.isUndefined() || v.isNull()) return out;
  for (unsigned i = 0; i < v["length"].as<unsigned>(); ++i) out.push_back(ids_from(v[i]));
  return out;
}

// An array of 0/1 flag arrays (Uint8Array[]).
inline std::vector<std::vector<uint8_t>> flags_of(const val& v) {
  std::vector<std::vector<uint8_t>> out;
  for (unsigned i = 0; i < v["length"].as<unsigned>(); ++i)
    out.push_back(emscripten::convertJSArrayToNumberVector<uint8_t>(v[i]));
  return out;
}

// Head statistics as [[{entropy, previous, self, next, first, punct, max, rows} per head] per layer].
inline val head_stats_js(const HeadStats& hs) {
  val layers = val::array();
  for (const auto& heads : hs.result()) {
    val row = val::array();
    for (const HeadStat& s : heads) {
      val o = val::object();
      o.set("entropy", s.entropy);
      o.set("previous", s.previous);
      o.set("self", s.self);
      o.set("next", s.next);
      o.set("first", s.first);
      o.set("punct", s.punct);
      o.set("max", s.max);
      o.set("rows", static_cast<double>(s.rows));
      row.call<void>("push", o);
    }
    layers.call<void>("push", row);
  }
  return layers;
}

// The bytes of a Uint8Array, copied in one call (embind's std::string conversion copies byte by byte in JS).
inline std::string bytes_from(const val& u8) {
  std::string bytes(u8["length"].as<size_t>(), '\0');
  // No allocation between making the view and filling it, so memory growth cannot detach it.
  val(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<uint8_t*>(&bytes[0]))).call<void>("set", u8);
  return bytes;
}

// A Uint8Array copy of bytes.
inline val bytes_js(const std::string& bytes) {
  return val(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()))).call<val>("slice");
}

}  // namespace attn::js
