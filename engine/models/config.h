// Model configs as JSON: one reader for files (safetensors metadata), the JavaScript API and the tools.
// Keys are PyTorch's argument names where PyTorch has one. Unknown keys are rejected (typos get a message).
//
// {"arch": "encoder", "vocab_size": 4096, "d_model": 64, "nhead": 4, "num_layers": 2, "dim_feedforward": 256,
//  "dropout": 0.1, "activation": "relu", "norm_first": false, "layer_norm_eps": 1e-5, "positional": "sinusoidal",
//  "max_len": 512, "scale_embedding": true, "causal": false, "final_norm": false, "head_size": 0, "pad_id": -1,
//  "scaled": true, "temperature": 1, "tgt_vocab_size": 0, "num_decoder_layers": 2}
//
// The training lab's LSTM baseline (models/lstm_seq2seq.h) has a config of its own, told apart by its arch;
// every key is required, and hidden_size is nn.LSTM's name for it:
// {"arch": "lstm", "vocab_size": 13, "tgt_vocab_size": 13, "head_size": 13, "hidden_size": 64, "num_layers": 1,
//  "pad_id": 0}
#pragma once

#include "io/json.h"
#include "models/lstm_seq2seq.h"
#include "models/model.h"

namespace attn {

Status model_config_from_json(const Json& j, ModelConfig* out);  // also validates
Json model_config_to_json(const ModelConfig& c);

bool is_lstm_config(const Json& j);  // an object whose arch is "lstm"
Status lstm_config_from_json(const Json& j, LstmSeq2SeqConfig* out);  // also validates
Json lstm_config_to_json(const LstmSeq2SeqConfig& c);

}  // namespace attn
