// A Hugging Face checkpoint running in the engine: each family's own embeddings and output head around the
// engine's layers (layers/transformer_layers.h), which already compute what the four families share.
//
//   family      embeddings                                   stack                                   head
//   gpt2        wte[ids] + wpe[t]                            pre-norm layers, causal mask, ln_f      h wte^T
//   bert        LN(word[ids] + type[tt] + pos[t])            post-norm layers                        LN(gelu(h W + b)) word^T + bias
//   distilbert  LN(word[ids] + pos[t])                       post-norm layers                        (same as BERT)
//   marian      shared[ids] * sqrt(E) + sinusoid[t]          post-norm encoder and decoder layers    h shared^T + final_logits_bias
//
// Each family's activation is its own (GPT-2: tanh GELU; BERT, DistilBERT: erf GELU; Marian: swish = SiLU), and so
// is its attention scale (1/sqrt(Dh) everywhere; GPT-2 may switch it off or also divide by the layer index + 1).
// engine/hf/weights.h maps the checkpoint's tensor names onto the parameters below.
//
// Parameter names in the engine (visit), shapes for V = vocabulary, E = width, P = positions, F = feed-forward:
//   embed.tokens [V, E], embed.positions [P, E], embed.token_types [types, E] (BERT), embed.norm.* [E]
//     (BERT, DistilBERT), tgt_embed.tokens [V_dec, E] (Marian without shared embeddings), tgt_embed.positions [P, E]
//     (Marian's decoder)
//   encoder.layers.{i}.*  (BERT, DistilBERT, Marian's encoder)   decoder.layers.{i}.*, decoder.norm.* (GPT-2: its
//     causal stack and ln_f; Marian: its decoder)   with the layer names of nn.TransformerEncoderLayer / DecoderLayer
//   head.transform.* [E, E] + [E], head.norm.* [E] (BERT, DistilBERT MLM head), head.weight [V, E] (GPT-2 untied
//     only), head.bias [V] (BERT, DistilBERT, Marian's final_logits_bias)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hf/config.h"
#include "models/transformer.h"

namespace attn {

// One sequence in, as Hugging Face's forward(...) takes it (batch size 1).
struct HfInput {
  std::vector<int32_t> input_ids;          // [T]  (Marian: the source sentence)
  std::vector<int32_t> attention_mask;     // [T]  1 = attend, 0 = padding; empty: all 1
  std::vector<int32_t> token_type_ids;     // [T]  BERT's segments; empty: all 0
  std::vector<int32_t> decoder_input_ids;  // [Td] Marian: the target so far, from decoder_start_token_id
  // Which output positions get logits (of the decoder for Marian), in any order: the page needs only the last one
  // (next token) or the [MASK] positions, and the vocabulary projection is most of a small model's work.
  // Empty: every position. logits = false: none (attention only).
  std::vector<int64_t> logit_positions;
  bool logits = true;
  // GPT-2: when the cache holds a pass over ids that begin like these (typing at the end of a text), keep the
  // keys, values and attention rows of the shared prefix and compute only the positions after it. Causal
  // attention makes the prefix's rows independent of what follows, so the result is the full pass's (bit for bit
  // in WebAssembly, where every kernel sums a row the same way whatever the number of rows; to rounding natively).
  // Only the attention weights, masks, keys and values are then in the cache's Trace, not every intermediate.
  // Ignored with full_trace (which needs every position's intermediates: always a full pass).
  bool reuse_cache = false;
  // Keep every intermediate of every layer in the cache (the Trace's norms, residuals, feed-forward, queries, and
  // each attention's raw and scaled scores q k^T and q k^T * factor [1, H, L, S], as record_scores keeps them).
  // Otherwise each layer keeps only what the page draws and a later pass reads (attention weights, masks, keys
  // and values), so a large model's working memory is one layer's, not all of them.
  bool full_trace = false;
  // Head ablation, by Hugging Face's names: head_mask [layers, H] or [H] (GPT-2, BERT, DistilBERT: the model's stack;
  // Marian: the encoder), decoder_head_mask and cross_attn_head_mask (Marian), each multiplying a head's attention
  // weights after the softmax as HF's forward(head_mask=...) does; and the engine's mean ablation (their `mean`:
  // [layers, H, Dh], what a removed head outputs instead). Empty: no ablation (models/transformer.h).
  HeadMasks heads;
};

// Everything one forward pass computed. The attention of layer i is stack.layers[i].self_attn.weights [1, H, T, T]
// (GPT-2, BERT, DistilBERT; Marian's encoder) and decoder.layers[i].self_attn / multihead_attn.weights [1, H, Td, Td]
// and [1, H, Td, T] (Marian).
struct HfCache {
  int64_t T = 0, Td = 0;
  std::vector<int32_t> ids;             // the input_ids of the last pass, when a GPT-2 pass may continue from it
  HeadMasks heads;                      // ... and its head masks: a pass continues only from one with the same
  int64_t reused = 0;                   // positions the last pass took from the cache (0: a full pass)
  Tensor embedded;                      // [1, T, E]   the first layer's input
  EncoderCache stack;                   // the single stack, or Marian's encoder
  Tensor tgt_embedded;                  // [1, Td, E]  Marian's decoder input
  DecoderCache decoder;                 // Marian
  Tensor hidden;                        // [1, T|Td, E] last hidden state
  std::vector<int64_t> logit_positions; // the positions of the logits' rows
  Tensor head_hidden;                   // [1, N, E]  after the MLM transform and its norm (BERT, DistilBERT)
  Tensor logits;                        // [1, N, V]  N = logit_positions.size()
};

class HfModel {
 public:
  explicit HfModel(const HfConfig& config);  // allocates every parameter (zeros); load_hf_model fills them

