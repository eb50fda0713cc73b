#include "text/sentencepiece.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "io/json.h"
#include "io/protobuf.h"
#include "text/unicode.h"

namespace attn {

namespace {

using protobuf::Reader;
using protobuf::Wire;

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

Status bad(const std::string& what) { return Status::error("sentencepiece model: " + what); }

// The wire type check of a known field, as a model error.
Status wire_ok(const std::string& name, Wire got, Wire want) {
  Status st = protobuf::check_wire(name, got, want);
  return st.ok() ? st : bad(st.message());
}

// Length of the UTF-8 character that starts with byte b, from its first byte only (sentencepiece's OneCharLen).
inline size_t one_char_len(unsigned char b) {
  static constexpr unsigned char kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[b >> 4];
}

// The length of the valid UTF-8 character at s[pos], or 0 when the byte there does not start one.
inline size_t valid_char_len(std::string_view s, size_t pos) {
  const unicode::Utf8Char c = unicode::decode_utf8(s, pos);
  return c.invalid ? 0 : c.len;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s.substr(0, 64)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

// ------------------------------------------------------------------------------------------------ byte trie
// A static trie over byte strings: the pieces of a model, or its user-defined symbols. Nodes are numbered from 0
// (the root); each node's children are contiguous and sorted by byte. The root has a direct 256-entry table.
class ByteTrie {
 public:
  ByteTrie() { root_.fill(-1); }

  // keys must be sorted and distinct.
  void build(const std::vector<std::pair<std::string_view, int32_t>>& keys) {
    nodes_.assign(1, Node{});
    labels_.clear();
    children_.clear();
    root_.fill(-1);
    struct Range {  // keys[lo, hi) share their first `depth` bytes, the path to `node`
      int32_t node;
      size_t lo, hi, depth;
    };
    std::vector<Range> todo = {{0, 0, keys.size(), 0}};
    while (!todo.empty()) {
      const Range r = todo.back();
      todo.pop_back();
      size_t i = r.lo;
      if (i < r.hi && keys[i].first.size() == r.depth) nodes_[static_cast<size_t>(r.node)].value = keys[i++].second;
      // All children of a node are appended here, before any of them is expanded: they stay contiguous.
      const uint32_t first = static_cast<uint32_t>(labels_.size());
      while (i < r.hi) {
        const unsigned char c = static_cast<unsigned char>(keys[i].first[r.depth]);
        size_t j = i + 1;
        while (j < r.hi && static_cast<unsigned char>(keys[j].first[r.depth]) == c) ++j;
        const int32_t child = static_cast<int32_t>(nodes_.size());
        nodes_.push_back(Node{});
        labels_.push_back(c);
        children_.push_back(child);
        if (r.node == 0) root_[c] = child;
        todo.push_back({child, i, j, r.depth + 1});
        i = j;
      }
      nodes_[static_cast<size_t>(r.node)].first = first;
      nodes_[static_cast<size_t>(r.node)].count = static_cast<uint32_t>(labels_.size()) - first;
    }
  }

  // The child of `node` by byte c, or -1.
  int32_t child(int32_t node, unsigned char c) const {
    if (node == 0) return root_[c];
    const Node& n = nodes_[static_cast<size_t>(node)];
    const unsigned char* first = labels_.data() + n.first;
    const unsigned char* last = first + n.count;
    const unsigned char* it = std::lower_bound(first, last, c);
    return (it != last && *it == c) ? children_[n.first + static_cast<uint32_t>(it - first)] : -1;
  }
  int32_t value(int32_t node) const { return nodes_[static_cast<size_t>(node)].value; }

  // The value of exactly `key`, or -1.
  int32_t find(std::string_view key) const {
    if (nodes_.empty()) return -1;
    int32_t node = 0;
    for (const char ch : key) {
      node = child(node, static_cast<unsigned char>(ch));
      if (node < 0) return -1;
    }
    return value(node);
  }
  // The length of the longest key that is a prefix of s, or 0.
  size_t longest_prefix(std::string_view s) const {
    if (nodes_.empty()) return 0;
    int32_t node = 0;
    size_t best = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      node = child(node, static_cast<unsigned char>(s[i]));
      if (node < 0) break;
      if (value(node) >= 0) best = i + 1;
    }
    return best;
  }

 private:
  struct Node {
    int32_t value = -1;
    uint32_t first = 0, count = 0;
  };
  std::vector<Node> nodes_;
  std::vector<unsigned char> labels_;
  std::vector<int32_t> children_;
  std::array<int32_t, 256> root_{};
};

// ------------------------------------------------------------------------------------ precompiled charsmap
// The blob of NormalizerSpec.precompiled_charsmap: a little-endian uint32 trie size in bytes, a darts-clone
// double array of that many bytes (uint32 units), then the replacement strings, each NUL-terminated. A key's
// value is the offset of its replacement.
//
// darts-clone unit layout: bit 31 marks a value unit (the value is bits 0..30); otherwise bits 0..7 are the label
// (the byte that leads to this unit), bit 8 says the node has a value (stored in the unit at its children's
// base), and bits 10..31 (shifted left by 8 more when bit 9 is set) are the offset: children of the unit at
// position p live at base = p ^ offset, the child for byte c at base ^ c, and it is a child only if its label
// is c. The trie is a DAG (darts-clone shares common suffixes).
class Charsmap {
 public:
  bool empty() const { return units_.empty(); }

  // The longest key that is a prefix of s[0, n): its length (0 when none) and its replacement.
  size_t match(const char* s, size_t n, std::string_view* replacement) const {
    size_t node = offset(units_[0]);
    size_t best = 0;
    uint32_t best_value = 0;
    const size_t limit = std::min(n, max_key_);
    for (size_t i = 0; i < limit; ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      node ^= c;
      if (node >= units_.size()) break;
      const uint32_t unit = units_[node];
      if (node == 0 || label(unit) != c) break;  // the root is never a child (see load)
      node ^= offset(unit);
      if (has_leaf(unit)) {  // load() checked that node is in bounds and the value is good
        best = i + 1;
        best_value = units_[node] & 0x7FFFFFFFu;
      }
    }
    if (best) *replacement = std::string_view(replacements_.data() + best_value);  // NUL-terminated
    return best;
  }

