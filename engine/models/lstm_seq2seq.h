// A sequence-to-sequence LSTM without attention: the baseline that attention was invented to beat (Sutskever et
// al. 2014; Bahdanau et al. 2015 added attention to exactly this model). The lab trains it beside a transformer
// on the same task batches (run config `"arch": "lstm"`, train/run.h).
//
//   src [B, S] -> embed -> encoder LSTM (L layers, H) -> (h_n, c_n) [L, B, H]
//   tgt [B, T] -> tgt_embed -> decoder LSTM, starting from (h_n, c_n) -> head -> logits [B, T, V_out]
//
// The bottleneck: all the decoder ever learns of the input is (h_n, c_n), L x 2H numbers, whatever the input's
// length; and there are no attention weights to look at. Padded sources are read as packed sequences (each row
// stops at its last real token, layers/lstm.h), so padding never reaches the state.
//
// Parameter names (a PyTorch module with these attributes, nn.Embedding, nn.LSTM(batch_first=True), nn.Linear,
// has the same state_dict):
//   embed.weight [V, H], encoder.weight_ih_l{k} [4H, H], encoder.weight_hh_l{k} [4H, H], encoder.bias_ih_l{k},
//   encoder.bias_hh_l{k}, tgt_embed.weight [V_tgt, H], decoder.* (as encoder.*), head.weight [V_out, H],
//   head.bias [V_out]
#pragma once

#include <vector>

#include "layers/basic.h"
#include "layers/lstm.h"

namespace attn {

struct LstmSeq2SeqConfig {
  int64_t vocab_size = 0;      // source vocabulary
  int64_t tgt_vocab_size = 0;  // target vocabulary (the decoder's input)
  int64_t head_size = 0;       // outputs per target position
  int64_t hidden_size = 64;    // H: the embedding width and the LSTMs' state (the lab's d_model)
  int64_t num_layers = 1;      // L: the encoder's and the decoder's (layer k's final state starts decoder layer k)
  int32_t pad_id = -1;         // source ids equal to pad_id end a row (-1: no padding)

  // 4H (in + H) + 8H per LSTM layer, twice, plus the embeddings and the head.
  int64_t parameter_count() const;
};

struct LstmSeq2SeqCache {
  int64_t B = 0, S = 0, T = 0;
  std::vector<int32_t> src, tgt;  // [B, S], [B, T] the ids of the last forward
  Tensor src_embedded;            // [B, S, H]
  LstmCache encoder;              // encoder.h_n, encoder.c_n [L, B, H]: the bottleneck
  Tensor tgt_embedded;            // [B, T, H]
  LstmCache decoder;              // decoder.output [B, T, H]: the head's input
  Tensor logits;                  // [B, T, head_size]
};

// A greedy answer: the generated tokens (without the final <eos>), and whether <eos> was produced.
struct LstmAnswer {
  std::vector<int32_t> tokens;
  bool finished = false;
};

class LstmSeq2Seq {
 public:
  LstmSeq2Seq() = default;
  explicit LstmSeq2Seq(const LstmSeq2SeqConfig& config);

  LstmSeq2SeqConfig config;
  Param embed, tgt_embed;  // [V, H], [V_tgt, H]
  LSTM encoder, decoder;
  Linear head;             // [V_out, H]

  // Embeddings ~ N(0, 1) (nn.Embedding), LSTMs and head as nn.LSTM and nn.Linear.
  void reset_parameters(Rng& rng);
  void visit(const ParamVisitor& fn);
  int64_t num_parameters();
  // Every id in [0, vocab) and length > 0; messages as TransformerModel::check_ids'.
  Status check_ids(const std::vector<int32_t>& ids, int64_t length, int64_t vocab) const;

  // src [B, S], tgt [B, T] (teacher forcing: <bos> + the answer) -> cache.logits [B, T, head_size].
  // Ids must have passed check_ids. The model has no dropout, so training and evaluation run the same forward.
  const Tensor& forward(LstmSeq2SeqCache& cache, const std::vector<int32_t>& src, int64_t S,
                        const std::vector<int32_t>& tgt, int64_t T, int64_t B) const;
  // In the forward pass this was: logits = forward(...). Every parameter's grad accumulates (zero_grad first).
  void backward(const LstmSeq2SeqCache& cache, const Tensor& dlogits);
  void zero_grad();

  // Greedy decoding of one source: encode once, then one decoder step per token from the carried state, feeding
  // back the argmax, until <eos> or max_len tokens.
  LstmAnswer greedy(const std::vector<int32_t>& src, int32_t bos, int32_t eos, int64_t max_len) const;

 private:
  // out [B, L, H] = table[ids [B, L]].
  void embed_ids(Tensor& out, const Param& table, const std::vector<int32_t>& ids, int64_t B, int64_t L) const;
};

}  // namespace attn
