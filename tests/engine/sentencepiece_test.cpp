// SentencePiece (engine/text/sentencepiece.h): exactness against Debian's sentencepiece 0.1.97 on the golden file
// tests/fixtures/hf/tokenizers/sentencepiece/golden.json (pieces and ids from spm_encode, byte offsets from the
// library's SentencePieceText, spm_decode's text, spm_normalize's text; made by tests/fixtures/hf/make_spm.py),
// long texts, the Marian fixture, the properties every encoding has, and the rejection of bad model files.
#include "text/sentencepiece.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/json.h"
#include "test_util.h"
#include "text/unicode.h"

namespace attn {
namespace {

using Strings = std::vector<std::string>;
using PieceType = SentencePiece::PieceType;

const std::string kSpace = "\xE2\x96\x81";  // U+2581, sentencepiece's space

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// tests/fixtures/hf/tokenizers/<rel>: next to tests/golden, which the build gives as ATTN_GOLDEN_DIR (an absolute
// path; the WebAssembly build reads it through NODERAWFS).
std::string fixture_path(const std::string& rel) {
  return std::string(ATTN_GOLDEN_DIR) + "/../fixtures/hf/tokenizers/" + rel;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::abort();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Json& golden() {
  static const Json g = [] {
    Json j;
    const Status st = Json::parse(read_file(fixture_path("sentencepiece/golden.json")), &j);
    ATTN_ASSERT(st.ok(), "golden.json: " + st.message());
    return j;
  }();
  return g;
}

const SentencePiece& model(const std::string& name) {
  static std::map<std::string, SentencePiece> models;
  auto it = models.find(name);
  if (it == models.end()) {
    const Json* m = golden().find("models")->find(name);
    ATTN_ASSERT(m != nullptr, "no golden model " + name);
    SentencePiece sp;
    const Status st = SentencePiece::load(read_file(fixture_path(m->find("file")->as_string())), &sp);
    ATTN_ASSERT(st.ok(), name + ": " + st.message());
    it = models.emplace(name, std::move(sp)).first;
  }
  return it->second;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string case_text(const Json& c) {
  return c.find("text") ? c.find("text")->as_string() : unhex(c.find("hex")->as_string());
}

Strings strings(const Json& a) {
  Strings out;
  for (const Json& x : a.items()) out.push_back(x.as_string());
  return out;
}

std::vector<int64_t> numbers(const Json& a) {
  std::vector<int64_t> out;
  for (const Json& x : a.items()) out.push_back(static_cast<int64_t>(x.as_number()));
  return out;
}

std::string show(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

// sentencepiece's characters: a valid UTF-8 character, or a single byte that does not start one.
std::vector<bool> spm_boundaries(const std::string& s) {
  std::vector<bool> b(s.size() + 1, false);
  for (size_t pos = 0; pos < s.size();) {
    b[pos] = true;
    const unicode::Utf8Char c = unicode::decode_utf8(s, pos);
    pos += c.invalid ? 1 : c.len;
  }
  b[s.size()] = true;
  return b;
}

// The properties of every encoding: ids in range and matching the pieces, spans in bounds, on character
// boundaries and never decreasing, and the pieces spell the normalized text.
void expect_well_formed(const SentencePiece& sp, const std::string& text, const std::vector<SentencePiece::Piece>& ps,
                        const std::string& what) {
  const std::vector<bool> boundary = spm_boundaries(text);
  const SentencePiece::Normalized n = sp.normalize(text);
  int64_t prev_begin = 0, prev_end = 0;
  std::string spelled;
  bool bytes = false;
  for (size_t i = 0; i < ps.size(); ++i) {
    const SentencePiece::Piece& p = ps[i];
    ASSERT_GE(p.id, 0) << what;
    ASSERT_LT(p.id, sp.size()) << what;
    const PieceType t = sp.piece_type(p.id);
    ASSERT_NE(t, PieceType::kControl) << what;
    if (t != PieceType::kUnknown) {
      ASSERT_EQ(p.piece, sp.id_to_piece(p.id)) << what << " piece " << i;
    }
    bytes = bytes || t == PieceType::kByte;
    if (t != PieceType::kByte) spelled += p.piece;
    ASSERT_LE(0, p.begin) << what;
    ASSERT_LE(p.begin, p.end) << what;
    ASSERT_LE(p.end, static_cast<int64_t>(text.size())) << what;
    ASSERT_TRUE(boundary[static_cast<size_t>(p.begin)] && boundary[static_cast<size_t>(p.end)])
        << what << " piece " << i;
    ASSERT_GE(p.begin, prev_begin) << what << " piece " << i;
    ASSERT_GE(p.end, prev_end) << what << " piece " << i;
    prev_begin = p.begin;
    prev_end = p.end;
  }
  if (!bytes) {
    ASSERT_EQ(spelled, n.text) << what;
  }
  ASSERT_EQ(n.to_input.size(), n.text.size() + 1) << what;
}

// --------------------------------------------------------------------------------------------- golden files

TEST(SentencePiece, GoldenModelsLoadWithTheirSpecialIds) {
  for (const auto& [name, m] : golden().find("models")->members()) {
    const SentencePiece& sp = model(name);
    EXPECT_EQ(sp.size(), static_cast<int32_t>(m.find("pieces")->as_number())) << name;
    EXPECT_EQ(sp.unk_id(), static_cast<int32_t>(m.find("unk_id")->as_number())) << name;
    EXPECT_EQ(sp.bos_id(), static_cast<int32_t>(m.find("bos_id")->as_number())) << name;
    EXPECT_EQ(sp.eos_id(), static_cast<int32_t>(m.find("eos_id")->as_number())) << name;
    EXPECT_EQ(sp.pad_id(), static_cast<int32_t>(m.find("pad_id")->as_number())) << name;
    EXPECT_EQ(sp.piece_type(sp.unk_id()), PieceType::kUnknown) << name;
    for (int32_t id = 0; id < sp.size(); ++id) ASSERT_EQ(sp.piece_to_id(sp.id_to_piece(id)), id) << name;
  }
  EXPECT_EQ(model("marian_source").spec().normalizer_name, "nmt_nfkc");
  EXPECT_EQ(model("nfkc_cf").spec().normalizer_name, "nfkc_cf");
  EXPECT_EQ(model("bpe_rules").spec().model_type, SentencePiece::ModelType::kBpe);
  EXPECT_TRUE(model("bpe_rules").spec().has_denormalizer);
  EXPECT_EQ(model("char_identity").spec().model_type, SentencePiece::ModelType::kChar);
  EXPECT_EQ(model("word_rules").spec().model_type, SentencePiece::ModelType::kWord);
  EXPECT_TRUE(model("identity_bytes").spec().byte_fallback);
  EXPECT_FALSE(model("identity_bytes").spec().remove_extra_whitespaces);
  EXPECT_EQ(model("identity_bytes").spec().unk_surface, "<?>");
  EXPECT_TRUE(model("suffix_rules").spec().treat_whitespace_as_suffix);
  EXPECT_EQ(model("suffix_rules").spec().unk_piece, "[UNK]");
  EXPECT_EQ(model("marian_source").piece_to_id("no such piece"), -1);
  EXPECT_EQ(model("marian_source").id_to_piece(-1), "");
  EXPECT_EQ(model("marian_source").id_to_piece(1 << 20), "");
  EXPECT_EQ(model("identity_bytes").piece_type(model("identity_bytes").piece_to_id("<0xE3>")), PieceType::kByte);
  EXPECT_EQ(model("identity_bytes").piece_type(model("identity_bytes").piece_to_id("<sep>")), PieceType::kUserDefined);
  EXPECT_EQ(model("identity_bytes").piece_type(model("identity_bytes").piece_to_id("<2fr>")), PieceType::kControl);
}

TEST(SentencePiece, EncodesEveryGoldenTextExactlyAsSpmEncode) {
  int texts = 0, pieces = 0, normalized = 0, with_cli = 0;
  std::map<std::string, int> per_model;
  for (const Json& c : golden().find("cases")->items()) {
    const std::string name = c.find("model")->as_string();
    const SentencePiece& sp = model(name);
    const std::string text = case_text(c);
    const std::string what = name + " on \"" + show(text).substr(0, 80) + "\"";
    const Strings want_pieces = strings(*c.find("pieces"));
    const std::vector<int64_t> want_ids = numbers(*c.find("ids"));
    const std::vector<int64_t> want_begin = numbers(*c.find("begin"));
    const std::vector<int64_t> want_end = numbers(*c.find("end"));
    const std::vector<SentencePiece::Piece> got = sp.encode(text);
    ASSERT_EQ(got.size(), want_pieces.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].piece, want_pieces[i]) << what << " piece " << i;
      ASSERT_EQ(got[i].id, want_ids[i]) << what << " piece " << i;
      ASSERT_EQ(got[i].begin, want_begin[i]) << what << " piece " << i << " begin";
      ASSERT_EQ(got[i].end, want_end[i]) << what << " piece " << i << " end";
    }
    const std::vector<int32_t> ids = sp.encode_ids(text);
    ASSERT_EQ(std::vector<int64_t>(ids.begin(), ids.end()), want_ids) << what;
    if (const Json* n = c.find("normalized")) {
      ASSERT_EQ(sp.normalize(text).text, n->as_string()) << what;
      ++normalized;
    }
    expect_well_formed(sp, text, got, what);
    with_cli += c.find("spm_encode") != nullptr;
    ++texts;
    pieces += static_cast<int>(got.size());
    ++per_model[name];
  }
  EXPECT_EQ(per_model.size(), golden().find("models")->members().size());
  std::printf(
      "[ sentencepiece ] %d texts on %zu models, %d pieces: ids, pieces and byte offsets all equal "
      "(%d texts also via the spm_encode program; %d normalized texts equal spm_normalize's)\n",
      texts, per_model.size(), pieces, with_cli, normalized);
  EXPECT_GT(texts, 600);
}

TEST(SentencePiece, DecodesAsSpmDecode) {
  int n = 0;
  for (const Json& c : golden().find("cases")->items()) {
    const SentencePiece& sp = model(c.find("model")->as_string());
    ASSERT_EQ(sp.decode_pieces(strings(*c.find("pieces"))), c.find("decoded")->as_string())
        << c.find("model")->as_string() << " on \"" << show(case_text(c)) << "\"";
    std::string via_ids;
    std::vector<int32_t> ids;
    for (const int64_t id : numbers(*c.find("ids"))) ids.push_back(static_cast<int32_t>(id));
    ASSERT_TRUE(sp.decode_ids(ids, &via_ids).ok());
    // Merged unknown pieces decode as their text; by id they are the unknown piece.
    bool unk = false;
    for (const int32_t id : ids) unk = unk || id == sp.unk_id();
    if (!unk) {
      ASSERT_EQ(via_ids, c.find("decoded")->as_string());
    }
    ++n;
  }
  for (const Json& c : golden().find("decode_cases")->items()) {
    const SentencePiece& sp = model(c.find("model")->as_string());
    const Strings pieces = strings(*c.find("pieces"));
    std::string joined;
    for (const std::string& p : pieces) joined += "[" + p + "]";
    ASSERT_EQ(sp.decode_pieces(pieces), c.find("decoded")->as_string())
        << c.find("model")->as_string() << " " << joined;
    ++n;
  }
  std::printf("[ sentencepiece ] %d piece sequences decode to spm_decode's text\n", n);
}

TEST(SentencePiece, LongTextsMatchAndEncodeInLinearTime) {
  for (const Json& c : golden().find("bulk_cases")->items()) {
    const std::string name = c.find("model")->as_string();
    const SentencePiece& sp = model(name);
    std::string text;
    const std::string unit = c.find("unit")->as_string();
    const int times = static_cast<int>(c.find("times")->as_number());
    text.reserve(unit.size() * static_cast<size_t>(times) + 8);
    for (int i = 0; i < times; ++i) text += unit;
    text += c.find("tail")->as_string();
    ASSERT_EQ(static_cast<double>(text.size()), c.find("bytes")->as_number());
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<SentencePiece::Piece> ps = sp.encode(text);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    uint64_t h_ids = 0xcbf29ce484222325ull, h_off = 0xcbf29ce484222325ull;
    auto add = [](uint64_t* h, const std::string& s) {
      for (const char ch : s) *h = (*h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
    };
    for (size_t i = 0; i < ps.size(); ++i) {
      if (i) {
        add(&h_ids, ",");
        add(&h_off, ",");
      }
      add(&h_ids, std::to_string(ps[i].id));
      add(&h_off, std::to_string(ps[i].begin) + ":" + std::to_string(ps[i].end));
    }
    char ids_hex[17], off_hex[17];
    std::snprintf(ids_hex, sizeof ids_hex, "%016llx", static_cast<unsigned long long>(h_ids));
    std::snprintf(off_hex, sizeof off_hex, "%016llx", static_cast<unsigned long long>(h_off));
    EXPECT_EQ(static_cast<double>(ps.size()), c.find("num_pieces")->as_number()) << name;
    EXPECT_EQ(ids_hex, c.find("ids_fnv1a64")->as_string()) << name;
    EXPECT_EQ(off_hex, c.find("offsets_fnv1a64")->as_string()) << name;
    std::printf("[ sentencepiece ] %-15s %8zu bytes -> %7zu pieces in %.3f s (equal to sentencepiece)\n", name.c_str(),
                text.size(), ps.size(), secs);
    EXPECT_LT(secs, 10.0 * test::kSlowdown) << name;  // linear: well under a second natively
  }
}

// ------------------------------------------------------------------------------------------- the Marian set

TEST(SentencePiece, MarianFixtureIsConsistent) {
  const SentencePiece& src = model("marian_source");
  const SentencePiece& tgt = model("marian_target");
  Json vocab, config;
  ASSERT_TRUE(Json::parse(read_file(fixture_path("marian/vocab.json")), &vocab).ok());
  ASSERT_TRUE(Json::parse(read_file(fixture_path("marian/tokenizer_config.json")), &config).ok());
  std::map<std::string, int64_t> v;
  for (const auto& [k, id] : vocab.members()) v[k] = static_cast<int64_t>(id.as_number());
  EXPECT_EQ(v.at("</s>"), 0);
  EXPECT_EQ(v.at("<unk>"), 1);
  EXPECT_EQ(v.at("<pad>"), static_cast<int64_t>(v.size()) - 1);
  std::vector<bool> seen(v.size(), false);
  for (const auto& [k, id] : v) {
    ASSERT_TRUE(id >= 0 && id < static_cast<int64_t>(v.size()) && !seen[static_cast<size_t>(id)]) << k;
    seen[static_cast<size_t>(id)] = true;
  }
  for (const SentencePiece* sp : {&src, &tgt})
    for (int32_t id = 0; id < sp->size(); ++id)
      if (sp->piece_type(id) != PieceType::kControl) {
        EXPECT_TRUE(v.count(sp->id_to_piece(id))) << sp->id_to_piece(id);
      }
  EXPECT_EQ(config.string_or("source_lang", ""), "en");
  EXPECT_EQ(config.string_or("target_lang", ""), "fr");
  EXPECT_FALSE(config.bool_or("separate_vocabs", true));
  EXPECT_EQ(config.number_or("model_max_length", 0), 512);
  // The English model reads English with fewer unknowns than the French one, and the other way round.
  const std::string en = "The quick brown fox jumps over the lazy dog.";
  EXPECT_LT(src.encode(en).size(), tgt.encode(en).size());
}

// ------------------------------------------------------------------------------------------- properties

TEST(SentencePiece, EveryEncodingIsWellFormed) {
  // Random byte strings over an alphabet of troublesome pieces, for every model.
  // clang-format off
  const Strings alphabet = {"a", "b", " ", "  ", "\t", "\n", "\xC3\xA9", "e\xCC\x81", "\xEF\xAC\x81", "\xE2\x96\x81",
                            "\xE2\x80\x8B", "\xEF\xBB\xBF", "\xE3\x80\x80", "\xC2\xA0", "\xF0\x9F\x91\x8D",
                            "\xE2\x98\x83", "\xFF", "\xE2\x82", "\xC0", std::string(1, '\0'), "<sep>", "[MASK]",
                            "ab", "\xEF\xBC\xA1", "\xE2\x91\xA0", ".", "...", "\xE2\x80\xA6"};
  // clang-format on
  uint64_t state = 12345;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  for (const auto& [name, m] : golden().find("models")->members()) {
    const SentencePiece& sp = model(name);
    for (int round = 0; round < 150; ++round) {
      std::string text;
      const uint32_t len = next() % 24;
      for (uint32_t i = 0; i < len; ++i) text += alphabet[next() % alphabet.size()];
      expect_well_formed(sp, text, sp.encode(text), name + " on \"" + show(text) + "\"");
      if (HasFatalFailure()) return;
    }
  }
}

TEST(SentencePiece, DecodeIdsRejectsIdsOutOfRange) {
  const SentencePiece& sp = model("marian_source");
  std::string out = "unchanged";
  Status st = sp.decode_ids({5, sp.size()}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "sentencepiece: ids[1] = 600 is not in [0, 600)");
  EXPECT_EQ(out, "unchanged");
  st = sp.decode_ids({-1}, &out);
  EXPECT_FALSE(st.ok());
  ASSERT_TRUE(sp.decode_ids({}, &out).ok());
  EXPECT_EQ(out, "");
}

TEST(SentencePiece, AnEmptyObjectEncodesNothingAndCopiesShareTheModel) {
  const SentencePiece empty;
  EXPECT_TRUE(empty.encode("hello").empty());
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(empty.decode_pieces({kSpace + "a"}), "");
  EXPECT_EQ(empty.normalize("x").to_input.size(), 1u);
  const SentencePiece copy = model("marian_target");
  EXPECT_EQ(copy.encode_ids("Bonjour !"), model("marian_target").encode_ids("Bonjour !"));
}

// --------------------------------------------------------------------------------------- bad model files

// A little protobuf writer for hand-made models.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string key(uint32_t field, int wire) {
  return varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire));
}
std::string vfield(uint32_t field, uint64_t v) { return key(field, 0) + varint(v); }
std::string bfield(uint32_t field, const std::string& b) { return key(field, 2) + varint(b.size()) + b; }
std::string ffield(uint32_t field, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  std::string out = key(field, 5);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
  return out;
}
std::string piece(const std::string& p, float score, int type = 1) {
  return bfield(1,
                bfield(1, p) + ffield(2, score) + (type == 1 ? std::string() : vfield(3, static_cast<uint64_t>(type))));
}
// <unk> <s> </s> then a few normal pieces; `extra` is appended to the message.
std::string small_model(const std::string& extra = "", const std::string& trainer = "",
                        const std::string& normalizer = "") {
  std::string m = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) + piece("\xE2\x96\x81", -1) +
                  piece("a", -2) + piece("b", -3) + piece(kSpace + "ab", -1.5f);
  m += bfield(2, vfield(3, 1) + trainer);
  m += bfield(3, bfield(1, "identity") + normalizer);
  return m + extra;
}
// A precompiled charsmap: 4-byte trie size, the units, the replacement strings.
std::string charsmap(const std::vector<uint32_t>& units, const std::string& replacements) {
  std::string out;
  auto u32 = [&out](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  u32(static_cast<uint32_t>(units.size() * 4));
  for (const uint32_t u : units) u32(u);
  return out + replacements;
}
// darts-clone units: a node (label, offset to its base, has a value) and a value unit.
uint32_t node(uint32_t label, uint32_t offset, bool leaf) { return label | (leaf ? 1u << 8 : 0u) | (offset << 10); }
uint32_t value_unit(uint32_t v) { return v | (1u << 31); }

// "a" -> the replacement at `value`: root (unit 0, base 0), the node for 'a' at 0 ^ 'a' = 97 whose base is 98,
// the value unit at 98.
std::vector<uint32_t> trie_a(uint32_t value) {
  std::vector<uint32_t> u(256, 0);
  u[97] = node('a', 97 ^ 98, true);
  u[98] = value_unit(value);
  return u;
}

std::string load_error(const std::string& bytes) {
  SentencePiece sp;
  const Status st = SentencePiece::load(bytes, &sp);
  return st.ok() ? "(loaded)" : st.message();
}

TEST(SentencePiece, AHandMadeModelLoadsAndEncodes) {
  SentencePiece sp;
  ASSERT_TRUE(SentencePiece::load(small_model(), &sp).ok()) << load_error(small_model());
  EXPECT_EQ(sp.size(), 7);
  EXPECT_EQ(sp.encode_ids("ab ba"), (std::vector<int32_t>{6, 3, 5, 4}));
  // A charsmap that maps "a" to "b" (value 0 -> "b\0").
  const std::string norm = bfield(2, charsmap(trie_a(0), std::string("b\0", 2)));
  ASSERT_EQ(load_error(small_model("", "", norm)), "(loaded)");
  ASSERT_TRUE(SentencePiece::load(small_model("", "", norm), &sp).ok());
  EXPECT_EQ(sp.normalize("aab").text, kSpace + "bbb");
  // Unknown fields of every wire type, groups included, are skipped.
  const std::string unknown = vfield(99, 7) + key(98, 1) + "12345678" + bfield(97, "xyz") + key(96, 5) + "1234" +
                              key(95, 3) + vfield(1, 1) + key(94, 3) + key(94, 4) + key(95, 4);
  ASSERT_EQ(load_error(small_model(unknown, unknown, unknown)), "(loaded)");
  ASSERT_TRUE(SentencePiece::load(small_model(unknown, unknown, unknown), &sp).ok());
  EXPECT_EQ(sp.encode_ids("ab ba"), (std::vector<int32_t>{6, 3, 5, 4}));
  // A message field given twice merges (protobuf's rule): the second trainer_spec turns on byte_fallback, which
  // then needs byte pieces.
  EXPECT_EQ(load_error(small_model(bfield(2, vfield(35, 1)))),
            "sentencepiece model: byte_fallback is set but there is no BYTE piece <0x00>");
}

TEST(SentencePiece, LoadRejectsBadModelsWithClearMessages) {
  const std::string good = small_model();
  const size_t n = good.size();
  auto at = [n](size_t k) { return " at byte " + std::to_string(n + k); };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "sentencepiece model: no pieces"},
      {good.substr(0, n - 1),
       "sentencepiece model: normalizer_spec: length 10 runs past the end of the message (9 bytes left)" + at(-11)},
      {good + "\x80", "sentencepiece model: truncated varint" + at(0)},
      {good + key(99, 0) + std::string(10, '\xff') + "\x01",
       "sentencepiece model: field 99: varint longer than 10 bytes" + at(2)},
      {good + key(0, 0) + varint(1), "sentencepiece model: field number 0" + at(0)},
      {good + "\x0f", "sentencepiece model: invalid wire type 7" + at(0)},
      {good + key(9, 4), "sentencepiece model: end-group (field 9) without a start-group" + at(0)},
      {good + key(9, 3) + vfield(1, 1), "sentencepiece model: field 9: group (field 9) never closed" + at(3)},
      {good + key(9, 3) + key(8, 4), "sentencepiece model: field 9: end-group 8 closes group 9" + at(1)},
      {good + vfield(1, 5), "sentencepiece model: pieces[7]: wire type 0 (varint), expected 2 (length-delimited)"},
      {good + bfield(1, vfield(1, 5)),
       "sentencepiece model: pieces[7].piece: wire type 0 (varint), expected 2 (length-delimited)"},
      {good + bfield(1, bfield(1, "x") + vfield(2, 5)),
       "sentencepiece model: pieces[7].score: wire type 0 (varint), expected 5 (32-bit)"},
      {good + bfield(1, bfield(1, "x") + key(2, 5) + "12"),
       "sentencepiece model: pieces[7].score: truncated 32-bit value" + at(6)},
      {good + bfield(1, bfield(1, "x") + bfield(3, "y")),
       "sentencepiece model: pieces[7].type: wire type 2 (length-delimited), expected 0 (varint)"},
      {good + piece("x", 0, 7), "sentencepiece model: pieces[7].type: unknown piece type 7"},
      {good + piece("x", 0, 0), "sentencepiece model: pieces[7].type: unknown piece type 0"},
      {good + piece("", 0), "sentencepiece model: pieces[7]: the piece is empty"},
      {good + bfield(1, ffield(2, 1)), "sentencepiece model: pieces[7]: the piece is empty"},
      {good + piece("\xC3\x28", 0), "sentencepiece model: pieces[7]: the piece is not valid UTF-8"},
      {good + piece("\xED\xA0\x80", 0), "sentencepiece model: pieces[7]: the piece is not valid UTF-8"},
      {good + piece(std::string("x\0y", 3), 0), "sentencepiece model: pieces[7]: the piece contains NUL"},
      {good + piece(std::string(8001, 'x'), 0), "sentencepiece model: pieces[7]: the piece is longer than 8000 bytes"},
      {good + piece("a", 0), "sentencepiece model: pieces[7] \"a\" duplicates pieces[4]"},
      {good + piece("<s>", 0, 1), "sentencepiece model: pieces[7] \"<s>\" duplicates pieces[1]"},
      {good + piece("<unk2>", 0, 2), "sentencepiece model: pieces[7]: a second UNKNOWN piece (the first is pieces[0])"},
      {good + piece("<0x41>", 0, 6),
       "sentencepiece model: pieces[7]: BYTE piece \"<0x41>\" but byte_fallback is false"},
      {small_model(piece("<0x4g>", 0, 6), vfield(35, 1)),
       "sentencepiece model: pieces[7]: BYTE piece \"<0x4g>\" is not of the form <0xXX>"},
      {small_model(piece("<0x41>", 0, 6), vfield(35, 1)),
       "sentencepiece model: byte_fallback is set but there is no BYTE piece <0x00>"},
      {piece("a", 0) + piece("b", 0), "sentencepiece model: no piece of type UNKNOWN (the unk piece)"},
      {piece("<unk>", 0, 2) + piece("<s>", 0, 3),
       "sentencepiece model: a unigram model needs at least one NORMAL, USER_DEFINED or UNUSED piece"},
      {small_model("", vfield(3, 5)), "sentencepiece model: trainer_spec.model_type: unknown model type 5"},
      {small_model("", bfield(3, "x")),
       "sentencepiece model: trainer_spec.model_type: wire type 2 (length-delimited), expected 0 (varint)"},
      {small_model("", vfield(35, 1) + key(24, 5) + "1234"),
       "sentencepiece model: trainer_spec.treat_whitespace_as_suffix: wire type 5 (32-bit), expected 0 (varint)"},
      {small_model("", bfield(44, "\xFF")), "sentencepiece model: trainer_spec.unk_surface is not valid UTF-8"},
      {small_model("", vfield(45, 1)),
       "sentencepiece model: trainer_spec.unk_piece: wire type 0 (varint), expected 2 (length-delimited)"},
      {small_model("", "", vfield(2, 1)),
       "sentencepiece model: normalizer_spec.precompiled_charsmap: wire type 0 (varint), expected 2 "
       "(length-delimited)"},
      {small_model("", "", bfield(3, "x")),
       "sentencepiece model: normalizer_spec.add_dummy_prefix: wire type 2 (length-delimited), expected 0 (varint)"},
      {small_model("", "", bfield(1, "\xC0\x80")), "sentencepiece model: normalizer_spec.name is not valid UTF-8"},
      {small_model(bfield(5, vfield(4, 1) + bfield(2, "ab"))),
       "sentencepiece model: denormalizer_spec.precompiled_charsmap: shorter than its 4-byte trie size"},
      {good + bfield(2, key(3, 0)), "sentencepiece model: trainer_spec.model_type: truncated varint" + at(3)},
  };
  for (const auto& [bytes, message] : cases) EXPECT_EQ(load_error(bytes), message);

  // Precompiled charsmaps.
  auto with_charsmap = [](const std::string& blob) { return small_model("", "", bfield(2, blob)); };
  const std::string cm = "sentencepiece model: normalizer_spec.precompiled_charsmap: ";
  EXPECT_EQ(load_error(with_charsmap("ab")), cm + "shorter than its 4-byte trie size");
  EXPECT_EQ(load_error(with_charsmap(std::string("\x10\0\0\0abcd", 8))),
            cm + "trie size 16 runs past the end of the blob (4 bytes)");
  EXPECT_EQ(load_error(with_charsmap(std::string("\0\0\0\0b", 5))), cm + "the trie is empty");
  EXPECT_EQ(load_error(with_charsmap(std::string("\x06\0\0\0abcdefg", 11))), cm + "trie size 6 is not a multiple of 4");
  EXPECT_EQ(load_error(with_charsmap(charsmap(trie_a(5), std::string("b\0", 2)))),
            cm + "value 5 points past the replacement strings (2 bytes)");
  EXPECT_EQ(load_error(with_charsmap(charsmap(trie_a(1), std::string("\xC3\xA9\0", 3)))),
            cm + "value 1 points inside a character");
  EXPECT_EQ(load_error(with_charsmap(charsmap(trie_a(0), std::string("\xFF\0", 2)))),
            cm + "the replacement strings are not valid UTF-8");
  EXPECT_EQ(load_error(with_charsmap(charsmap(trie_a(0), "b"))), cm + "the replacement strings do not end with NUL");
  {
    std::vector<uint32_t> u = trie_a(0);
    u[97] = node('a', 97 ^ 300, true);  // its value unit would be at 300, outside the 256 units
    EXPECT_EQ(load_error(with_charsmap(charsmap(u, std::string("b\0", 2)))),
              cm + "a value of the trie lies outside it");
  }
  {
    // 'a' (unit 97, base 200) -> 'a' (unit 200 ^ 97 = 169, base 0) -> 'a' (unit 97 again): a cycle.
    std::vector<uint32_t> u(256, 0);
    u[97] = node('a', 97 ^ 200, false);
    u[169] = node('a', 169 ^ 0, false);
    EXPECT_EQ(load_error(with_charsmap(charsmap(u, ""))), cm + "the trie has a cycle");
  }
  {
    // A chain of 'a' nodes longer than kMaxCharsmapKeyBytes: node k at unit 256 k + 97, its base 256 (k + 1).
    // (Unused units are value units here, so that they lead nowhere.)
    const uint32_t depth = static_cast<uint32_t>(SentencePiece::kMaxCharsmapKeyBytes) + 1;
    std::vector<uint32_t> u(256 * (depth + 2), value_unit(0));
    u[0] = node(0, 256, false);  // the root's base is 256
    for (uint32_t k = 1; k <= depth; ++k) u[256 * k + 97] = node('a', (256 * k + 97) ^ (256 * (k + 1)), false);
    EXPECT_EQ(load_error(with_charsmap(charsmap(u, ""))), cm + "a key is longer than 1024 bytes");
  }
  // *out is left alone on failure.
  SentencePiece sp = model("char_identity");
  EXPECT_FALSE(SentencePiece::load("\x0a\x05", &sp).ok());
  EXPECT_EQ(sp.size(), model("char_identity").size());
}