  static Status load(std::string_view blob, const std::string& field, Charsmap* out) {
    auto fail = [&](const std::string& what) { return bad(field + ": " + what); };
    if (blob.size() < 4) return fail("shorter than its 4-byte trie size");
    uint32_t trie_bytes = 0;
    for (int i = 3; i >= 0; --i)
      trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[static_cast<size_t>(i)]);
    if (trie_bytes > blob.size() - 4)
      return fail("trie size " + std::to_string(trie_bytes) + " runs past the end of the blob (" +
                  std::to_string(blob.size() - 4) + " bytes)");
    if (trie_bytes == 0) return fail("the trie is empty");
    if (trie_bytes % 4 != 0) return fail("trie size " + std::to_string(trie_bytes) + " is not a multiple of 4");
    Charsmap m;
    const size_t n = trie_bytes / 4;
    m.units_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t u = 0;
      for (int b = 3; b >= 0; --b) u = (u << 8) | static_cast<unsigned char>(blob[4 + 4 * i + static_cast<size_t>(b)]);
      m.units_[i] = u;
    }
    m.replacements_ = std::string(blob.substr(4 + trie_bytes));

    // The transitions: unit p (not a value unit) is the child, by byte label(p), of the nodes whose base is
    // p ^ label(p). Bucket the units by that base (counting sort), then walk the DAG from the root.
    const size_t bases = (n + 255) / 256 * 256;
    std::vector<uint32_t> start(bases + 1, 0), members(n);
    // Unit 0 is the root, never anyone's child: darts-clone gives it label 0, so a node whose base is 0 would
    // otherwise lead back to the root by a NUL byte (a quirk of the format that no real key uses).
    for (size_t p = 1; p < n; ++p)
      if (!(m.units_[p] & 0x80000000u)) ++start[(p ^ (m.units_[p] & 0xFF)) + 1];
    for (size_t b = 0; b < bases; ++b) start[b + 1] += start[b];
    {
      std::vector<uint32_t> fill(start.begin(), start.end() - 1);
      for (size_t p = 1; p < n; ++p)
        if (!(m.units_[p] & 0x80000000u)) members[fill[p ^ (m.units_[p] & 0xFF)]++] = static_cast<uint32_t>(p);
    }
    bool has_values = false;
    // Depth-first, iteratively: state 0 unseen, 1 on the stack, 2 done; depth[p] = longest key below p (bytes).
    std::vector<uint8_t> state(n, 0);
    std::vector<uint32_t> depth(n, 0);
    struct Frame {
      uint32_t unit;
      uint32_t next;  // index into members of the next child to visit
      uint32_t end;
    };
    auto children = [&](uint32_t p, uint32_t* first, uint32_t* last) {
      const size_t base = p ^ offset(m.units_[p]);
      if (base >= bases) {
        *first = *last = 0;
      } else {
        *first = start[base];
        *last = start[base + 1];
      }
    };
    std::vector<Frame> stack;
    uint32_t f0, l0;
    children(0, &f0, &l0);
    stack.push_back({0, f0, l0});
    state[0] = 1;
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next < top.end) {
        const uint32_t c = members[top.next++];
        if (state[c] == 1) return fail("the trie has a cycle");
        if (state[c] == 0) {
          const uint32_t unit = m.units_[c];
          if (unit & 0x100u) {  // has a value: the value unit sits at this node's base
            const size_t base = c ^ offset(unit);
            if (base >= n) return fail("a value of the trie lies outside it");
            const uint32_t value = m.units_[base] & 0x7FFFFFFFu;
            if (value >= m.replacements_.size())
              return fail("value " + std::to_string(value) + " points past the replacement strings (" +
                          std::to_string(m.replacements_.size()) + " bytes)");
            if ((static_cast<unsigned char>(m.replacements_[value]) & 0xC0) == 0x80)
              return fail("value " + std::to_string(value) + " points inside a character");
            has_values = true;
          }
          state[c] = 1;
          uint32_t f, l;
          children(c, &f, &l);
          stack.push_back({c, f, l});
        }
        continue;
      }
      // All children done.
      const uint32_t p = top.unit;
      uint32_t d = 0;
      uint32_t f, l;
      children(p, &f, &l);
      for (uint32_t k = f; k < l; ++k) d = std::max(d, depth[members[k]] + 1);
      depth[p] = d;
      state[p] = 2;
      stack.pop_back();
      if (d > kMaxKeyBytes) return fail("a key is longer than " + std::to_string(kMaxKeyBytes) + " bytes");
    }
    m.max_key_ = depth[0];
    if (has_values) {
      if (m.replacements_.empty() || m.replacements_.back() != '\0')
        return fail("the replacement strings do not end with NUL");
      if (!valid_utf8(m.replacements_)) return fail("the replacement strings are not valid UTF-8");
    }
    *out = std::move(m);
    return Status();
  }

 private:
  static constexpr uint32_t kMaxKeyBytes = static_cast<uint32_t>(SentencePiece::kMaxCharsmapKeyBytes);
  static size_t offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }
  static uint32_t label(uint32_t unit) { return unit & ((1u << 31) | 0xFFu); }
  static bool has_leaf(uint32_t unit) { return (unit >> 8) & 1u; }

  std::vector<uint32_t> units_;
  std::string replacements_;
  size_t max_key_ = 0;
};

// ------------------------------------------------------------------------------------------------ normalizer
struct NormalizerOptions {
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
  bool treat_whitespace_as_suffix = false;
};

