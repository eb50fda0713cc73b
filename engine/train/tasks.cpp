#include "train/tasks.h"

#include <algorithm>
#include <cstring>

#include "train/dates.h"
#include "train/summarize.h"

namespace attn {

namespace {

constexpr int32_t kDateSymbols = static_cast<int32_t>(sizeof(kDateAlphabet) - 1);

int32_t summary_words() { return static_cast<int32_t>(summarize::words().size()); }

// Word indices of the summarize grammar <-> token ids.
std::vector<int32_t> word_ids(const std::vector<int>& indices) {
  std::vector<int32_t> ids;
  for (int i : indices) ids.push_back(kFirstSymbol + i);
  return ids;
}
std::vector<int> word_indices(const std::vector<int32_t>& ids) {
  std::vector<int> out;
  for (int32_t id : ids) out.push_back(id - kFirstSymbol);
  return out;
}

// A draw from one side of the split takes at most this many tries; validate() makes sure the input space
// is large enough that both sides have members (1 in 8 inputs is held out).
constexpr int kMaxDraws = 100000;

// Number of distinct toy inputs, saturating at `cap`.
double input_space(const TaskConfig& t, double cap) {
  double total = 0, count = 1;
  for (int32_t n = 1; n <= t.max_len && total < cap; ++n) {
    count *= t.symbols;
    if (n >= t.min_len) total += count;
  }
  return std::min(total, cap);
}

int32_t date_id(char c) {
  const char* p = std::strchr(kDateAlphabet, c);
  return c != '\0' && p ? kFirstSymbol + static_cast<int32_t>(p - kDateAlphabet) : -1;
}

std::vector<int32_t> date_ids(const std::string& s) {
  std::vector<int32_t> ids;
  for (char c : s) ids.push_back(date_id(c));
  return ids;
}

std::vector<int32_t> toy_input(const TaskConfig& task, Rng& rng) {
  const int32_t n = task.min_len + static_cast<int32_t>(rng.below(static_cast<uint32_t>(task.max_len - task.min_len + 1)));
  std::vector<int32_t> x(static_cast<size_t>(n));
  for (int32_t& v : x) v = kFirstSymbol + static_cast<int32_t>(rng.below(static_cast<uint32_t>(task.symbols)));
  return x;
}

}  // namespace

bool parse_task(const std::string& name, TaskKind* out) {
  if (name == "copy") *out = TaskKind::kCopy;
  else if (name == "reverse") *out = TaskKind::kReverse;
  else if (name == "sort") *out = TaskKind::kSort;
  else if (name == "repeat") *out = TaskKind::kRepeat;
  else if (name == "dates") *out = TaskKind::kDates;
  else if (name == "summarize") *out = TaskKind::kSummarize;
  else return false;
  return true;
}

const char* task_name(TaskKind t) {
  switch (t) {
    case TaskKind::kCopy: return "copy";
    case TaskKind::kReverse: return "reverse";
    case TaskKind::kSort: return "sort";
    case TaskKind::kRepeat: return "repeat";
    case TaskKind::kDates: return "dates";
    case TaskKind::kSummarize: return "summarize";
  }
  return "?";
}

const char* task_names() { return "copy, reverse, sort, repeat, dates or summarize"; }

int32_t TaskConfig::vocab_size() const {
  switch (kind) {
    case TaskKind::kDates: return kFirstSymbol + kDateSymbols;
    case TaskKind::kSummarize: return kFirstSymbol + summary_words();
    default: return kFirstSymbol + symbols;
  }
}

int32_t TaskConfig::max_input() const {
  switch (kind) {
    case TaskKind::kDates: return kDateMaxSource;
    case TaskKind::kSummarize: return summarize::kMaxSource;
    default: return max_len;
  }
}

int32_t TaskConfig::max_answer() const {
  switch (kind) {
    case TaskKind::kDates: return kDateTarget;
    case TaskKind::kSummarize: return summarize::kMaxHeadline;
    case TaskKind::kRepeat: return 2 * max_len;
    default: return max_len;
  }
}

int32_t TaskConfig::max_positions(Arch arch) const {
  const int32_t x = max_input(), y = max_answer();
  switch (arch) {
    case Arch::kEncoderDecoder: return std::max(x, y + 1);
    case Arch::kDecoder: return x + 1 + y;
    case Arch::kEncoder: return x;
  }
  return x;
}

Status TaskConfig::validate(Arch arch) const {
  if (kind == TaskKind::kDates) {
    if (arch == Arch::kEncoder)
      return Status::error("an encoder-only model labels each input position, but a date and its ISO form differ in "
                           "length: the dates task needs a decoder (encoder-decoder or decoder-only)");
    return Status();
  }
  if (kind == TaskKind::kSummarize) {
    if (arch == Arch::kEncoder)
      return Status::error("an encoder-only model labels each input position, but a headline is shorter than its "
                           "sentence: the summarize task needs a decoder (encoder-decoder or decoder-only)");
    return Status();
  }
  if (symbols < 2 || symbols > 1000) return Status::error("symbols must be between 2 and 1000");
  if (min_len < 1 || max_len < min_len || max_len > 256)
    return Status::error("lengths must satisfy 1 <= min_len <= max_len <= 256");
  if (arch == Arch::kEncoder && kind == TaskKind::kRepeat)
    return Status::error("an encoder-only model labels each input position: the repeat task needs a decoder");
  if (input_space(*this, 64) < 64)
    return Status::error("this task has only " + std::to_string(static_cast<int>(input_space(*this, 64))) +
                         " different inputs: too few to hold some out for testing; use more symbols or longer inputs");
  return Status();
}

Status task_config_from_json(const Json& j, TaskConfig* out) {
  if (!j.is_object()) return Status::error("the task must be a JSON object");
  for (const auto& kv : j.members())
    if (kv.first != "name" && kv.first != "symbols" && kv.first != "min_len" && kv.first != "max_len")
      return Status::error("unknown task key '" + kv.first + "'");
  TaskConfig t;
  std::string name = task_name(t.kind);
  ATTN_TRY(get_string(j, "name", &name));
  if (!parse_task(name, &t.kind)) return Status::error(std::string("task must be ") + task_names() + ", got '" + name + "'");
  int64_t symbols = t.symbols, min_len = t.min_len, max_len = t.max_len;
  ATTN_TRY(get_int(j, "symbols", 2, 1000, &symbols));
  ATTN_TRY(get_int(j, "min_len", 1, 256, &min_len));
  ATTN_TRY(get_int(j, "max_len", 1, 256, &max_len));
  t.symbols = static_cast<int32_t>(symbols);
  t.min_len = static_cast<int32_t>(min_len);
  t.max_len = static_cast<int32_t>(max_len);
  *out = t;
  return Status();
}

Json task_config_to_json(const TaskConfig& t) {
  Json j = Json::object();
  j.set("name", Json::string(task_name(t.kind)));
  if (t.kind != TaskKind::kDates && t.kind != TaskKind::kSummarize) {
    j.set("symbols", Json::number(t.symbols));
    j.set("min_len", Json::number(t.min_len));
    j.set("max_len", Json::number(t.max_len));
  }
  return j;
}

bool is_held_out(const std::vector<int32_t>& x) {
  uint32_t h = 2166136261u;  // FNV-1a over the ids' bytes
  for (int32_t v : x)
    for (int b = 0; b < 4; ++b) h = (h ^ ((static_cast<uint32_t>(v) >> (8 * b)) & 0xffu)) * 16777619u;
  h ^= h >> 15;  // mix the low bits, which FNV leaves weak
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  return (h & 7u) == 0;
}

std::vector<int32_t> task_answer(TaskKind kind, const std::vector<int32_t>& x) {
  std::vector<int32_t> y = x;
  switch (kind) {
    case TaskKind::kCopy: break;
    case TaskKind::kReverse: std::reverse(y.begin(), y.end()); break;
    case TaskKind::kSort: std::sort(y.begin(), y.end()); break;
    case TaskKind::kRepeat: y.insert(y.end(), x.begin(), x.end()); break;
    case TaskKind::kDates:
    case TaskKind::kSummarize: y.clear(); break;  // see rule_answer
  }
  return y;
}

bool rule_answer(const TaskConfig& task, const std::vector<int32_t>& x, std::vector<int32_t>* y) {
  if (task.kind == TaskKind::kDates) return false;
  if (task.kind != TaskKind::kSummarize) {
    *y = task_answer(task.kind, x);
    return true;
  }
  std::vector<int> from;
  if (!summarize::headline_of(word_indices(x), &from)) return false;
  y->clear();
  for (int p : from) y->push_back(x[static_cast<size_t>(p)]);
  return true;
}

Sample task_sample(const TaskConfig& task, Rng& rng, Split split) {
  const bool want_held_out = split == Split::kHeldOut;
  Sample s;
  for (int tries = 0; tries < kMaxDraws; ++tries) {
    if (task.kind == TaskKind::kDates) {
      const dates::Example e = dates::random_training_example(rng);
      s.x = date_ids(e.source);
      s.y = date_ids(e.target);
    } else if (task.kind == TaskKind::kSummarize) {
      const summarize::Example e = summarize::random_example(rng);
      s.x = word_ids(e.source);
      s.y = word_ids(e.headline);
    } else {
      s.x = toy_input(task, rng);
      s.y = task_answer(task.kind, s.x);
    }
    if (is_held_out(s.x) == want_held_out) return s;
  }
  return s;  // unreachable for configs that pass validate()
}

Batch make_batch(Arch arch, const std::vector<Sample>& samples) {
  Batch b;
  b.B = static_cast<int64_t>(samples.size());
  std::vector<std::vector<int32_t>> srcs, tgts, outs;
  for (const Sample& s : samples) {
    const std::vector<int32_t>& x = s.x;
    const std::vector<int32_t>& y = s.y;
    std::vector<int32_t> src, tgt, out;
    if (arch == Arch::kEncoderDecoder) {
      src = x;
      tgt = {kBos};
      tgt.insert(tgt.end(), y.begin(), y.end());
      out = y;
      out.push_back(kEos);
    } else if (arch == Arch::kDecoder) {
      std::vector<int32_t> seq = x;  // x <bos> y <eos>; predict each next token, scored on y <eos> only
      seq.push_back(kBos);
      seq.insert(seq.end(), y.begin(), y.end());
      seq.push_back(kEos);
      src.assign(seq.begin(), seq.end() - 1);
      out.assign(seq.size() - 1, kPad);
      for (size_t i = x.size(); i + 1 < seq.size(); ++i) out[i] = seq[i + 1];
    } else {
      src = x;
      out = y;  // one label per position (copy, reverse, sort keep the length)
    }
    srcs.push_back(src);
    tgts.push_back(tgt);
    outs.push_back(out);
  }
  auto longest = [](const std::vector<std::vector<int32_t>>& v) {
    size_t m = 0;
    for (const auto& s : v) m = std::max(m, s.size());
    return static_cast<int64_t>(m);
  };
  auto pad_into = [&](std::vector<int32_t>& dst, const std::vector<std::vector<int32_t>>& rows, int64_t len) {
    dst.assign(static_cast<size_t>(b.B * len), kPad);
    for (size_t r = 0; r < rows.size(); ++r) std::copy(rows[r].begin(), rows[r].end(), dst.begin() + static_cast<int64_t>(r) * len);
  };
  b.S = longest(srcs);
  b.T = arch == Arch::kEncoderDecoder ? longest(tgts) : 0;
  pad_into(b.src, srcs, b.S);
  pad_into(b.tgt, tgts, b.T);
  pad_into(b.targets, outs, b.out_len());
  return b;
}

Batch task_batch(const TaskConfig& task, Arch arch, int64_t B, Rng& rng, Split split) {
  std::vector<Sample> samples;
  for (int64_t i = 0; i < B; ++i) samples.push_back(task_sample(task, rng, split));
  return make_batch(arch, samples);
}

// ------------------------------------------------------------------------------------------------- text
Status parse_task_input(const TaskConfig& task, const std::string& text, std::vector<int32_t>* x) {
  std::vector<int32_t> ids;
  if (task.kind == TaskKind::kDates) {
    for (size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const int32_t id = date_id(static_cast<char>(c));
      if (id < 0) {
        std::string shown;
        if (c >= 0x80) {  // the whole UTF-8 character
          size_t n = 1;
          while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80 && n < 4) ++n;
          shown = text.substr(i, n);
        } else {
          shown = c < 0x20 || c == 0x7f ? "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15]
                                        : std::string(1, static_cast<char>(c));
        }
        return Status::error("'" + shown + "' is not a character of the dates task: it knows letters, digits, spaces and , . / - '");
      }
      ids.push_back(id);
    }
    if (ids.empty()) return Status::error("type a date, for example Nov. 23rd 2026");
    if (static_cast<int32_t>(ids.size()) > kDateMaxSource)
      return Status::error("a date of at most " + std::to_string(kDateMaxSource) + " characters, please (this one has " +
                           std::to_string(ids.size()) + ")");
  } else if (task.kind == TaskKind::kSummarize) {
    // Words: runs of characters other than spaces, control characters and , . ; : ! ? (dropped); capitals read
    // as lower case.
    auto separates = [](char c) { return static_cast<unsigned char>(c) <= 0x20 || std::strchr(",.;:!?", c) != nullptr; };
    size_t i = 0;
    while (i < text.size()) {
      if (separates(text[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && !separates(text[j])) ++j;
      std::string word = text.substr(i, j - i);
      for (char& c : word)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      const int k = summarize::word_index(word);
      if (k < 0)
        return Status::error("'" + text.substr(i, j - i) + "' is not a word of the summarize task: it knows the " +
                             std::to_string(summary_words()) + " words its sentences are made of, such as farmer, sold, "
                             "cows, yesterday, market");
      ids.push_back(kFirstSymbol + k);
      i = j;
    }
    if (ids.empty()) return Status::error("type a sentence, for example: yesterday the old farmer sold his two brown cows");
    if (static_cast<int32_t>(ids.size()) > summarize::kMaxSource)
      return Status::error("a sentence of at most " + std::to_string(summarize::kMaxSource) + " words, please (this one has " +
                           std::to_string(ids.size()) + ")");
  } else {
    const bool digits_alone = task.symbols <= 10 && text.find_first_of(" ,") == std::string::npos;
    size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == ' ' || c == ',') {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9' && (!digits_alone || j == i)) ++j;
      if (j == i || (j - i > 1 && text[i] == '0') || j - i > 4) {
        const size_t end = text.find_first_of(" ,", i);
        return Status::error("'" + text.substr(i, end == std::string::npos ? std::string::npos : end - i) +
                             "' is not a symbol of this task: use numbers from 0 to " + std::to_string(task.symbols - 1) +
                             ", separated by spaces");
      }
      const int32_t v = std::stoi(text.substr(i, j - i));
      if (v >= task.symbols)
        return Status::error(std::to_string(v) + " is not a symbol of this task: use numbers from 0 to " +
                             std::to_string(task.symbols - 1));
      ids.push_back(kFirstSymbol + v);
      i = j;
    }
    if (ids.empty()) return Status::error("type a sequence of numbers from 0 to " + std::to_string(task.symbols - 1) + ", e.g. 3 1 4");
    if (static_cast<int32_t>(ids.size()) > task.max_len)
      return Status::error("this model was trained on inputs of at most " + std::to_string(task.max_len) +
                           " symbols (this one has " + std::to_string(ids.size()) + ")");
  }
  *x = ids;
  return Status();
}

std::string token_label(const TaskConfig& task, int32_t id) {
  if (id == kPad) return "<pad>";
  if (id == kBos) return "<bos>";
  if (id == kEos) return "<eos>";
  const int32_t s = id - kFirstSymbol;
  if (task.kind == TaskKind::kDates) {
    if (s < 0 || s >= kDateSymbols) return "<?>";
    return kDateAlphabet[s] == ' ' ? "\xE2\x90\xA3" : std::string(1, kDateAlphabet[s]);  // ␣ for the space
  }
  if (task.kind == TaskKind::kSummarize) return s < 0 || s >= summary_words() ? "<?>" : summarize::words()[static_cast<size_t>(s)];
  return s < 0 || s >= task.symbols ? "<?>" : std::to_string(s);
}

std::string task_text(const TaskConfig& task, const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    if (task.kind == TaskKind::kDates) {
      const int32_t s = id - kFirstSymbol;
      if (s >= 0 && s < kDateSymbols) out += kDateAlphabet[s];
    } else {
      if (!out.empty()) out += ' ';
      out += token_label(task, id);
    }
  }
  return out;
}

}  // namespace attn
