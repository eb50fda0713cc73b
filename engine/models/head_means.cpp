#include "models/head_means.h"

namespace attn {

namespace {

// Running sums of the heads' context vectors of one kind of attention, [layers, H, Dh], and the positions added.
struct HeadSums {
  std::vector<double> sum;
  int64_t layers = 0, H = 0, Dh = 0, positions = 0;

  HeadSums(int64_t l, int64_t h, int64_t d) : sum(static_cast<size_t>(l * h * d), 0.0), layers(l), H(h), Dh(d) {}
  // heads [1, H, L, Dh] of `layer`: every position's vector added to its head's sum.
  void add(int64_t layer, const Tensor& heads) {
    const int64_t L = heads.dim(2);
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i) {
        const float* v = heads.ptr() + (h * L + i) * Dh;
        double* s = sum.data() + (layer * H + h) * Dh;
        for (int64_t d = 0; d < Dh; ++d) s[d] += v[d];
      }
  }
  Tensor mean() const {
    Tensor t({layers, H, Dh});
    for (size_t i = 0; i < sum.size(); ++i) t.data[i] = static_cast<float>(sum[i] / static_cast<double>(positions));
    return t;
  }
};

}  // namespace

Status head_means(const TransformerModel& model, const std::vector<std::vector<int32_t>>& seqs,
                  const std::vector<std::vector<int32_t>>& tgts, HeadMasks* out) {
  const ModelConfig& c = model.config;
  const bool seq2seq = c.arch == Arch::kEncoderDecoder;
  if (seqs.empty()) return Status::error("headMeans: give at least one sequence");
  if (seq2seq && tgts.size() != seqs.size())
    return Status::error("headMeans: an encoder-decoder model needs one decoder input (tgts) per sequence: got " +
                         std::to_string(tgts.size()) + " for " + std::to_string(seqs.size()));
  if (!seq2seq && !tgts.empty()) return Status::error("headMeans: tgts are for encoder-decoder models only");
  const int64_t H = c.layer.nhead, Dh = c.d_model() / H;
  HeadSums stack(c.num_layers, H, Dh), dec(seq2seq ? c.num_decoder_layers : 0, H, Dh),
      cross(seq2seq ? c.num_decoder_layers : 0, H, Dh);
  ModelCache cache;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const std::string which = "headMeans: sequence " + std::to_string(i) + ": ";
    const int64_t L = static_cast<int64_t>(seqs[i].size());
    Status st = model.check_ids(seqs[i], L, c.vocab_size);
    if (!st.ok()) return Status::error(which + st.message());
    if (seq2seq) {
      const int64_t T = static_cast<int64_t>(tgts[i].size());
      st = model.check_ids(tgts[i], T, c.target_vocab());
      if (!st.ok()) return Status::error(which + "tgt: " + st.message());
      model.forward_seq2seq(cache, seqs[i], L, tgts[i], T, 1, ForwardContext());
      for (size_t l = 0; l < cache.decoder.layers.size(); ++l) {
        dec.add(static_cast<int64_t>(l), cache.decoder.layers[l].self_attn.heads);
        cross.add(static_cast<int64_t>(l), cache.decoder.layers[l].multihead_attn.heads);
      }
      dec.positions += T;
      cross.positions += T;
    } else {
      model.forward(cache, seqs[i], 1, L, ForwardContext());
    }
    const EncoderCache& only = c.arch == Arch::kDecoder ? cache.decoder_only : cache.encoder;
    for (size_t l = 0; l < only.layers.size(); ++l) stack.add(static_cast<int64_t>(l), only.layers[l].self_attn.heads);
    stack.positions += L;
  }
  *out = HeadMasks();
  out->head_mask.mean = stack.mean();
  if (seq2seq) {
    out->decoder_head_mask.mean = dec.mean();
    out->cross_attn_head_mask.mean = cross.mean();
  }
  return Status();
}

}  // namespace attn