class Normalizer {
 public:
  NormalizerOptions opt;
  Charsmap charsmap;
  const ByteTrie* user_defined = nullptr;  // copied as they are (not for the denormalizer)

  // sentencepiece's NormalizePrefix: what the text at s[pos] becomes, and how many input bytes that consumes.
  std::pair<std::string_view, size_t> prefix(std::string_view s, size_t pos) const {
    const std::string_view rest = s.substr(pos);
    if (user_defined) {
      const size_t n = user_defined->longest_prefix(rest);
      if (n) return {rest.substr(0, n), n};
    }
    if (!charsmap.empty()) {
      std::string_view repl;
      const size_t n = charsmap.match(rest.data(), rest.size(), &repl);
      if (n) return {repl, n};
    }
    const size_t len = valid_char_len(s, pos);
    if (len == 0) return {kReplacementChar, 1};  // one invalid byte at a time
    return {rest.substr(0, len), len};
  }

  // The normalized text and, per byte (plus one), the input offset it came from.
  void run(std::string_view input, std::string* out, std::vector<int64_t>* to_input) const {
    out->clear();
    to_input->clear();
    if (input.empty()) {
      to_input->push_back(0);
      return;
    }
    int64_t consumed = 0;
    const int64_t size = static_cast<int64_t>(input.size());
    if (opt.remove_extra_whitespaces) {
      while (consumed < size) {
        const auto p = prefix(input, static_cast<size_t>(consumed));
        if (p.first != " ") break;
        consumed += static_cast<int64_t>(p.second);
      }
    }
    if (consumed == size) {  // all spaces
      to_input->push_back(0);
      return;
    }
    out->reserve(input.size() + input.size() / 2 + 4);
    to_input->reserve(input.size() + input.size() / 2 + 5);
    const std::string_view space = opt.escape_whitespaces ? kSpaceSymbol : std::string_view(" ");
    auto add_space = [&]() {
      out->append(space.data(), space.size());
      to_input->insert(to_input->end(), space.size(), consumed);
    };
    if (!opt.treat_whitespace_as_suffix && opt.add_dummy_prefix) add_space();
    bool prev_space = opt.remove_extra_whitespaces;
    while (consumed < size) {
      const auto p = prefix(input, static_cast<size_t>(consumed));
      std::string_view sp = p.first;
      while (prev_space && !sp.empty() && sp.front() == ' ') sp.remove_prefix(1);
      if (!sp.empty()) {
        for (const char c : sp) {
          if (opt.escape_whitespaces && c == ' ') {
            add_space();
          } else {
            out->push_back(c);
            to_input->push_back(consumed);
          }
        }
        prev_space = sp.back() == ' ';
      }
      consumed += static_cast<int64_t>(p.second);
      if (!opt.remove_extra_whitespaces) prev_space = false;
    }
    if (opt.remove_extra_whitespaces) {
      while (out->size() >= space.size() && out->compare(out->size() - space.size(), space.size(), space) == 0) {
        const size_t length = out->size() - space.size();
        consumed = (*to_input)[length];
        out->resize(length);
        to_input->resize(length);
      }
    }
    if (opt.treat_whitespace_as_suffix && opt.add_dummy_prefix) add_space();
    to_input->push_back(consumed);
  }
};

// One piece of the model's output: [begin, end) of the normalized text and its id.
struct Segment {
  size_t begin, end;
  int32_t id;
};

Status read_normalizer_spec(std::string_view bytes, size_t base, const std::string& name, SentencePiece::Spec* spec,
                            std::string_view* charsmap, bool denormalizer, NormalizerOptions* opt) {
  Reader r(bytes, base);
  while (!r.done()) {
    uint32_t field;
    Wire wire;
    Status st = r.next(&field, &wire);
    if (!st.ok()) return bad(name + ": " + st.message());
    uint64_t v = 0;
    std::string_view s;
    switch (field) {
      case 1:  // name
        ATTN_TRY(wire_ok(name + ".name", wire, Wire::kLen));
        if (!(st = r.bytes(&s)).ok()) return bad(name + ".name: " + st.message());
        if (!valid_utf8(s)) return bad(name + ".name is not valid UTF-8");
        if (!denormalizer) spec->normalizer_name = std::string(s);
        break;
      case 2:  // precompiled_charsmap
        ATTN_TRY(wire_ok(name + ".precompiled_charsmap", wire, Wire::kLen));
        if (!(st = r.bytes(charsmap)).ok()) return bad(name + ".precompiled_charsmap: " + st.message());
        break;
      case 3:
      case 4:
      case 5: {
        static const char* const kNames[] = {"add_dummy_prefix", "remove_extra_whitespaces", "escape_whitespaces"};
        const std::string fname = name + "." + kNames[field - 3];
        ATTN_TRY(wire_ok(fname, wire, Wire::kVarint));
        if (!(st = r.varint(&v)).ok()) return bad(fname + ": " + st.message());
        bool* flag = field == 3 ? &opt->add_dummy_prefix : &opt->remove_extra_whitespaces;
        if (field == 5) flag = &opt->escape_whitespaces;
        *flag = protobuf::as_bool(v);
        break;
      }
      default:
        if (!(st = r.skip(field, wire)).ok())
          return bad(name + ": field " + std::to_string(field) + ": " + st.message());
    }
  }
  return Status();
}

}  // namespace

namespace {
// The pieces sentencepiece's models match in text (its pieces_ map, as opposed to reserved_id_map_).
bool is_model_piece(SentencePiece::PieceType t) {
  return t == SentencePiece::PieceType::kNormal || t == SentencePiece::PieceType::kUserDefined ||
         t == SentencePiece::PieceType::kUnused;
}
}  // namespace

