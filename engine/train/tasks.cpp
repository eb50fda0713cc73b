#include "train/tasks.h"

#include <algorithm>

namespace attn {

bool parse_task(const std::string& name, TaskKind* out) {
  if (name == "copy") *out = TaskKind::kCopy;
  else if (name == "reverse") *out = TaskKind::kReverse;
  else if (name == "sort") *out = TaskKind::kSort;
  else if (name == "repeat") *out = TaskKind::kRepeat;
  else return false;
  return true;
}

const char* task_name(TaskKind t) {
  switch (t) {
    case TaskKind::kCopy: return "copy";
    case TaskKind::kReverse: return "reverse";
    case TaskKind::kSort: return "sort";
    case TaskKind::kRepeat: return "repeat";
  }
  return "?";
}

int32_t TaskConfig::max_positions(Arch arch) const {
  const int32_t y = kind == TaskKind::kRepeat ? 2 * max_len : max_len;
  switch (arch) {
    case Arch::kEncoderDecoder: return std::max(max_len, y + 1);
    case Arch::kDecoder: return max_len + 1 + y;
    case Arch::kEncoder: return max_len;
  }
  return max_len;
}

Status TaskConfig::validate(Arch arch) const {
  if (symbols < 2 || symbols > 1000) return Status::error("symbols must be between 2 and 1000");
  if (min_len < 1 || max_len < min_len || max_len > 256) return Status::error("lengths must satisfy 1 <= min_len <= max_len <= 256");
  if (arch == Arch::kEncoder && kind == TaskKind::kRepeat)
    return Status::error("an encoder-only model labels each input position: the repeat task needs a decoder");
  return Status();
}

std::vector<int32_t> task_answer(TaskKind kind, const std::vector<int32_t>& x) {
  std::vector<int32_t> y = x;
  switch (kind) {
    case TaskKind::kCopy: break;
    case TaskKind::kReverse: std::reverse(y.begin(), y.end()); break;
    case TaskKind::kSort: std::sort(y.begin(), y.end()); break;
    case TaskKind::kRepeat: y.insert(y.end(), x.begin(), x.end()); break;
  }
  return y;
}

std::vector<int32_t> task_input(const TaskConfig& task, Rng& rng) {
  const int32_t n = task.min_len + static_cast<int32_t>(rng.below(static_cast<uint32_t>(task.max_len - task.min_len + 1)));
  std::vector<int32_t> x(static_cast<size_t>(n));
  for (int32_t& v : x) v = kFirstSymbol + static_cast<int32_t>(rng.below(static_cast<uint32_t>(task.symbols)));
  return x;
}

Batch make_batch(const TaskConfig& task, Arch arch, const std::vector<std::vector<int32_t>>& inputs) {
  Batch b;
  b.B = static_cast<int64_t>(inputs.size());
  std::vector<std::vector<int32_t>> srcs, tgts, outs;
  for (const auto& x : inputs) {
    const std::vector<int32_t> y = task_answer(task.kind, x);
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

Batch task_batch(const TaskConfig& task, Arch arch, int64_t B, Rng& rng) {
  std::vector<std::vector<int32_t>> inputs;
  for (int64_t i = 0; i < B; ++i) inputs.push_back(task_input(task, rng));
  return make_batch(task, arch, inputs);
}

}  // namespace attn
