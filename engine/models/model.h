// A whole transformer: token embedding, positional encoding, a stack (or two), and an output head.
//
//   arch "encoder":          ids -> embed -> +PE -> TransformerEncoder -> head       (bidirectional; BERT-like)
//   arch "decoder":          ids -> embed -> +PE -> stack of encoder layers with a causal mask -> head  (GPT-like)
//   arch "encoder-decoder":  src -> encoder -> memory;  tgt -> tgt_embed -> +PE -> TransformerDecoder(memory)
//                            -> head                                              (nn.Transformer-like)
//
// Parameter names (a PyTorch module with these attribute names has the same state_dict):
//   embed.weight [V, E], pos_embed.weight [max_len, E] (learned PE only),
//   encoder.layers.{i}.*, encoder.norm.*   (arch encoder / encoder-decoder; norm only if final_norm)
//   decoder.layers.{i}.*, decoder.norm.*   (arch decoder: encoder layers; encoder-decoder: decoder layers)
//   tgt_embed.weight [V_tgt, E], tgt_pos_embed.weight   (encoder-decoder only)
//   head.weight [V_out, E], head.bias [V_out]             (when head_size > 0; with tie_embeddings the head
//                                                          uses the output-side embedding table and has no
//                                                          weight of its own: only head.bias)
#pragma once

#include <string>

#include "models/transformer.h"

namespace attn {

enum class Arch { kEncoder, kDecoder, kEncoderDecoder };
enum class Positional { kNone, kSinusoidal, kLearned };

bool parse_arch(const std::string& s, Arch* out);
const char* arch_name(Arch a);
bool parse_positional(const std::string& s, Positional* out);
const char* positional_name(Positional p);

struct ModelConfig {
  Arch arch = Arch::kEncoder;
  int64_t vocab_size = 0;         // input vocabulary (encoder side, or the only one)
  int64_t tgt_vocab_size = 0;     // decoder-side vocabulary of encoder-decoder models (0: same as vocab_size)
  int64_t num_layers = 2;         // encoder layers (arch encoder, encoder-decoder) or decoder layers (arch decoder)
  int64_t num_decoder_layers = 2; // decoder layers of encoder-decoder models
  LayerConfig layer;              // d_model, nhead, dim_feedforward, dropout, activation, norm_first, ...
  Positional positional = Positional::kSinusoidal;
  int64_t max_len = 512;          // longest sequence (size of the learned position table)
  bool scale_embedding = true;    // multiply embeddings by sqrt(d_model), as in the 2017 paper
  bool causal = false;            // arch encoder only: add a causal mask anyway (a teaching toggle)
  bool final_norm = false;        // a LayerNorm after each stack (usual with norm_first)
  int64_t head_size = 0;          // outputs per token (vocabulary for LMs, tags for taggers); 0 = no head
  int32_t pad_id = -1;            // ids equal to pad_id are masked as keys (-1: no padding)
  bool tie_embeddings = false;    // the head's weight IS the output-side embedding table (Press & Wolf 2017):
                                  // logits = h E^T + b; needs head_size == that vocabulary

  int64_t d_model() const { return layer.d_model; }
  int64_t target_vocab() const { return tgt_vocab_size ? tgt_vocab_size : vocab_size; }
  Status validate() const;
};

struct ModelCache {
  int64_t B = 0, L = 0, T = 0;  // batch, input length, decoder length (encoder-decoder)
  std::vector<int32_t> ids, tgt_ids;  // [B, L], [B, T] the token ids of the last forward
  Tensor embedded;       // [B, L, E]  embeddings + positions: the encoder's (or decoder-only stack's) input
  EncoderCache encoder;  // arch encoder / encoder-decoder
  Tensor tgt_embedded;   // [B, T, E]  encoder-decoder: the decoder's input
  DecoderCache decoder;  // encoder-decoder
  EncoderCache decoder_only;  // arch decoder (its layers are encoder layers with a causal mask)
  Tensor hidden;         // [B, L|T, E] the last stack's output (the head's input)
  Tensor logits;         // [B, L|T, head_size]
};

class TransformerModel {
 public:
  TransformerModel() = default;
  explicit TransformerModel(const ModelConfig& config);  // config must validate

  ModelConfig config;
  Param embed, pos_embed, tgt_embed, tgt_pos_embed;
  TransformerEncoder encoder;      // encoder / encoder-decoder
  TransformerEncoder decoder_only; // decoder (named "decoder." in the state_dict)
  TransformerDecoder decoder;      // encoder-decoder
  Linear head;

  // Token embeddings ~ N(0, 1/E) when scaled by sqrt(E) in the forward pass (scale_embedding), else N(0, 1)
  // (nn.Embedding); learned positions ~ N(0, 1): both reach the first layer at unit variance. Layers as in PyTorch.
  void reset_parameters(Rng& rng);
  void visit(const ParamVisitor& fn);
  int64_t num_parameters();

  // ids [B, L] (int32; for encoder-decoder: src [B, S] and tgt [B, T]) -> returns cache.logits (or the last
  // hidden state [B, L, E] when head_size == 0). Ids must be validated by the caller (check_ids).
  // heads: head ablation (null: none), validated by the caller (check_head_masks). head_mask is the stack's
  // (arch encoder, decoder) or the encoder's; decoder_head_mask and cross_attn_head_mask the decoder's.
  const Tensor& forward(ModelCache& cache, const std::vector<int32_t>& ids, int64_t B, int64_t L,
                        const ForwardContext& ctx, const HeadMasks* heads = nullptr) const;
  const Tensor& forward_seq2seq(ModelCache& cache, const std::vector<int32_t>& src, int64_t S,
                                const std::vector<int32_t>& tgt, int64_t T, int64_t B, const ForwardContext& ctx,
                                const HeadMasks* heads = nullptr) const;
  Status check_ids(const std::vector<int32_t>& ids, int64_t length, int64_t vocab) const;
  // Checks head masks against the model's stacks ([layers, H] or [H], finite; the means [layers, H, Dh]; decoder
  // masks only for encoder-decoder models) and expands a mask of shape [H] to every layer.
  Status check_head_masks(HeadMasks* heads) const;

  // In the forward pass this was: logits = forward(...). Given dlogits (cache.logits' shape), every
  // parameter's grad accumulates (call zero_grad first). Works for all three architectures.
  void backward(const ModelCache& cache, const Tensor& dlogits);
  void zero_grad();

  // The Trace: every recorded tensor of the last forward by name, e.g. "encoder.layers.1.self_attn.weights".
  static void visit_trace(const ModelCache& cache, const TraceFn& fn);

 private:
  // The fixed sinusoidal table, computed for the longest sequence seen so far (not for max_len up front: a
  // config may allow 65536 positions, and only the rows used are ever needed).
  mutable Tensor sinusoid_;  // [rows, E]
  float embed_scale() const;
  void embed_tokens(Tensor& out, const Param& table, const Param& positions, const std::vector<int32_t>& ids,
                    int64_t B, int64_t L) const;
  void embed_backward(Param& table, Param& positions, const Tensor& dembedded, const std::vector<int32_t>& ids,
                      int64_t B, int64_t L);
  Tensor padding_mask(const std::vector<int32_t>& ids, int64_t B, int64_t L) const;
  const Tensor& apply_head(ModelCache& cache, const Tensor& hidden) const;
  // The head's weight [head_size, E]: its own, or the tied embedding table.
  const Param& head_weight() const;
  Param& head_weight();
};

}  // namespace attn