// ------------------------------------------------------------------------------------------------------ impl
struct SentencePiece::Impl {
  // Every piece -> its id. The models match only NORMAL, USER_DEFINED and UNUSED pieces (is_model_piece): the
  // others (UNKNOWN, CONTROL, BYTE) are never found in text.
  ByteTrie ids;
  Normalizer normalizer;
  Normalizer denormalizer;  // used when spec.has_denormalizer
  ByteTrie user_defined;    // USER_DEFINED pieces
  bool has_user_defined = false;
  float min_score = FLT_MAX, max_score = FLT_MIN;  // over NORMAL pieces, as sentencepiece initializes them
  std::array<int32_t, 256> byte_ids{};             // byte_fallback: "<0xXX>" -> id
  // BPE: 1 when "▁" occurs in pieces only as their first character, 2 only as their last, else 0 (and 0 when
  // there are UNUSED pieces).
  int bpe_split = 0;

  // The matcher's split (BPE and CHAR): the longest user-defined piece, else one character (by its first byte).
  size_t symbol_len(std::string_view s, size_t pos, bool* user) const {
    if (has_user_defined) {
      const size_t n = user_defined.longest_prefix(s.substr(pos));
      if (n) {
        *user = true;
        return n;
      }
    }
    *user = false;
    return std::min(one_char_len(static_cast<unsigned char>(s[pos])), s.size() - pos);
  }
};

// ---------------------------------------------------------------------------------------------------- load
namespace {

struct RawPiece {
  std::string_view piece;
  float score = 0.0f;
  int type = 1;
};

Status read_piece(std::string_view bytes, size_t base, size_t index, RawPiece* out) {
  // The field's name is built only for a message (a model has many pieces).
  auto name = [index](const char* field) { return "pieces[" + std::to_string(index) + "]" + field; };
  Reader r(bytes, base);
  while (!r.done()) {
    uint32_t field;
    Wire wire;
    Status st = r.next(&field, &wire);
    if (!st.ok()) return bad(name(": ") + st.message());
    uint64_t v;
    uint32_t u32;
    switch (field) {
      case 1:
        if (wire != Wire::kLen) return wire_ok(name(".piece"), wire, Wire::kLen);
        if (!(st = r.bytes(&out->piece)).ok()) return bad(name(".piece: ") + st.message());
        break;
      case 2:
        if (wire != Wire::kFixed32) return wire_ok(name(".score"), wire, Wire::kFixed32);
        if (!(st = r.fixed32(&u32)).ok()) return bad(name(".score: ") + st.message());
        out->score = protobuf::as_float(u32);
        break;
      case 3:
        if (wire != Wire::kVarint) return wire_ok(name(".type"), wire, Wire::kVarint);
        if (!(st = r.varint(&v)).ok()) return bad(name(".type: ") + st.message());
        out->type = protobuf::as_int32(v);
        if (out->type < 1 || out->type > 6) return bad(name(".type: unknown piece type ") + std::to_string(out->type));
        break;
      default:
        if (!(st = r.skip(field, wire)).ok())
          return bad(name(": field ") + std::to_string(field) + ": " + st.message());
    }
  }
  return Status();
}

Status read_trainer_spec(std::string_view bytes, size_t base, SentencePiece::Spec* spec) {
  // The fields used here (the others are skipped): varints, or strings stored into Spec.
  struct Field {
    uint32_t number;
    const char* name;
    std::string SentencePiece::Spec::*str;
  };
  static const Field kFields[] = {
      {3, "model_type", nullptr},
      {4, "vocab_size", nullptr},
      {24, "treat_whitespace_as_suffix", nullptr},
      {35, "byte_fallback", nullptr},
      {44, "unk_surface", &SentencePiece::Spec::unk_surface},
      {45, "unk_piece", &SentencePiece::Spec::unk_piece},
      {46, "bos_piece", &SentencePiece::Spec::bos_piece},
      {47, "eos_piece", &SentencePiece::Spec::eos_piece},
      {48, "pad_piece", &SentencePiece::Spec::pad_piece},
  };
  Reader r(bytes, base);
  while (!r.done()) {
    uint32_t field;
    Wire wire;
    Status st = r.next(&field, &wire);
    if (!st.ok()) return bad("trainer_spec: " + st.message());
    const Field* f = nullptr;
    for (const Field& k : kFields)
      if (k.number == field) f = &k;
    if (!f) {
      if (!(st = r.skip(field, wire)).ok())
        return bad("trainer_spec: field " + std::to_string(field) + ": " + st.message());
      continue;
    }
    const std::string name = std::string("trainer_spec.") + f->name;
    if (f->str) {
      ATTN_TRY(wire_ok(name, wire, Wire::kLen));
      std::string_view s;
      if (!(st = r.bytes(&s)).ok()) return bad(name + ": " + st.message());
      if (!valid_utf8(s)) return bad(name + " is not valid UTF-8");
      spec->*(f->str) = std::string(s);
      continue;
    }
    ATTN_TRY(wire_ok(name, wire, Wire::kVarint));
    uint64_t v;
    if (!(st = r.varint(&v)).ok()) return bad(name + ": " + st.message());
    if (field == 3) {
      const int32_t t = protobuf::as_int32(v);
      if (t < 1 || t > 4) return bad(name + ": unknown model type " + std::to_string(t));
      spec->model_type = static_cast<SentencePiece::ModelType>(t);
    } else if (field == 4) {
      spec->vocab_size = protobuf::as_int32(v);
    } else if (field == 24) {
      spec->treat_whitespace_as_suffix = protobuf::as_bool(v);
    } else {
      spec->byte_fallback = protobuf::as_bool(v);
    }
  }
  return Status();
}

// "<0x41>" -> 0x41; -1 when the piece is not of that form (upper-case hex, two digits).
int byte_piece_value(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  int v = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return v;
}

}  // namespace