  HfConfig config;
  Param tokens, positions, token_types;   // embed.*
  LayerNorm embed_norm;                   // embed.norm (BERT, DistilBERT)
  Param tgt_tokens, tgt_positions;        // tgt_embed.* (Marian)
  TransformerEncoder encoder;             // BERT, DistilBERT, Marian's encoder
  TransformerEncoder decoder_only;        // GPT-2 (named "decoder.")
  TransformerDecoder decoder;             // Marian
  Linear head_transform;                  // head.transform (BERT, DistilBERT with an MLM head)
  LayerNorm head_norm;                    // head.norm
  Param head_weight, head_bias;           // head.weight (untied GPT-2), head.bias

  // Every parameter by its engine name (see the top of this file).
  void visit(const ParamVisitor& fn);
  int64_t num_parameters();
  // Rows of the output layer (the decoder's vocabulary for Marian).
  int64_t output_vocab() const;

  // Checks the input (ids inside the vocabulary, lengths within the positions, masks of 0/1 that keep at least one
  // token, logit positions in range); messages name the field. Head masks are checked by check_head_masks.
  Status check(const HfInput& in) const;
  // Checks head masks against the model's stacks (shapes, finite values; decoder masks only for Marian) and expands
  // a mask of shape [H] to every layer.
  Status check_head_masks(HeadMasks* heads) const;
  // The forward pass (eval mode). Checks the input first.
  Status forward(const HfInput& in, HfCache* cache) const;

  // Greedy translation (Marian), as Hugging Face's generate(num_beams=1, do_sample=False): from
  // decoder_start_token_id, one token at a time, the pad token never chosen, forced_eos_token_id at the last
  // position the limit allows, until eos_token_id or max_new_tokens tokens. *ids receives the sequence with its
  // start token (Hugging Face's `sequences`, n + 1 ids for n generated). The cache holds the decoder's pass over
  // the n inputs that wrote them (all but the last id), teacher-forced: row i is the step that wrote token i + 1,
  // with its attention (cross-attention [1, H, n, S]) and logits, as generate(output_attentions=True) gives them
  // step by step.
  Status generate(const HfInput& source, int64_t max_new_tokens, std::vector<int32_t>* ids, HfCache* cache) const;

  // The Trace of the last forward: "encoder.layers.{i}.self_attn.weights", "decoder.layers.{i}.multihead_attn.*", ...
  // GPT-2's stack is "decoder." (as the engine's own decoder-only models), BERT's and DistilBERT's "encoder.".
  void visit_trace(const HfCache& cache, const TraceFn& fn) const;

 private:
  const TransformerEncoder& stack() const { return config.family == HfFamily::kGpt2 ? decoder_only : encoder; }
  void embed(Tensor& out, const HfInput& in) const;
  void embed_target(Tensor& out, const std::vector<int32_t>& ids) const;
  Tensor padding_mask(const std::vector<int32_t>& attention_mask) const;  // [1, T] additive, empty when none
  void run_decoder(HfCache* c, const std::vector<int32_t>& tgt, const Tensor& memory_pad, bool full_trace,
                   const HeadMasks& heads) const;
  // The positions [P, T) of a GPT-2 pass whose first P positions are in the cache (see HfInput::reuse_cache), with
  // the head masks of the pass that filled the cache.
  void forward_cached(const HfInput& in, int64_t P, HfCache* c) const;
  void apply_head(HfCache* c, const std::vector<int64_t>& positions) const;
};

// Marian's sinusoidal table [P, E]: for k < ceil(E/2), column k is sin(pos / 10000^(2k/E)), and the columns after
// them are the cosines of the same angles (MarianSinusoidalPositionalEmbedding: sines first, then cosines, not
// interleaved as in the 2017 paper). Computed in double, rounded once to float.
Tensor marian_sinusoids(int64_t P, int64_t E);

}  // namespace attn
