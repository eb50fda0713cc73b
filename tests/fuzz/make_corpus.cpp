// Writes the fuzzers' seed corpus (deterministic: the same files on every run):
//   <out>/model_file/  valid model files of each arch and storage dtype, and corrupt variants of them
//   <out>/json/        valid and invalid JSON texts
// Usage (from the fuzz tree, see tests/fuzz/README.md):  build/fuzz/attn_fuzz_make_corpus tests/fuzz/corpus
// Every file is checked on the way out: valid model files must load, corrupt ones must be rejected (the message
// is printed), so a change to the loader that makes a seed meaningless shows up here.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "io/json.h"
#include "io/model_file.h"
#include "train/run.h"
#include "io/safetensors.h"
#include "models/config.h"

namespace fs = std::filesystem;
using attn::Json;

namespace {

int g_failures = 0;
size_t g_total_bytes = 0;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    ++g_failures;
  }
  g_total_bytes += bytes.size();
}

// ------------------------------------------------------------------------------------------------ tiny models

attn::ModelConfig tiny(attn::Arch arch) {
  attn::ModelConfig c;
  c.arch = arch;
  c.vocab_size = 5;
  c.tgt_vocab_size = arch == attn::Arch::kEncoderDecoder ? 4 : 0;
  c.num_layers = 1;
  c.num_decoder_layers = 1;
  c.layer.d_model = 4;
  c.layer.nhead = 2;
  c.layer.dim_feedforward = 6;
  c.max_len = 8;
  c.head_size = arch == attn::Arch::kEncoderDecoder ? 4 : 3;
  return c;
}

attn::TransformerModel& built(attn::TransformerModel& m, uint64_t seed) {
  attn::Rng rng(seed);
  m.reset_parameters(rng);
  return m;
}

// ------------------------------------------------------- a safetensors writer that can be told to write nonsense

struct Entry {
  std::string name, dtype;
  attn::Shape shape;
  uint64_t begin = 0, end = 0;
};

struct Doc {
  std::map<std::string, std::string> meta;
  std::vector<Entry> entries;
  std::string data;
};

void append_value(std::string& out, const std::string& dtype, float x) {
  if (dtype == "F32") {
    out.append(reinterpret_cast<const char*>(&x), 4);
  } else if (dtype == "F16") {
    const uint16_t h = attn::float_to_half(x);
    out.append(reinterpret_cast<const char*>(&h), 2);
  } else if (dtype == "BF16") {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    const uint16_t h = static_cast<uint16_t>(bits >> 16);
    out.append(reinterpret_cast<const char*>(&h), 2);
  } else if (dtype == "F64") {
    const double d = x;
    out.append(reinterpret_cast<const char*>(&d), 8);
  }
}

Doc doc_of(attn::TransformerModel& m, const std::string& dtype, std::map<std::string, std::string> extra = {}) {
  Doc d;
  d.meta = std::move(extra);
  d.meta["format"] = "attn-model";
  d.meta["version"] = "1";
  d.meta["config"] = attn::model_config_to_json(m.config).dump();
  m.visit([&](const std::string& name, attn::Param& p) {
    Entry e;
    e.name = name;
    e.dtype = dtype;
    e.shape = p.value.shape;
    e.begin = d.data.size();
    for (float x : p.value.data) append_value(d.data, dtype, x);
    e.end = d.data.size();
    d.entries.push_back(e);
  });
  return d;
}

std::string header_of(const Doc& d) {
  Json h = Json::object();
  Json meta = Json::object();
  for (const auto& [k, v] : d.meta) meta.set(k, Json::string(v));
  h.set("__metadata__", std::move(meta));
  for (const Entry& e : d.entries) {
    Json j = Json::object();
    j.set("dtype", Json::string(e.dtype));
    Json shape = Json::array();
    for (int64_t s : e.shape) shape.push(Json::number(static_cast<double>(s)));
    j.set("shape", std::move(shape));
    Json offs = Json::array();
    offs.push(Json::number(static_cast<double>(e.begin)));
    offs.push(Json::number(static_cast<double>(e.end)));
    j.set("data_offsets", std::move(offs));
    h.set(e.name, std::move(j));
  }
  return h.dump();
}

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// 8-byte size | header (padded with spaces to 8 bytes, as the engine writes) | data
std::string assemble(std::string header, const std::string& data) {
  while ((8 + header.size()) % 8) header += ' ';
  return u64_le(header.size()) + header + data;
}
std::string serialize(const Doc& d) { return assemble(header_of(d), d.data); }