TEST(SentencePiece, EveryTruncationOfARealModelIsRefusedOrLoads) {
  // Cutting a real model anywhere must give a clean answer (most cuts break the last field).
  const std::string bytes = read_file(fixture_path("sentencepiece/bpe_rules.model"));
  int refused = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    SentencePiece sp;
    const Status st = SentencePiece::load(std::string_view(bytes).substr(0, cut), &sp);
    if (!st.ok()) {
      ++refused;
      EXPECT_EQ(st.message().rfind("sentencepiece model: ", 0), 0u) << st.message();
    } else {
      expect_well_formed(sp, "Hello w\xC3\xB6rld \xEF\xAC\x81", sp.encode("Hello w\xC3\xB6rld \xEF\xAC\x81"), "cut");
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(SentencePiece, FuzzSeedsAreWhatTheirNamesSay) {
  // tests/fuzz/corpus/sentencepiece (written by make_spm.py): model_* load, bad_* are refused.
  const std::string dir = std::string(ATTN_GOLDEN_DIR) + "/../fuzz/corpus/sentencepiece/";
  for (const char* name :
       {"model_identity_bytes", "model_bpe_rules", "model_suffix_rules", "model_char_identity", "model_bpe_unused",
        "model_tiny_handmade", "model_tiny_bpe", "model_unigram_rules", "model_word_rules"}) {
    EXPECT_EQ(load_error(read_file(dir + name + ".model")), "(loaded)") << name;
  }
  EXPECT_TRUE(starts_with(load_error(read_file(dir + "bad_truncated.model")), "sentencepiece model: "));
  EXPECT_TRUE(
      starts_with(load_error(read_file(dir + "bad_length_past_end.model")), "sentencepiece model: pieces[0]: length"));
  EXPECT_TRUE(starts_with(load_error(read_file(dir + "bad_charsmap.model")),
                          "sentencepiece model: normalizer_spec.precompiled_charsmap: trie size 4294967040 runs past"));
  EXPECT_NE(load_error(read_file(dir + "bad_duplicate_piece.model")).find("duplicates pieces[5]"), std::string::npos);
  EXPECT_EQ(load_error(read_file(dir + "bad_no_unk.model")),
            "sentencepiece model: no piece of type UNKNOWN (the unk piece)");
}

}  // namespace
}  // namespace attn