Status SentencePiece::load(std::string_view proto_bytes, SentencePiece* out) {
  SentencePiece sp;
  auto impl = std::make_shared<Impl>();
  std::vector<RawPiece> raw;
  std::string_view charsmap, denorm_charsmap;
  NormalizerOptions norm_opt, denorm_opt;

  Reader r(proto_bytes);
  while (!r.done()) {
    uint32_t field;
    Wire wire;
    Status st = r.next(&field, &wire);
    if (!st.ok()) return bad(st.message());
    std::string_view sub;
    size_t base = 0;
    switch (field) {
      case 1:  // pieces
        if (wire != Wire::kLen) return wire_ok("pieces[" + std::to_string(raw.size()) + "]", wire, Wire::kLen);
        if (!(st = r.bytes(&sub, &base)).ok())
          return bad("pieces[" + std::to_string(raw.size()) + "]: " + st.message());
        if (raw.size() >= 0x7FFFFFFF) return bad("more than 2^31 - 1 pieces");
        raw.emplace_back();
        ATTN_TRY(read_piece(sub, base, raw.size() - 1, &raw.back()));
        break;
      case 2:  // trainer_spec (a repeated message field merges into the earlier one, as protobuf does)
        ATTN_TRY(wire_ok("trainer_spec", wire, Wire::kLen));
        if (!(st = r.bytes(&sub, &base)).ok()) return bad("trainer_spec: " + st.message());
        ATTN_TRY(read_trainer_spec(sub, base, &sp.spec_));
        break;
      case 3:    // normalizer_spec
      case 5: {  // denormalizer_spec
        const bool denorm = field == 5;
        const std::string name = denorm ? "denormalizer_spec" : "normalizer_spec";
        ATTN_TRY(wire_ok(name, wire, Wire::kLen));
        if (!(st = r.bytes(&sub, &base)).ok()) return bad(name + ": " + st.message());
        ATTN_TRY(read_normalizer_spec(sub, base, name, &sp.spec_, denorm ? &denorm_charsmap : &charsmap, denorm,
                                      denorm ? &denorm_opt : &norm_opt));
        break;
      }
      default:  // self_test_data (4) and anything newer
        if (!(st = r.skip(field, wire)).ok()) return bad("field " + std::to_string(field) + ": " + st.message());
    }
  }
  // sentencepiece's Decode reads unk_surface (default " ⁇ ", already in Spec) as a C string.
  sp.spec_.unk_surface = std::string(sp.spec_.unk_surface.c_str());

  // Pieces.
  if (raw.empty()) return bad("no pieces");
  const size_t n = raw.size();
  sp.pieces_.reserve(n);
  sp.scores_.reserve(n);
  sp.types_.reserve(n);
  std::vector<bool> byte_found(256, false);
  std::vector<std::pair<std::string_view, int32_t>> all_keys, user_keys;
  all_keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const RawPiece& p = raw[i];
    auto name = [i] { return "pieces[" + std::to_string(i) + "]"; };
    if (p.piece.empty()) return bad(name() + ": the piece is empty");
    if (p.piece.size() > kMaxPieceBytes)
      return bad(name() + ": the piece is longer than " + std::to_string(kMaxPieceBytes) + " bytes");
    if (!valid_utf8(p.piece)) return bad(name() + ": the piece is not valid UTF-8");
    if (p.piece.find('\0') != std::string_view::npos) return bad(name() + ": the piece contains NUL");
    const int32_t id = static_cast<int32_t>(i);
    all_keys.emplace_back(p.piece, id);
    const PieceType type = static_cast<PieceType>(p.type);
    if (type == PieceType::kUnknown) {
      if (sp.unk_id_ >= 0)
        return bad(name() + ": a second UNKNOWN piece (the first is pieces[" + std::to_string(sp.unk_id_) + "])");
      sp.unk_id_ = id;
    }
    if (type == PieceType::kByte) {
      if (!sp.spec_.byte_fallback)
        return bad(name() + ": BYTE piece " + quoted(p.piece) + " but byte_fallback is false");
      const int b = byte_piece_value(p.piece);
      if (b < 0) return bad(name() + ": BYTE piece " + quoted(p.piece) + " is not of the form <0xXX>");
      byte_found[static_cast<size_t>(b)] = true;
      impl->byte_ids[static_cast<size_t>(b)] = id;
    }
    if (type == PieceType::kNormal) {
      impl->min_score = std::min(impl->min_score, p.score);
      impl->max_score = std::max(impl->max_score, p.score);
    }
    sp.pieces_.emplace_back(p.piece);
    sp.scores_.push_back(p.score);
    sp.types_.push_back(type);
  }
  // Duplicates are equal neighbours once sorted by (piece, id). Report the earliest repetition in the file.
  std::sort(all_keys.begin(), all_keys.end());
  int32_t dup = -1, orig = -1;
  for (size_t i = 1, group = 0; i < all_keys.size(); ++i) {
    if (all_keys[i].first != all_keys[i - 1].first) {
      group = i;
    } else if (dup < 0 || all_keys[i].second < dup) {
      dup = all_keys[i].second;
      orig = all_keys[group].second;
    }
  }
  if (dup >= 0)
    return bad("pieces[" + std::to_string(dup) + "] " + quoted(sp.pieces_[static_cast<size_t>(dup)]) +
               " duplicates pieces[" + std::to_string(orig) + "]");
  impl->ids.build(all_keys);
  bool has_trie_pieces = false;
  for (const auto& [piece, id] : all_keys) {  // still sorted
    const PieceType type = sp.types_[static_cast<size_t>(id)];
    if (type == PieceType::kUserDefined) user_keys.emplace_back(piece, id);
    has_trie_pieces = has_trie_pieces || is_model_piece(type);
  }
  if (sp.unk_id_ < 0) return bad("no piece of type UNKNOWN (the unk piece)");
  if (sp.spec_.byte_fallback)
    for (int b = 0; b < 256; ++b)
      if (!byte_found[static_cast<size_t>(b)]) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        return bad(std::string("byte_fallback is set but there is no BYTE piece ") + buf);
      }
  if (sp.spec_.model_type == ModelType::kUnigram && !has_trie_pieces)
    return bad("a unigram model needs at least one NORMAL, USER_DEFINED or UNUSED piece");
  bool space_first = true, space_last = true;
  for (const auto& [piece, id] : all_keys) {
    if (!is_model_piece(sp.types_[static_cast<size_t>(id)])) continue;
    for (size_t pos = piece.find(kSpaceSymbol); pos != std::string_view::npos;
         pos = piece.find(kSpaceSymbol, pos + 1)) {
      if (pos != 0) space_first = false;
      if (pos + kSpaceSymbol.size() != piece.size()) space_last = false;
    }
  }
  // With UNUSED pieces, BPE resegments every merged UNUSED piece by the last split recorded anywhere in the
  // text, so the text must be merged whole.
  const bool has_unused = std::find(sp.types_.begin(), sp.types_.end(), PieceType::kUnused) != sp.types_.end();
  impl->bpe_split = has_unused ? 0 : space_first ? 1 : space_last ? 2 : 0;
  impl->user_defined.build(user_keys);
  impl->has_user_defined = !user_keys.empty();

  // Normalizers.
  norm_opt.treat_whitespace_as_suffix = sp.spec_.treat_whitespace_as_suffix;
  sp.spec_.add_dummy_prefix = norm_opt.add_dummy_prefix;
  sp.spec_.remove_extra_whitespaces = norm_opt.remove_extra_whitespaces;
  sp.spec_.escape_whitespaces = norm_opt.escape_whitespaces;
  impl->normalizer.opt = norm_opt;
  if (!charsmap.empty())
    ATTN_TRY(Charsmap::load(charsmap, "normalizer_spec.precompiled_charsmap", &impl->normalizer.charsmap));
  if (!denorm_charsmap.empty()) {
    ATTN_TRY(Charsmap::load(denorm_charsmap, "denormalizer_spec.precompiled_charsmap", &impl->denormalizer.charsmap));
    impl->denormalizer.opt = denorm_opt;  // a denormalizer has no treat_whitespace_as_suffix
    sp.spec_.has_denormalizer = true;
  }
  // The user-defined matcher points into the Impl, which is on the heap and never moves.
  impl->normalizer.user_defined = impl->has_user_defined ? &impl->user_defined : nullptr;
  sp.impl_ = std::move(impl);
  *out = std::move(sp);
  return Status();
}