std::string with_config(const Doc& d, const std::function<void(Json&)>& edit) {
  Doc e = d;
  Json c;
  if (!Json::parse(d.meta.at("config"), &c).ok()) return "";
  edit(c);
  e.meta["config"] = c.dump();
  return serialize(e);
}

// Replaces the first occurrence of `from` in the header part of a file (same length keeps the size field right).
std::string patch(std::string bytes, const std::string& from, const std::string& to) {
  const size_t at = bytes.find(from);
  if (at == std::string::npos) {
    std::fprintf(stderr, "patch: '%s' not found\n", from.c_str());
    ++g_failures;
    return bytes;
  }
  return bytes.replace(at, from.size(), to);
}

// The file of `d` with its header text patched (the size field follows the new header).
std::string patched(const Doc& d, const std::string& from, const std::string& to) {
  return assemble(patch(header_of(d), from, to), d.data);
}

// ---------------------------------------------------------------------------------------------- the corpus

void model_file(const fs::path& dir, const std::string& name, const std::string& bytes, bool should_load) {
  attn::LoadedModel out;
  const attn::Status st = attn::load_model(bytes, &out);
  const bool ok = st.ok();
  std::printf("  %-34s %6zu bytes  %s\n", name.c_str(), bytes.size(), ok ? "loads" : st.message().c_str());
  if (ok != should_load) {
    std::fprintf(stderr, "    ^ expected it to %s\n", should_load ? "load" : "be rejected");
    ++g_failures;
  }
  write_file(dir / (name + ".safetensors"), bytes);
}

void model_files(const fs::path& dir) {
  using attn::Arch;
  std::printf("%s\n", dir.c_str());
  attn::TransformerModel enc(tiny(Arch::kEncoder)), dec(tiny(Arch::kDecoder)), s2s(tiny(Arch::kEncoderDecoder));
  built(enc, 1);
  built(dec, 2);
  built(s2s, 3);
  attn::ModelConfig vc = tiny(Arch::kEncoder);  // every optional feature switched on or off
  vc.positional = attn::Positional::kLearned;
  vc.final_norm = true;
  vc.layer.norm_first = true;
  vc.layer.activation = attn::Activation::kGelu;
  vc.layer.bias = false;
  vc.head_size = 0;
  vc.pad_id = 0;
  vc.causal = true;
  vc.scale_embedding = false;
  vc.layer.score_scale.scaled = false;
  vc.layer.score_scale.temperature = 0.5f;
  vc.max_len = 4;
  attn::TransformerModel variant(vc);
  built(variant, 4);
  attn::ModelConfig zc = tiny(Arch::kDecoder);  // no layers, no positions: the smallest valid model
  zc.num_layers = 0;
  zc.positional = attn::Positional::kNone;
  zc.head_size = 0;
  attn::TransformerModel zero(zc);
  built(zero, 5);

  // Valid files: save_model (F32, F16), and the other float dtypes the loader converts (BF16, F64).
  const std::map<std::string, std::string> extra = {{"task", "fuzz-seed"}};
  model_file(dir, "valid_encoder_f32", attn::save_model(enc, false, extra), true);
  model_file(dir, "valid_encoder_f16", attn::save_model(enc, true, extra), true);
  model_file(dir, "valid_decoder_f32", attn::save_model(dec, false), true);
  model_file(dir, "valid_decoder_f16", attn::save_model(dec, true), true);
  model_file(dir, "valid_encdec_f32", attn::save_model(s2s, false), true);
  model_file(dir, "valid_encdec_f16", attn::save_model(s2s, true, extra), true);
  model_file(dir, "valid_variant_f32", attn::save_model(variant, false), true);
  model_file(dir, "valid_zero_layers_f16", attn::save_model(zero, true), true);
  model_file(dir, "valid_encoder_bf16", serialize(doc_of(enc, "BF16")), true);
  model_file(dir, "valid_decoder_f64", serialize(doc_of(dec, "F64")), true);
  // Files as the training lab and attn-train save them: the run's config in the metadata.
  for (const char* task : {"reverse", "dates"}) {
    attn::Json j;
    attn::Json::parse(std::string(R"({"task": {"name": ")") + task + R"("}, "model": {"num_layers": 1, "num_decoder_layers": 1,
        "d_model": 8, "nhead": 2, "dim_feedforward": 8}, "run": {"steps": 10, "batch": 2, "eval_size": 2}, "train": {"warmup": 2}})", &j);
    attn::RunConfig rc;
    if (!attn::run_config_from_json(j, &rc).ok()) std::abort();
    attn::TransformerModel m(rc.model);
    built(m, 6);
    model_file(dir, std::string("valid_lab_run_") + task,
               attn::save_model(m, false, {{"task", task}, {"run", attn::run_config_to_json(rc).dump()}}), true);
  }

  // The lab's LSTM baseline: load_any_model reads these, load_model refuses them (saying what they are).
  attn::LstmSeq2SeqConfig lc;
  lc.vocab_size = 6;
  lc.tgt_vocab_size = 7;
  lc.head_size = 5;
  lc.hidden_size = 4;
  lc.num_layers = 2;
  lc.pad_id = 0;
  attn::LstmSeq2Seq lstm(lc);
  attn::Rng lstm_rng(7);
  lstm.reset_parameters(lstm_rng);
  model_file(dir, "lstm_f32", attn::save_model(lstm, false, extra), false);
  model_file(dir, "lstm_f16", attn::save_model(lstm, true), false);
  {
    attn::Json j;
    attn::Json::parse(R"({"task": {"name": "reverse"}, "model": {"arch": "lstm", "num_layers": 1, "d_model": 8, "dropout": 0},
        "run": {"steps": 10, "batch": 2, "eval_size": 2}, "train": {"warmup": 2}})", &j);
    attn::RunConfig rc;
    if (!attn::run_config_from_json(j, &rc).ok()) std::abort();
    attn::LstmSeq2Seq m(rc.lstm);
    attn::Rng rng(8);
    m.reset_parameters(rng);
    model_file(dir, "lstm_lab_run_reverse", attn::save_model(m, false, {{"task", "reverse"}, {"run", attn::run_config_to_json(rc).dump()}}), false);
  }

  // Corrupt variants, mostly of the encoder file.
  const std::string good = attn::save_model(enc, false, extra);
  const Doc d = doc_of(enc, "F32", extra);
  const uint64_t n = static_cast<uint64_t>(static_cast<unsigned char>(good[0])) |
                     static_cast<uint64_t>(static_cast<unsigned char>(good[1])) << 8;
  const std::string header = good.substr(8, n);

  model_file(dir, "bad_empty", "", false);
  model_file(dir, "bad_five_bytes", good.substr(0, 5), false);
  model_file(dir, "bad_truncated_header", good.substr(0, 8 + n / 2), false);
  model_file(dir, "bad_truncated_data", good.substr(0, good.size() - 7), false);
  model_file(dir, "bad_header_size_past_end", u64_le(good.size()) + good.substr(8), false);
  model_file(dir, "bad_header_size_huge", u64_le(uint64_t{1} << 40) + good.substr(8), false);
  model_file(dir, "bad_header_size_one", u64_le(1) + good.substr(8), false);
  model_file(dir, "bad_header_not_json", assemble("this is not JSON, just words", d.data), false);
  model_file(dir, "bad_header_array", assemble("[1, 2, 3]", d.data), false);
  model_file(dir, "bad_header_non_utf8", patched(d, "attn-model", "attn\xFFmodel"), false);
  model_file(dir, "bad_header_overlong_utf8", patched(d, "fuzz-seed", "fuzz\xC0\xAF" "eed"), false);
  model_file(dir, "bad_header_duplicate_key",
             assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                      std::string(8, '\0')),
             false);
  model_file(dir, "bad_header_trailing_comma", patched(d, "]}}", "],}}"), false);
  model_file(dir, "bad_metadata_not_string", patched(d, "\"version\":\"1\"", "\"version\":1"), false);

  auto edited = [&](const std::function<void(Doc&)>& edit) {
    Doc e = d;
    edit(e);
    return serialize(e);
  };
  model_file(dir, "bad_dtype_i32", edited([](Doc& e) { e.entries[1].dtype = "I32"; }), false);
  model_file(dir, "bad_dtype_unknown", edited([](Doc& e) { e.entries[0].dtype = "F8"; }), false);
  model_file(dir, "bad_offsets_overlap", edited([](Doc& e) {
               e.entries[1].begin -= 4;
               e.entries[1].end -= 4;
             }), false);
  model_file(dir, "bad_offsets_gap", edited([](Doc& e) {
               e.data += "gap!";
               for (size_t i = 1; i < e.entries.size(); ++i) e.entries[i].begin += 4, e.entries[i].end += 4;
             }), false);
  model_file(dir, "bad_offsets_past_end", edited([](Doc& e) { e.data.resize(e.data.size() - 4); }), false);
  model_file(dir, "bad_offsets_disagree_with_shape", edited([](Doc& e) { e.entries[0].shape[0] += 1; }), false);
  model_file(dir, "valid_offsets_exponent", patched(d, "\"data_offsets\":[0,80]", "\"data_offsets\":[0,8e1]"),
             true);  // 8e1 is the integer 80
  model_file(dir, "bad_offsets_fraction", patched(d, "\"data_offsets\":[0,80]", "\"data_offsets\":[0,79.5]"), false);
  model_file(dir, "valid_offsets_minus_zero", patched(d, "\"data_offsets\":[0,80]", "\"data_offsets\":[-0,80]"), true);
  model_file(dir, "bad_offsets_negative", patched(d, "\"data_offsets\":[0,80]", "\"data_offsets\":[-4,76]"), false);
  model_file(dir, "bad_shape_overflow", edited([](Doc& e) { e.entries[0].shape = {int64_t{1} << 40, int64_t{1} << 40}; }),
             false);
  model_file(dir, "bad_entry_unknown_field", patched(d, "{\"dtype\"", "{\"dtypo\":0,\"dtype\""), false);
  model_file(dir, "bad_trailing_bytes", good + "tail", false);
  model_file(dir, "bad_missing_tensor", edited([](Doc& e) {
               e.data.resize(e.entries.back().begin);
               e.entries.pop_back();
             }), false);
  model_file(dir, "bad_renamed_tensor", edited([](Doc& e) { e.entries.back().name = "head.bogus"; }), false);
  model_file(dir, "bad_wrong_shape", edited([](Doc& e) {
               for (Entry& x : e.entries)
                 if (x.shape.size() == 2 && x.shape[0] != x.shape[1]) {
                   std::swap(x.shape[0], x.shape[1]);
                   break;
                 }
             }), false);
  model_file(dir, "bad_format_missing", edited([](Doc& e) { e.meta.erase("format"); }), false);
  model_file(dir, "bad_config_missing", edited([](Doc& e) { e.meta.erase("config"); }), false);
  model_file(dir, "bad_config_not_json", edited([](Doc& e) { e.meta["config"] = "{arch: encoder"; }), false);
  model_file(dir, "bad_config_unknown_key", with_config(d, [](Json& c) { c.set("d_modle", Json::number(4)); }), false);
  model_file(dir, "bad_config_nhead", with_config(d, [](Json& c) { c.set("nhead", Json::number(3)); }), false);
  model_file(dir, "bad_config_vocab_zero", with_config(d, [](Json& c) { c.set("vocab_size", Json::number(0)); }), false);
  model_file(dir, "bad_config_arch", with_config(d, [](Json& c) { c.set("arch", Json::string("rnn")); }), false);
  model_file(dir, "bad_config_eps", with_config(d, [](Json& c) { c.set("layer_norm_eps", Json::number(-1)); }), false);
  model_file(dir, "bad_config_temperature", with_config(d, [](Json& c) { c.set("temperature", Json::number(0)); }),
             false);
  model_file(dir, "bad_config_dropout", with_config(d, [](Json& c) { c.set("dropout", Json::number(1)); }), false);
  model_file(dir, "bad_config_too_big", with_config(d, [](Json& c) {
               c.set("vocab_size", Json::number(1 << 22));
               c.set("d_model", Json::number(8192));
             }), false);
  model_file(dir, "bad_config_mismatch", with_config(d, [](Json& c) { c.set("vocab_size", Json::number(6)); }), false);
  model_file(dir, "bad_config_arch_swapped", with_config(d, [](Json& c) { c.set("arch", Json::string("decoder")); }),
             false);  // same sizes, other names: "missing tensor 'decoder.layers.0...'"
}