// --------------------------------------------------------------------------------------------------- lookups
int32_t SentencePiece::piece_to_id(std::string_view piece) const { return impl_ ? impl_->ids.find(piece) : -1; }

int32_t SentencePiece::lookup(std::string_view piece) const {
  const int32_t id = piece_to_id(piece);
  return id < 0 ? unk_id_ : id;
}

const std::string& SentencePiece::id_to_piece(int32_t id) const {
  static const std::string kEmpty;
  return (id >= 0 && id < size()) ? pieces_[static_cast<size_t>(id)] : kEmpty;
}

SentencePiece::PieceType SentencePiece::piece_type(int32_t id) const {
  return (id >= 0 && id < size()) ? types_[static_cast<size_t>(id)] : PieceType::kNormal;
}

float SentencePiece::score(int32_t id) const {
  return (id >= 0 && id < size()) ? scores_[static_cast<size_t>(id)] : 0.0f;
}

int32_t SentencePiece::control_id(const std::string& piece) const {
  const int32_t id = piece_to_id(piece);
  return (id >= 0 && piece_type(id) == PieceType::kControl) ? id : -1;
}

// -------------------------------------------------------------------------------------------------- models
namespace {

// sentencepiece's optimized unigram Viterbi (EncodeOptimized), with its arithmetic: scores of NORMAL pieces
// are added in double and stored as float; the unknown score is added in float.
void encode_unigram(const SentencePiece& sp, const SentencePiece::Impl& m, std::string_view text,
                    std::vector<Segment>* out) {
  struct Best {
    int32_t id = -1;
    float score = 0.0f;
    int64_t starts_at = -1;
  };
  const size_t size = text.size();
  const float unk_score = m.min_score - 10.0f;
  std::vector<Best> best(size + 1);
  size_t starts_at = 0;
  while (starts_at < size) {
    const float till_here = best[starts_at].score;
    bool has_single_node = false;
    const size_t mblen = std::min(one_char_len(static_cast<unsigned char>(text[starts_at])), size - starts_at);
    int32_t node = 0;
    for (size_t key_pos = starts_at; key_pos < size;) {
      node = m.ids.child(node, static_cast<unsigned char>(text[key_pos]));
      ++key_pos;
      if (node < 0) break;
      const int32_t id = m.ids.value(node);
      if (id < 0) continue;
      const SentencePiece::PieceType type = sp.piece_type(id);
      if (type == SentencePiece::PieceType::kUnused || !is_model_piece(type)) continue;
      Best& target = best[key_pos];
      const size_t length = key_pos - starts_at;
      double score;
      if (type == SentencePiece::PieceType::kUserDefined) {
        const float bonus = static_cast<float>(length) * m.max_score;
        score = static_cast<double>(bonus) - 0.1;
      } else {
        score = static_cast<double>(sp.score(id));
      }
      const double candidate = score + static_cast<double>(till_here);
      if (target.starts_at == -1 || candidate > static_cast<double>(target.score)) {
        target.score = static_cast<float>(candidate);
        target.starts_at = static_cast<int64_t>(starts_at);
        target.id = id;
      }
      if (!has_single_node && length == mblen) has_single_node = true;
    }
    if (!has_single_node) {
      Best& target = best[starts_at + mblen];
      const float candidate = unk_score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int64_t>(starts_at);
        target.id = sp.unk_id();
      }
    }
    starts_at += mblen;
  }
  out->clear();
  for (size_t end = size; end > 0;) {
    const Best& b = best[end];
    const size_t begin = static_cast<size_t>(b.starts_at);
    out->push_back({begin, end, b.id});
    end = begin;
  }
  std::reverse(out->begin(), out->end());
}