void json_files(const fs::path& dir) {
  std::printf("%s\n", dir.c_str());
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"config", "{\"arch\": \"encoder-decoder\", \"vocab_size\": 4096, \"d_model\": 64, \"nhead\": 4, "
                 "\"num_layers\": 2, \"dim_feedforward\": 256, \"dropout\": 0.1, \"activation\": \"gelu\", "
                 "\"norm_first\": false, \"layer_norm_eps\": 1e-5, \"positional\": \"learned\", \"pad_id\": -1}"},
      {"safetensors_header", "{\"__metadata__\":{\"format\":\"attn-model\"},\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],"
                             "\"data_offsets\":[0,12]}}"},
      {"numbers", "[0, -0, 1, -1, 0.5, 1e308, -1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 1e-400, "
                  "9007199254740993, 123456789012345678901234567890, 0.1, 1E+2, 1e-2, 3.14159265358979323846]"},
      {"strings", "[\"\", \"plain\", \"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\", \"\\u0000\\u001f\\u007f\", "
                  "\"\\u00e9\\u4e2d\\ud83d\\ude00\", \"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"]"},
      {"nested", "{\"a\": [1, [2, [3, [4, {\"b\": {\"c\": [null, true, false]}}]]]], \"e\": {}, \"f\": []}"},
      {"whitespace", " \t\r\n{ \"k\" : [ 1 , 2 ] }\n "},
      {"scalar_string", "\"just a string\""},
      {"scalar_null", "null"},
      {"deep_64", std::string(64, '[') + std::string(64, ']')},
      {"bad_deep_66", std::string(66, '[') + std::string(66, ']')},
      {"bad_trailing_comma", "[1, 2,]"},
      {"bad_duplicate_key", "{\"a\": 1, \"a\": 2}"},
      {"bad_leading_zero", "[01]"},
      {"bad_nan", "[NaN, Infinity]"},
      {"bad_overflow", "[1e400]"},
      {"bad_lone_surrogate", "[\"\\ud800\", \"\\udc00x\"]"},
      {"bad_utf8", "[\"\xC0\xAF\", \"\xED\xA0\x80\", \"\xF4\x90\x80\x80\", \"\xFF\"]"},
      {"bad_control_char", "[\"a\tb\"]"},
      {"bad_comment", "{\"a\": 1 /* no */}"},
      {"bad_unterminated", "{\"a\": [1, \"b"},
      {"bad_text_after", "{} {}"},
  };
  for (const auto& [name, text] : texts) {
    Json j;
    const attn::Status st = Json::parse(text, &j);
    const bool want_ok = name.rfind("bad_", 0) != 0;
    std::printf("  %-34s %6zu bytes  %s\n", name.c_str(), text.size(), st.ok() ? "parses" : st.message().c_str());
    if (st.ok() != want_ok) {
      std::fprintf(stderr, "    ^ expected it to %s\n", want_ok ? "parse" : "be rejected");
      ++g_failures;
    }
    write_file(dir / (name + ".json"), text);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (writes CORPUS_DIR/model_file/ and CORPUS_DIR/json/)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* sub : {"model_file", "json"}) {
    const fs::path dir = root / sub;
    fs::create_directories(dir);
    for (const auto& f : fs::directory_iterator(dir))  // regenerated from scratch: no stale seeds
      if (f.is_regular_file()) fs::remove(f.path());
  }
  model_files(root / "model_file");
  json_files(root / "json");
  std::printf("%zu bytes in all\n", g_total_bytes);
  if (g_failures) std::fprintf(stderr, "%d seed(s) did not behave as expected\n", g_failures);
  return g_failures ? 1 : 0;
}