// sentencepiece's BPE: symbols are characters (or user-defined pieces, never merged); the adjacent pair whose
// concatenation is the best-scoring piece merges first (the leftmost among equal scores). Merged UNUSED pieces
// are split back into the two symbols they came from. Works on text[begin, end) and appends to *out.
struct BpeScratch {
  struct Symbol {
    int64_t prev, next;
    bool freeze;
    size_t begin, len;
  };
  struct Pair {
    int64_t left, right;
    float score;
    size_t size;
  };
  std::vector<Symbol> symbols;
  std::vector<Pair> pairs;
  std::vector<size_t> heap;
  std::unordered_map<std::string_view, size_t> rev_merge;  // merged UNUSED piece -> length of its left part
  std::vector<std::pair<size_t, size_t>> stack;
};

void encode_bpe(const SentencePiece& sp, const SentencePiece::Impl& m, std::string_view text, size_t begin, size_t end,
                BpeScratch* ws, std::vector<Segment>* out) {
  auto& symbols = ws->symbols;
  auto& pairs = ws->pairs;
  auto& heap = ws->heap;
  auto& rev_merge = ws->rev_merge;
  symbols.clear();
  pairs.clear();
  heap.clear();
  if (!rev_merge.empty()) rev_merge.clear();
  const std::string_view chunk = text.substr(0, end);
  for (size_t pos = begin; pos < end;) {
    BpeScratch::Symbol s;
    s.len = m.symbol_len(chunk, pos, &s.freeze);
    s.begin = pos;
    const int64_t index = static_cast<int64_t>(symbols.size());
    s.prev = index - 1;
    pos += s.len;
    s.next = pos < end ? index + 1 : -1;
    symbols.push_back(s);
  }
  if (symbols.empty()) return;
  // A max-heap of pairs: higher score first, then the smaller left index.
  auto worse = [&pairs](size_t a, size_t b) {
    return pairs[a].score < pairs[b].score || (pairs[a].score == pairs[b].score && pairs[a].left > pairs[b].left);
  };
  auto maybe_add = [&](int64_t left, int64_t right) {
    if (left == -1 || right == -1) return;
    const BpeScratch::Symbol& l = symbols[static_cast<size_t>(left)];
    const BpeScratch::Symbol& r = symbols[static_cast<size_t>(right)];
    if (l.freeze || r.freeze) return;
    const std::string_view piece = text.substr(l.begin, l.len + r.len);
    const int32_t id = m.ids.find(piece);
    if (id < 0 || !is_model_piece(sp.piece_type(id))) return;
    pairs.push_back({left, right, sp.score(id), piece.size()});
    heap.push_back(pairs.size() - 1);
    std::push_heap(heap.begin(), heap.end(), worse);
    if (sp.piece_type(id) == SentencePiece::PieceType::kUnused) rev_merge[piece] = l.len;
  };
  for (size_t i = 1; i < symbols.size(); ++i) maybe_add(static_cast<int64_t>(i - 1), static_cast<int64_t>(i));
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    const BpeScratch::Pair top = pairs[heap.back()];
    heap.pop_back();
    BpeScratch::Symbol& l = symbols[static_cast<size_t>(top.left)];
    BpeScratch::Symbol& r = symbols[static_cast<size_t>(top.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != top.size) continue;  // stale
    l.len += r.len;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
    r.len = 0;
    maybe_add(l.prev, top.left);
    maybe_add(top.left, l.next);
  }
  auto& stack = ws->stack;
  for (int64_t index = 0; index != -1; index = symbols[static_cast<size_t>(index)].next) {
    const BpeScratch::Symbol& s = symbols[static_cast<size_t>(index)];
    stack.assign(1, {s.begin, s.begin + s.len});
    while (!stack.empty()) {
      const auto [b, e] = stack.back();
      stack.pop_back();
      const std::string_view w = text.substr(b, e - b);
      int32_t id = m.ids.find(w);
      if (id >= 0 && !is_model_piece(sp.piece_type(id))) id = -1;
      const auto it =
          (id >= 0 && sp.piece_type(id) == SentencePiece::PieceType::kUnused) ? rev_merge.find(w) : rev_merge.end();
      if (it == rev_merge.end()) {
        out->push_back({b, e, id});  // -1 (not a piece): resolved to the unk id by the caller
        continue;
      }
      stack.push_back({b + it->second, e});
      stack.push_back({b, b + it->second});
    }
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------- encode
SentencePiece::Normalized SentencePiece::normalize(std::string_view text) const {
  Normalized n;
  if (!impl_) {
    n.to_input.push_back(0);
    return n;
  }
  impl_->normalizer.run(text, &n.text, &n.to_input);
  return n;
}

std::vector<SentencePiece::Piece> SentencePiece::encode(std::string_view text, Normalized* normalized) const {
  std::vector<Piece> result;
  if (!impl_) {
    if (normalized) *normalized = normalize(text);
    return result;
  }
  const Impl& m = *impl_;
  Normalized local;
  Normalized& nz = normalized ? *normalized : local;
  m.normalizer.run(text, &nz.text, &nz.to_input);
  const std::string& norm = nz.text;
  const std::vector<int64_t>& to_input = nz.to_input;
  if (norm.empty()) return result;

  std::vector<Segment> segs;
  switch (spec_.model_type) {
    case ModelType::kUnigram:
      encode_unigram(*this, m, norm, &segs);
      break;
    case ModelType::kBpe: {
      // Merges are local: when no piece has "▁" inside (only first, or only last), no merge crosses the
      // position before (after) a "▁", and the text splits there into parts that merge independently, in the
      // same order as when merged whole. This keeps BPE's heap small. (Not with UNUSED pieces: see bpe_split.)
      BpeScratch ws;
      size_t chunk = 0;
      if (m.bpe_split != 0) {
        for (size_t pos = norm.find(kSpaceSymbol); pos != std::string::npos; pos = norm.find(kSpaceSymbol, pos + 1)) {
          const size_t cut = m.bpe_split == 1 ? pos : pos + kSpaceSymbol.size();
          if (cut > chunk && cut < norm.size()) {
            encode_bpe(*this, m, norm, chunk, cut, &ws, &segs);
            chunk = cut;
          }
        }
      }
      encode_bpe(*this, m, norm, chunk, norm.size(), &ws, &segs);
      break;
    }
    case ModelType::kChar:
      for (size_t pos = 0; pos < norm.size();) {
        bool user;
        const size_t len = m.symbol_len(norm, pos, &user);
        segs.push_back({pos, pos + len, -1});
        pos += len;
      }
      break;
    case ModelType::kWord: {
      // A new word at the start and before every "▁" (sentencepiece's SplitIntoWords, prefix mode).
      size_t word = 0;
      for (size_t pos = 0; pos < norm.size();) {
        const size_t len = std::min(one_char_len(static_cast<unsigned char>(norm[pos])), norm.size() - pos);
        if (pos > 0 && norm.compare(pos, len, kSpaceSymbol) == 0) {
          segs.push_back({word, pos, -1});
          word = pos;
        }
        pos += len;
      }
      segs.push_back({word, norm.size(), -1});
      break;
    }
  }

  result.reserve(segs.size());
  bool prev_unk = false;
  for (const Segment& s : segs) {
    const std::string_view w = std::string_view(norm).substr(s.begin, s.end - s.begin);
    int32_t id = s.id >= 0 ? s.id : lookup(w);
    // A CONTROL piece's string in the text (possible with WORD, CHAR and BPE models) makes sentencepiece's
    // encoder fail; here it is an unknown piece.
    if (piece_type(id) == PieceType::kControl) id = unk_id_;
    const bool is_unk = piece_type(id) == PieceType::kUnknown;
    const int64_t begin = to_input[s.begin];
    const int64_t end = to_input[s.end];
    if (is_unk && spec_.byte_fallback) {
      for (size_t i = 0; i < w.size(); ++i) {
        const unsigned char b = static_cast<unsigned char>(w[i]);
        const int32_t bid = m.byte_ids[b];
        result.push_back({pieces_[static_cast<size_t>(bid)], bid, begin, i + 1 == w.size() ? end : begin});
      }
    } else if (prev_unk && is_unk) {
      result.back().piece.append(w.data(), w.size());
      result.back().end = end;
    } else {
      result.push_back({std::string(w), id, begin, end});
    }
    prev_unk = is_unk;
  }
  return result;
}

std::vector<int32_t> SentencePiece::encode_ids(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const Piece& p : encode(text)) ids.push_back(p.id);
  return ids;
}

// ------------------------------------------------------------------------------------------------- decode
std::string SentencePiece::decode_pieces(const std::vector<std::string>& pieces) const {
  std::string text;
  if (!impl_) return text;
  // Byte pieces are decoded in runs, as UTF-8: a valid character, or U+FFFD for one invalid byte.
  std::string bytes;
  auto flush_bytes = [&]() {
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t len = valid_char_len(bytes, pos);
      if (len == 0) {
        text.append(kReplacementChar.data(), kReplacementChar.size());
        ++pos;
      } else {
        text.append(bytes, pos, len);
        pos += len;
      }
    }
    bytes.clear();
  };
  bool is_bos_ws = true;  // the next piece may lose its leading "▁"
  bool bos_ws_seen = false;
  const bool strip_first = spec_.add_dummy_prefix || spec_.remove_extra_whitespaces;
  for (const std::string& piece : pieces) {
    const int32_t id = lookup(piece);
    const PieceType type = piece_type(id);
    if (type == PieceType::kByte) {
      bytes.push_back(static_cast<char>(byte_piece_value(piece)));
      continue;
    }
    flush_bytes();
    if (bos_ws_seen || !text.empty()) is_bos_ws = false;
    bos_ws_seen = false;
    if (type == PieceType::kControl) continue;
    if (type == PieceType::kUnknown) {
      // The unknown piece itself is unk_surface; a string that is not a piece of the model is kept as it is.
      text += pieces_[static_cast<size_t>(id)] == piece ? spec_.unk_surface : piece;
      continue;
    }
    std::string_view w = piece;
    if (is_bos_ws && strip_first) {
      if (w.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
        w.remove_prefix(kSpaceSymbol.size());
        bos_ws_seen = !spec_.remove_extra_whitespaces;
      }
    }
    for (size_t pos = 0; pos < w.size();) {
      if (w.compare(pos, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
        text.push_back(' ');
        pos += kSpaceSymbol.size();
      } else {
        text.push_back(w[pos++]);
      }
    }
  }
  flush_bytes();
  if (spec_.has_denormalizer) {
    std::string out;
    std::vector<int64_t> unused;
    impl_->denormalizer.run(text, &out, &unused);
    return out;
  }
  return text;
}

Status SentencePiece::decode_ids(const std::vector<int32_t>& ids, std::string* out) const {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= size())
      return Status::error("sentencepiece: ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                           " is not in [0, " + std::to_string(size()) + ")");
    pieces.push_back(pieces_[static_cast<size_t>(ids[i])]);
  }
  *out = decode_pieces(pieces);
  return Status();
}

}  // namespace attn
