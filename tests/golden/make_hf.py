#!/usr/bin/python3
"""Tiny Hugging Face checkpoints in the Hub's exact layout, and their expected outputs, computed in float64.

Run with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 tests/golden/make_hf.py            # rewrites tests/golden/hf/<case>/ (the committed cases)
    /usr/bin/python3 tests/golden/make_hf.py folder --family gpt2 --out DIR [--tokenizer DIR] [--dtype f16] \
        [--layers N --d-model E --heads H --ffn F --vocab V --positions P] [--seed S]

The first form writes, for every case, config.json, model.safetensors (tensor names, dtypes and stray buffers as the
Hub's checkpoints have them) and reference.safetensors (the inputs as I64 and the outputs as F64). The files are
committed; CI never needs PyTorch. Re-running reproduces them bit for bit. See tests/golden/hf/README.md.

The second form writes one whole Hub-layout model folder with random weights (sizes up to GPT-2 small / BERT base,
written one tensor at a time), with the tokenizer files copied from --tokenizer, for end-to-end tests and benchmarks.
It computes no reference.

No `transformers`, no `safetensors` package: the reference below is written from the math of Hugging Face's modeling
files (gpt2/modeling_gpt2.py, bert/modeling_bert.py, distilbert/modeling_distilbert.py, marian/modeling_marian.py,
activations.py, modeling_utils.py, generation), and the safetensors files are written and read by this script.
Every reference layer is also checked against PyTorch's own modules (nn.TransformerEncoderLayer,
nn.TransformerDecoderLayer, nn.MultiheadAttention) in float64, so a slip in the reference stops the script.
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)  # bit-for-bit reproducible float64 sums, and kind to a shared machine
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hf")
F64 = torch.float64
MIN64 = torch.finfo(F64).min
assert sys.byteorder == "little"

# ================================================================================================== safetensors
# name -> (torch dtype, bytes per element)
ST_DTYPES = {"F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
             "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4),
             "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1)}
ST_NAMES = {v[0]: k for k, v in ST_DTYPES.items()}


def tensor_bytes(t):
    """The tensor's little-endian bytes, without a copy."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: write its bits
        t = t.view(torch.int16)
    return t.numpy().reshape(-1).data


def write_safetensors(path, entries, metadata):
    """entries: list of (name, dtype name, shape, make) where make() returns the tensor (called once, in file order,
    so a big model is held one tensor at a time). As the Rust serializer does, tensors are laid out by element size
    (largest first), then by name, back to back, so every tensor starts at a multiple of its element size; the JSON
    header is padded with spaces so that the data starts at a multiple of 8."""
    entries = sorted(entries, key=lambda e: (-ST_DTYPES[e[1]][1], e[0]))
    header, offset = {"__metadata__": metadata}, 0
    for name, dt, shape, _ in entries:
        n = ST_DTYPES[dt][1] * math.prod(shape)
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, dt, shape, make in entries:
            t = make()
            assert t.dtype == ST_DTYPES[dt][0] and list(t.shape) == list(shape), (name, t.dtype, t.shape)
            f.write(tensor_bytes(t))
    return offset + 8 + len(h)


def read_safetensors(path):
    """Our own reader, strict about what a loader must be strict about: contiguous offsets, nothing left over.
    Reads one tensor at a time."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        meta = header.pop("__metadata__", {})
        out, end = {}, 0
        for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            a, b = e["data_offsets"]
            dt, itemsize = ST_DTYPES[e["dtype"]]
            assert a == end and b - a == itemsize * math.prod(e["shape"]), name
            end = b
            f.seek(8 + n + a)
            buf = bytearray(f.read(b - a))
            if not buf:
                t = torch.empty(0, dtype=dt)
            elif dt == torch.bfloat16:
                t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16)
            else:
                t = torch.frombuffer(buf, dtype=dt)
            out[name] = t.reshape(e["shape"])
    assert 8 + n + end == size, "bytes left over"
    return out, meta


def write_json(path, obj):
    with open(path, "w") as f:  # as save_pretrained writes it: sorted keys, indent 2, newline at the end
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


# ================================================================================================ activations
def gelu_new(x):
    """activations.py NewGELUActivation ("gelu_new", GPT-2): the tanh approximation."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_erf(x):
    """activations.py GELUActivation ("gelu", BERT and DistilBERT): the exact erf form, nn.functional.gelu."""
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACT = {"gelu_new": gelu_new, "gelu": gelu_erf, "swish": F.silu, "silu": F.silu, "relu": F.relu,
       "gelu_fast": lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
       "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x), "tanh": torch.tanh}


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, x.shape[-1:], w, b, eps)


def heads(x, H):
    """[B, T, E] -> [B, H, T, E/H]"""
    B, T, E = x.shape
    return x.reshape(B, T, H, E // H).transpose(1, 2)


def merge(x):
    """[B, H, T, D] -> [B, T, H*D]"""
    B, H, T, D = x.shape
    return x.transpose(1, 2).reshape(B, T, H * D)


def ablate(w, V, heads, i):
    """Head ablation of layer i: Hugging Face's head_mask, `attn_weights = attn_weights * head_mask` after the
    softmax (the attentions returned are the masked ones), then the context w @ V; and the engine's mean ablation,
    which adds (1 - m) * mean[h] to head h's context. heads: None or (mask [layers, H], mean [layers, H, Dh] or None).
    Returns the weights and the context [B, H, T, Dh]."""
    if heads is None:
        return w, w @ V
    scale, mean = heads
    H = w.shape[1]
    w = w * scale[i].reshape(1, H, 1, 1)
    ctx = w @ V
    if mean is not None:
        ctx = ctx + (1 - scale[i]).reshape(1, H, 1, 1) * mean[i].reshape(1, H, 1, -1)
    return w, ctx


# ================================================================================================ GPT-2
def gpt2_forward(sd, cfg, input_ids, attention_mask=None, trace=None, head_mask=None):
    """GPT2LMHeadModel (modeling_gpt2.py). sd: canonical names ("transformer." prefix), float64."""
    p = "transformer."
    E, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
    eps, act = cfg["layer_norm_epsilon"], ACT[cfg["activation_function"]]
    Dh = E // H
    T = input_ids.shape[1]
    # GPT2Model.forward: position_ids = arange(T) (not derived from attention_mask), h = wte + wpe
    h = sd[p + "wte.weight"][input_ids] + sd[p + "wpe.weight"][torch.arange(T)][None]
    add = None
    if attention_mask is not None:  # [B, 1, 1, T], 0 where kept and finfo.min where masked
        add = (1.0 - attention_mask.to(F64))[:, None, None, :] * MIN64
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]  # the attn.bias buffer, sliced
    attentions = []
    for i in range(L):
        q = f"{p}h.{i}."
        x_in = h
        x = layer_norm(h, sd[q + "ln_1.weight"], sd[q + "ln_1.bias"], eps)
        qkv = x @ sd[q + "attn.c_attn.weight"] + sd[q + "attn.c_attn.bias"]  # Conv1D: weight [in, out]
        Q, K, V = (heads(t, H) for t in qkv.split(E, dim=2))
        w = Q @ K.transpose(-1, -2)
        if cfg.get("scale_attn_weights", True):
            w = w / (float(Dh) ** 0.5)
        if cfg.get("scale_attn_by_inverse_layer_idx", False):
            w = w / float(i + 1)
        w = torch.where(causal, w, torch.tensor(MIN64, dtype=F64))
        if add is not None:
            w = w + add
        w, ctx = ablate(torch.softmax(w, dim=-1), V, head_mask, i)
        a = merge(ctx) @ sd[q + "attn.c_proj.weight"] + sd[q + "attn.c_proj.bias"]
        h = a + h
        x = layer_norm(h, sd[q + "ln_2.weight"], sd[q + "ln_2.bias"], eps)
        m = act(x @ sd[q + "mlp.c_fc.weight"] + sd[q + "mlp.c_fc.bias"])
        h = h + (m @ sd[q + "mlp.c_proj.weight"] + sd[q + "mlp.c_proj.bias"])
        attentions.append(w)
        if trace is not None:
            trace.append((i, x_in, h, w))
    h = layer_norm(h, sd[p + "ln_f.weight"], sd[p + "ln_f.bias"], eps)
    logits = h @ sd[p + "wte.weight"].T  # lm_head is tied to wte
    return {"logits": logits, "attentions": attentions}


# ================================================================================================ BERT
def bert_forward(sd, cfg, input_ids, token_type_ids, attention_mask, head, trace=None, head_mask=None):
    """BertForMaskedLM (head="mlm") or BertModel (head="model"), modeling_bert.py; canonical names ("bert." prefix,
    LayerNorm.weight/bias), float64."""
    p = "bert."
    E, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    eps, act = cfg["layer_norm_eps"], ACT[cfg["hidden_act"]]
    Dh = E // H
    T = input_ids.shape[1]
    e = p + "embeddings."
    x = sd[e + "word_embeddings.weight"][input_ids] + sd[e + "token_type_embeddings.weight"][token_type_ids]
    x = x + sd[e + "position_embeddings.weight"][torch.arange(T)][None]
    h = layer_norm(x, sd[e + "LayerNorm.weight"], sd[e + "LayerNorm.bias"], eps)
    # get_extended_attention_mask: (1 - mask) * finfo(dtype).min, broadcast [B, 1, 1, T]
    ext = (1.0 - attention_mask.to(F64))[:, None, None, :] * MIN64
    attentions = []
    for i in range(L):
        q = f"{p}encoder.layer.{i}."
        x_in = h
        lin = lambda t, n: F.linear(t, sd[q + n + ".weight"], sd[q + n + ".bias"])
        Q, K, V = (heads(lin(h, "attention.self." + n), H) for n in ("query", "key", "value"))
        s = (Q @ K.transpose(-1, -2)) / math.sqrt(Dh) + ext
        w, ctx = ablate(torch.softmax(s, dim=-1), V, head_mask, i)
        a = lin(merge(ctx), "attention.output.dense")
        a = layer_norm(a + h, sd[q + "attention.output.LayerNorm.weight"], sd[q + "attention.output.LayerNorm.bias"],
                       eps)
        m = lin(act(lin(a, "intermediate.dense")), "output.dense")
        h = layer_norm(m + a, sd[q + "output.LayerNorm.weight"], sd[q + "output.LayerNorm.bias"], eps)
        attentions.append(w)
        if trace is not None:
            trace.append((i, x_in, h, w))
    out = {"attentions": attentions}
    if head == "mlm":
        c = "cls.predictions."
        t = act(F.linear(h, sd[c + "transform.dense.weight"], sd[c + "transform.dense.bias"]))
        t = layer_norm(t, sd[c + "transform.LayerNorm.weight"], sd[c + "transform.LayerNorm.bias"], eps)
        out["logits"] = F.linear(t, sd[e + "word_embeddings.weight"], sd[c + "bias"])  # decoder tied, bias shared
    else:
        out["last_hidden_state"] = h
        out["pooler_output"] = torch.tanh(F.linear(h[:, 0], sd[p + "pooler.dense.weight"], sd[p + "pooler.dense.bias"]))
    return out


# ================================================================================================ DistilBERT
def distilbert_forward(sd, cfg, input_ids, attention_mask, trace=None, head_mask=None):
    """DistilBertForMaskedLM (modeling_distilbert.py); canonical names ("distilbert." prefix), float64.
    Every LayerNorm has eps 1e-12, fixed in the code (the config has no eps)."""
    p = "distilbert."
    E, H, L, act = cfg["dim"], cfg["n_heads"], cfg["n_layers"], ACT[cfg["activation"]]
    Dh, eps = E // H, 1e-12
    T = input_ids.shape[1]
    e = p + "embeddings."
    x = sd[e + "word_embeddings.weight"][input_ids] + sd[e + "position_embeddings.weight"][torch.arange(T)][None]
    h = layer_norm(x, sd[e + "LayerNorm.weight"], sd[e + "LayerNorm.bias"], eps)
    masked = (attention_mask == 0)[:, None, None, :]  # masked_fill(mask == 0, finfo.min)
    attentions = []
    for i in range(L):
        q = f"{p}transformer.layer.{i}."
        x_in = h
        lin = lambda t, n: F.linear(t, sd[q + n + ".weight"], sd[q + n + ".bias"])
        Q = heads(lin(h, "attention.q_lin"), H) / math.sqrt(Dh)  # the query is scaled before the product
        K, V = heads(lin(h, "attention.k_lin"), H), heads(lin(h, "attention.v_lin"), H)
        s = (Q @ K.transpose(2, 3)).masked_fill(masked, MIN64)
        w, ctx = ablate(torch.softmax(s, dim=-1), V, head_mask, i)
        a = lin(merge(ctx), "attention.out_lin")
        a = layer_norm(a + h, sd[q + "sa_layer_norm.weight"], sd[q + "sa_layer_norm.bias"], eps)
        m = lin(act(lin(a, "ffn.lin1")), "ffn.lin2")
        h = layer_norm(m + a, sd[q + "output_layer_norm.weight"], sd[q + "output_layer_norm.bias"], eps)
        attentions.append(w)
        if trace is not None:
            trace.append((i, x_in, h, w))
    t = act(F.linear(h, sd["vocab_transform.weight"], sd["vocab_transform.bias"]))
    t = layer_norm(t, sd["vocab_layer_norm.weight"], sd["vocab_layer_norm.bias"], eps)
    logits = F.linear(t, sd[e + "word_embeddings.weight"], sd["vocab_projector.bias"])  # projector tied
    return {"logits": logits, "attentions": attentions}


# ================================================================================================ Marian
def marian_sinusoid(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding._init_weight: angle(pos, j) = pos / 10000^(2*(j//2)/dim), computed in
    float64 by numpy; the sines of the even j fill the FIRST half of the vector and the cosines of the odd j the
    second half (not interleaved); the table is then rounded to float32 (it is built through torch.FloatTensor)."""
    k = np.arange(dim)
    angle = np.arange(n_pos, dtype=np.float64)[:, None] / np.power(10000, 2 * (k // 2) / dim)[None, :]
    half = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    table = np.empty((n_pos, dim), dtype=np.float64)
    table[:, :half] = np.sin(angle[:, 0::2])
    table[:, half:] = np.cos(angle[:, 1::2])
    return torch.from_numpy(table).to(torch.float32)


def marian_attention(sd, q, x_q, x_kv, add_mask, H, ablation=None, i=0):
    """MarianAttention (a copy of BartAttention): q_proj(x) * head_dim^-0.5, then softmax(q k^T + mask) v;
    ablation: the head mask of layer i (layer_head_mask), as `ablate` applies it."""
    E = x_q.shape[-1]
    lin = lambda t, n: F.linear(t, sd[q + n + ".weight"], sd[q + n + ".bias"])
    Q = heads(lin(x_q, "q_proj") * (E // H) ** -0.5, H)
    K, V = heads(lin(x_kv, "k_proj"), H), heads(lin(x_kv, "v_proj"), H)
    s = Q @ K.transpose(-1, -2)
    if add_mask is not None:
        s = s + add_mask
    w, ctx = ablate(torch.softmax(s, dim=-1), V, ablation, i)
    return lin(merge(ctx), "out_proj"), w


def marian_positions(sd, cfg, side, T):
    name = f"model.{side}.embed_positions.weight"
    table = sd[name] if name in sd else marian_sinusoid(cfg["max_position_embeddings"], cfg["d_model"]).to(F64)
    return table[:T]


def marian_encode(sd, cfg, input_ids, attention_mask, trace=None, masks=None):
    E, H, eps = cfg["d_model"], cfg["encoder_attention_heads"], 1e-5  # nn.LayerNorm default eps
    act = ACT[cfg["activation_function"]]
    scale = math.sqrt(E) if cfg["scale_embedding"] else 1.0
    S = input_ids.shape[1]
    h = sd["model.shared.weight"][input_ids] * scale + marian_positions(sd, cfg, "encoder", S)[None]
    # _prepare_4d_attention_mask: [B, 1, S, S], finfo.min where the key is padding
    add = ((attention_mask == 0)[:, None, None, :].to(F64) * MIN64).expand(-1, 1, S, S)
    attentions = []
    for i in range(cfg["encoder_layers"]):
        q = f"model.encoder.layers.{i}."
        x_in = h
        a, w = marian_attention(sd, q + "self_attn.", h, h, add, H, (masks or {}).get("head_mask"), i)
        h = layer_norm(h + a, sd[q + "self_attn_layer_norm.weight"], sd[q + "self_attn_layer_norm.bias"], eps)
        m = F.linear(act(F.linear(h, sd[q + "fc1.weight"], sd[q + "fc1.bias"])), sd[q + "fc2.weight"],
                     sd[q + "fc2.bias"])
        h = layer_norm(h + m, sd[q + "final_layer_norm.weight"], sd[q + "final_layer_norm.bias"], eps)
        attentions.append(w)
        if trace is not None:
            trace.append(("encoder", i, x_in, h, w, None))
    return h, attentions


def marian_decode(sd, cfg, decoder_input_ids, enc, attention_mask, trace=None, masks=None):
    E, H, eps = cfg["d_model"], cfg["decoder_attention_heads"], 1e-5
    act = ACT[cfg["activation_function"]]
    scale = math.sqrt(E) if cfg["scale_embedding"] else 1.0
    T, S = decoder_input_ids.shape[1], enc.shape[1]
    h = sd["model.shared.weight"][decoder_input_ids] * scale + marian_positions(sd, cfg, "decoder", T)[None]
    causal = torch.triu(torch.full((T, T), MIN64, dtype=F64), diagonal=1)[None, None]
    cross = ((attention_mask == 0)[:, None, None, :].to(F64) * MIN64).expand(-1, 1, T, S)
    self_atts, cross_atts = [], []
    for i in range(cfg["decoder_layers"]):
        q = f"model.decoder.layers.{i}."
        x_in = h
        masks = masks or {}
        a, w = marian_attention(sd, q + "self_attn.", h, h, causal, H, masks.get("decoder_head_mask"), i)
        h = layer_norm(h + a, sd[q + "self_attn_layer_norm.weight"], sd[q + "self_attn_layer_norm.bias"], eps)
        h_mid = h
        c, cw = marian_attention(sd, q + "encoder_attn.", h, enc, cross, H, masks.get("cross_attn_head_mask"), i)
        h = layer_norm(h + c, sd[q + "encoder_attn_layer_norm.weight"], sd[q + "encoder_attn_layer_norm.bias"], eps)
        m = F.linear(act(F.linear(h, sd[q + "fc1.weight"], sd[q + "fc1.bias"])), sd[q + "fc2.weight"],
                     sd[q + "fc2.bias"])
        h = layer_norm(h + m, sd[q + "final_layer_norm.weight"], sd[q + "final_layer_norm.bias"], eps)
        self_atts.append(w)
        cross_atts.append(cw)
        if trace is not None:
            trace.append(("decoder", i, x_in, h, w, cw, h_mid))
    # MarianMTModel: lm_head (tied to the shared embeddings) + the final_logits_bias buffer [1, V]
    logits = h @ sd["model.shared.weight"].T + sd["final_logits_bias"]
    return logits, self_atts, cross_atts


def marian_forward(sd, cfg, input_ids, attention_mask, decoder_input_ids, trace=None, masks=None):
    """masks: {"head_mask", "decoder_head_mask", "cross_attn_head_mask": (mask, mean or None)}, any of them."""
    enc, enc_atts = marian_encode(sd, cfg, input_ids, attention_mask, trace, masks)
    logits, dec_atts, cross_atts = marian_decode(sd, cfg, decoder_input_ids, enc, attention_mask, trace, masks)
    return {"logits": logits, "encoder_attentions": enc_atts, "decoder_attentions": dec_atts,
            "cross_attentions": cross_atts, "encoder_last_hidden_state": enc}


def marian_generate(sd, cfg, input_ids, attention_mask, max_new_tokens, masks=None):
    """generate(num_beams=1, do_sample=False, max_new_tokens=N) of MarianMTModel: start from
    decoder_start_token_id; at every step the pad token's logit is -inf (bad_words_ids = [[pad]] in the config; older
    MarianMTModel.adjust_logits_during_generation did the same); when config.forced_eos_token_id is set, the step
    that would reach max_length = 1 + N is forced to eos (ForcedEOSTokenLogitsProcessor); greedy argmax; stop after
    eos or at max_length. Returns the ids (start token included, as generate returns them), the per-step logits and
    why it stopped."""
    enc, _ = marian_encode(sd, cfg, input_ids, attention_mask, masks=masks)
    pad, eos = cfg["pad_token_id"], cfg["eos_token_id"]
    forced = cfg.get("forced_eos_token_id")
    ids, steps, max_length = [cfg["decoder_start_token_id"]], [], 1 + max_new_tokens
    while True:
        logits, _, _ = marian_decode(sd, cfg, torch.tensor([ids]), enc, attention_mask, masks=masks)
        scores = logits[0, -1].clone()
        steps.append(scores.clone())
        scores[pad] = float("-inf")
        for bad in cfg.get("bad_words_ids") or []:
            if len(bad) == 1:
                scores[bad[0]] = float("-inf")
        was_forced = forced is not None and len(ids) == max_length - 1
        if was_forced:
            scores[:] = float("-inf")
            scores[forced] = 0.0
        nxt = int(torch.argmax(scores))
        ids.append(nxt)
        if nxt == eos:
            return ids, steps, ("forced_eos" if was_forced else "eos")
        if len(ids) >= max_length:
            return ids, steps, "max_new_tokens"


# ================================================================================================ torch checks
def torch_mha(names, E, H):
    """nn.MultiheadAttention holding q/k/v/out weights given as (weight, bias) pairs of nn.Linear layout."""
    m = nn.MultiheadAttention(E, H, dropout=0.0, batch_first=True, dtype=F64)
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = names
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.cat([wq, wk, wv]))
        m.in_proj_bias.copy_(torch.cat([bq, bk, bv]))
        m.out_proj.weight.copy_(wo)
        m.out_proj.bias.copy_(bo)
    return m


def set_ln(ln, w, b):
    with torch.no_grad():
        ln.weight.copy_(w)
        ln.bias.copy_(b)


def set_lin(lin, w, b):
    with torch.no_grad():
        lin.weight.copy_(w)
        lin.bias.copy_(b)


def close(a, b, what, tol=1e-12):
    err = (a - b).abs().max().item()
    if not err <= tol:
        raise SystemExit(f"reference disagrees with torch on {what}: {err}")
    return err


def encoder_layer(E, H, Fd, act, eps, norm_first):
    layer = nn.TransformerEncoderLayer(E, H, Fd, dropout=0.0, activation=act, layer_norm_eps=eps, batch_first=True,
                                       norm_first=norm_first, dtype=F64)
    return layer.eval()


def check_gpt2(sd, cfg, trace, attention_mask):
    """A GPT-2 block is a norm_first TransformerEncoderLayer with a causal mask and the tanh GELU, once the Conv1D
    weights [in, out] are transposed to nn.Linear's [out, in] and c_attn is split into q, k, v."""
    E, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    Fd = cfg.get("n_inner") or 4 * E
    for i, x_in, x_out, w in trace:
        q = f"transformer.h.{i}."
        layer = encoder_layer(E, H, Fd, lambda x: F.gelu(x, approximate="tanh"), eps, True)
        W, b = sd[q + "attn.c_attn.weight"].T, sd[q + "attn.c_attn.bias"]
        mha_w = [(W[k * E:(k + 1) * E], b[k * E:(k + 1) * E]) for k in range(3)]
        mha_w.append((sd[q + "attn.c_proj.weight"].T, sd[q + "attn.c_proj.bias"]))
        with torch.no_grad():
            layer.self_attn.in_proj_weight.copy_(W)
            layer.self_attn.in_proj_bias.copy_(b)
        set_lin(layer.self_attn.out_proj, *mha_w[3])
        set_lin(layer.linear1, sd[q + "mlp.c_fc.weight"].T, sd[q + "mlp.c_fc.bias"])
        set_lin(layer.linear2, sd[q + "mlp.c_proj.weight"].T, sd[q + "mlp.c_proj.bias"])
        set_ln(layer.norm1, sd[q + "ln_1.weight"], sd[q + "ln_1.bias"])
        set_ln(layer.norm2, sd[q + "ln_2.weight"], sd[q + "ln_2.bias"])
        T = x_in.shape[1]
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        kpm = None if attention_mask is None else attention_mask == 0
        close(layer(x_in, src_mask=causal, src_key_padding_mask=kpm), x_out, f"gpt2 block {i}")
        mha = torch_mha(mha_w, E, H)
        x = layer_norm(x_in, sd[q + "ln_1.weight"], sd[q + "ln_1.bias"], eps)
        _, tw = mha(x, x, x, attn_mask=causal, key_padding_mask=kpm, need_weights=True, average_attn_weights=False)
        close(tw, w, f"gpt2 attention weights {i}")


def check_post_norm_encoder(sd, trace, E, H, Fd, act, eps, attention_mask, names):
    """BERT, DistilBERT and Marian encoder layers are all post-norm TransformerEncoderLayers (q/k/v stacked into
    in_proj_weight); names(i) gives the layer's (q, k, v, out, ln1, fc1, fc2, ln2) weight prefixes."""
    kpm = attention_mask == 0
    for item in trace:
        i, x_in, x_out, w = item[-4:] if len(item) == 4 else (item[1], item[2], item[3], item[4])
        q, k, v, o, ln1, f1, f2, ln2 = names(i)
        layer = encoder_layer(E, H, Fd, act, eps, False)
        mha_w = [(sd[n + ".weight"], sd[n + ".bias"]) for n in (q, k, v, o)]
        with torch.no_grad():
            layer.self_attn.in_proj_weight.copy_(torch.cat([t[0] for t in mha_w[:3]]))
            layer.self_attn.in_proj_bias.copy_(torch.cat([t[1] for t in mha_w[:3]]))
        set_lin(layer.self_attn.out_proj, *mha_w[3])
        set_lin(layer.linear1, sd[f1 + ".weight"], sd[f1 + ".bias"])
        set_lin(layer.linear2, sd[f2 + ".weight"], sd[f2 + ".bias"])
        set_ln(layer.norm1, sd[ln1 + ".weight"], sd[ln1 + ".bias"])
        set_ln(layer.norm2, sd[ln2 + ".weight"], sd[ln2 + ".bias"])
        close(layer(x_in, src_key_padding_mask=kpm), x_out, f"encoder layer {q}")
        _, tw = torch_mha(mha_w, E, H)(x_in, x_in, x_in, key_padding_mask=kpm, need_weights=True,
                                           average_attn_weights=False)
        close(tw, w, f"attention weights {q}")


def check_marian_decoder(sd, cfg, trace, enc, attention_mask):
    """A Marian decoder layer is a post-norm TransformerDecoderLayer with SiLU, a causal self-attention mask and the
    source padding as the memory key padding mask."""
    E, H, Fd = cfg["d_model"], cfg["decoder_attention_heads"], cfg["decoder_ffn_dim"]
    kpm = attention_mask == 0
    for item in trace:
        if item[0] != "decoder":
            continue
        _, i, x_in, x_out, w, cw, h_mid = item
        q = f"model.decoder.layers.{i}."
        layer = nn.TransformerDecoderLayer(E, H, Fd, dropout=0.0, activation=ACT[cfg["activation_function"]],
                                           layer_norm_eps=1e-5, batch_first=True, norm_first=False, dtype=F64).eval()
        for mod, pre in ((layer.self_attn, "self_attn."), (layer.multihead_attn, "encoder_attn.")):
            with torch.no_grad():
                mod.in_proj_weight.copy_(torch.cat([sd[q + pre + n + "_proj.weight"] for n in "qkv"]))
                mod.in_proj_bias.copy_(torch.cat([sd[q + pre + n + "_proj.bias"] for n in "qkv"]))
            set_lin(mod.out_proj, sd[q + pre + "out_proj.weight"], sd[q + pre + "out_proj.bias"])
        set_lin(layer.linear1, sd[q + "fc1.weight"], sd[q + "fc1.bias"])
        set_lin(layer.linear2, sd[q + "fc2.weight"], sd[q + "fc2.bias"])
        for ln, n in ((layer.norm1, "self_attn_layer_norm"), (layer.norm2, "encoder_attn_layer_norm"),
                      (layer.norm3, "final_layer_norm")):
            set_ln(ln, sd[q + n + ".weight"], sd[q + n + ".bias"])
        T = x_in.shape[1]
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        close(layer(x_in, enc, tgt_mask=causal, memory_key_padding_mask=kpm), x_out, f"marian decoder layer {i}")
        names = lambda pre: [(sd[q + pre + n + ".weight"], sd[q + pre + n + ".bias"])
                             for n in ("q_proj", "k_proj", "v_proj", "out_proj")]
        _, tw = torch_mha(names("self_attn."), E, H)(x_in, x_in, x_in, attn_mask=causal, need_weights=True,
                                                          average_attn_weights=False)
        close(tw, w, f"marian decoder self-attention weights {i}")
        _, tw = torch_mha(names("encoder_attn."), E, H)(h_mid, enc, enc, key_padding_mask=kpm, need_weights=True,
                                                             average_attn_weights=False)
        close(tw, cw, f"marian cross-attention weights {i}")


def check_sinusoid():
    """The Marian table against the direct formula sin/cos(pos * 10000^(-2i/dim)), sines first, cosines second."""
    for n_pos, dim in ((64, 32), (64, 48), (40, 7)):
        table = marian_sinusoid(n_pos, dim).to(F64)
        pos = torch.arange(n_pos, dtype=F64)[:, None]
        n_sin, n_cos = (dim + 1) // 2, dim // 2
        sin = torch.sin(pos * torch.exp(-math.log(10000.0) * 2 * torch.arange(n_sin, dtype=F64) / dim))
        cos = torch.cos(pos * torch.exp(-math.log(10000.0) * 2 * torch.arange(n_cos, dtype=F64) / dim))
        direct = torch.cat([sin, cos], dim=1)
        close(table, direct.to(torch.float32).to(F64), f"sinusoid table {n_pos}x{dim}", tol=2e-7)
        assert table[0, :n_sin].abs().max() == 0 and (table[0, n_sin:] == 1).all()  # row 0: sin 0, cos 0
        assert table[1, 0] == torch.tensor(math.sin(1.0), dtype=torch.float32).item()
        assert table[1, n_sin] == torch.tensor(math.cos(1.0), dtype=torch.float32).item()


def check_activations():
    x = torch.linspace(-6, 6, 1001, dtype=F64)
    close(gelu_new(x), F.gelu(x, approximate="tanh"), "gelu_new vs F.gelu(approximate='tanh')", 1e-14)
    close(gelu_erf(x), F.gelu(x), "gelu vs F.gelu", 1e-14)
    assert (gelu_new(x) - gelu_erf(x)).abs().max() > 1e-4  # the two GELUs really differ


# ================================================================================================ weights
def std_for(kind, fan_in):
    """Weights drawn so that the test is sensitive: attention far from uniform, logits of moderate size."""
    return {"qk": 1.6, "proj": 1.0, "out": 3.0, "ffn_in": 1.4, "emb": 3.0, "pos": 1.5}[kind] / math.sqrt(fan_in)


def tensor_seed(seed, name):
    return (seed * 2654435761 + zlib.crc32(name.encode())) % (2 ** 63)


def make_value(spec, seed, work=F64):
    """One canonical tensor, drawn from its own generator (seeded by the case seed and the canonical name), so tied
    copies come out equal and big models can be written one tensor at a time."""
    name, shape, kind, arg = spec
    g = torch.Generator().manual_seed(tensor_seed(seed, name))
    if kind in ("qk", "proj", "out", "ffn_in", "emb", "pos"):
        return torch.randn(shape, generator=g, dtype=work) * std_for(kind, arg)
    if kind == "emb_pad":  # an embedding whose padding row is zero (Marian's converted checkpoints)
        fan, pad = arg
        t = torch.randn(shape, generator=g, dtype=work) * std_for("emb", fan)
        t[pad] = 0
        return t
    if kind == "bias":
        return torch.randn(shape, generator=g, dtype=work) * arg
    if kind == "ln_w":
        return 0.8 + 0.4 * torch.rand(shape, generator=g, dtype=work)
    if kind == "const":
        return torch.full(shape, float(arg), dtype=work)
    if kind == "tril":
        return torch.tril(torch.ones(shape[-2:], dtype=work)).reshape(shape)
    if kind == "position_ids":
        return torch.arange(shape[-1], dtype=torch.int64).reshape(shape)
    if kind == "sinusoid":
        return marian_sinusoid(*shape).to(work)
    raise ValueError(kind)


def linear(specs, name, n_out, n_in, kind="proj", bias=0.1, conv1d=False):
    specs.append((name + ".weight", [n_in, n_out] if conv1d else [n_out, n_in], kind, n_in))
    specs.append((name + ".bias", [n_out], "bias", bias))


def norm(specs, name, n):
    specs.append((name + ".weight", [n], "ln_w", None))
    specs.append((name + ".bias", [n], "bias", 0.1))


def gpt2_specs(c):
    E, V, P, Fd = c["n_embd"], c["vocab_size"], c["n_positions"], c.get("n_inner") or 4 * c["n_embd"]
    s, p = [], "transformer."
    s.append((p + "wte.weight", [V, E], "emb", E))
    s.append((p + "wpe.weight", [P, E], "pos", E))
    for i in range(c["n_layer"]):
        q = f"{p}h.{i}."
        norm(s, q + "ln_1", E)
        s.append((q + "attn.c_attn.weight", [E, 3 * E], "qk", E))
        s.append((q + "attn.c_attn.bias", [3 * E], "bias", 0.1))
        linear(s, q + "attn.c_proj", E, E, conv1d=True)
        norm(s, q + "ln_2", E)
        linear(s, q + "mlp.c_fc", Fd, E, "ffn_in", conv1d=True)
        linear(s, q + "mlp.c_proj", E, Fd, conv1d=True)
    norm(s, p + "ln_f", E)
    return s


def bert_specs(c, head):
    E, V, P, Fd = c["hidden_size"], c["vocab_size"], c["max_position_embeddings"], c["intermediate_size"]
    s, p = [], "bert."
    e = p + "embeddings."
    s.append((e + "word_embeddings.weight", [V, E], "emb", E))
    s.append((e + "position_embeddings.weight", [P, E], "pos", E))
    s.append((e + "token_type_embeddings.weight", [c["type_vocab_size"], E], "pos", E))
    norm(s, e + "LayerNorm", E)
    for i in range(c["num_hidden_layers"]):
        q = f"{p}encoder.layer.{i}."
        linear(s, q + "attention.self.query", E, E, "qk")
        linear(s, q + "attention.self.key", E, E, "qk")
        linear(s, q + "attention.self.value", E, E)
        linear(s, q + "attention.output.dense", E, E)
        norm(s, q + "attention.output.LayerNorm", E)
        linear(s, q + "intermediate.dense", Fd, E, "ffn_in")
        linear(s, q + "output.dense", E, Fd)
        norm(s, q + "output.LayerNorm", E)
    linear(s, p + "pooler.dense", E, E)
    if head == "mlm":
        c_ = "cls.predictions."
        s.append((c_ + "bias", [V], "bias", 0.5))
        linear(s, c_ + "transform.dense", E, E, "ffn_in")
        norm(s, c_ + "transform.LayerNorm", E)
        linear(s, "cls.seq_relationship", 2, E)
    return s


def distilbert_specs(c):
    E, V, P, Fd = c["dim"], c["vocab_size"], c["max_position_embeddings"], c["hidden_dim"]
    s, p = [], "distilbert."
    e = p + "embeddings."
    s.append((e + "word_embeddings.weight", [V, E], "emb", E))
    s.append((e + "position_embeddings.weight", [P, E], "pos", E))
    norm(s, e + "LayerNorm", E)
    for i in range(c["n_layers"]):
        q = f"{p}transformer.layer.{i}."
        linear(s, q + "attention.q_lin", E, E, "qk")
        linear(s, q + "attention.k_lin", E, E, "qk")
        linear(s, q + "attention.v_lin", E, E)
        linear(s, q + "attention.out_lin", E, E)
        norm(s, q + "sa_layer_norm", E)
        linear(s, q + "ffn.lin1", Fd, E, "ffn_in")
        linear(s, q + "ffn.lin2", E, Fd)
        norm(s, q + "output_layer_norm", E)
    linear(s, "vocab_transform", E, E, "ffn_in")
    norm(s, "vocab_layer_norm", E)
    s.append(("vocab_projector.bias", [V], "bias", 0.5))
    return s


def marian_specs(c):
    E, V = c["d_model"], c["vocab_size"]
    s = [("model.shared.weight", [V, E], "emb_pad", (E, c["pad_token_id"]))]
    for side in ("encoder", "decoder"):
        for i in range(c[side + "_layers"]):
            q = f"model.{side}.layers.{i}."
            attns = ("self_attn", "encoder_attn") if side == "decoder" else ("self_attn",)
            for a in attns:
                # the Hub's state_dict order: k_proj, v_proj, q_proj, out_proj
                linear(s, q + a + ".k_proj", E, E, "qk")
                linear(s, q + a + ".v_proj", E, E)
                linear(s, q + a + ".q_proj", E, E, "qk")
                linear(s, q + a + ".out_proj", E, E, "out")
                norm(s, q + a + "_layer_norm", E)
            ffn = c[side + "_ffn_dim"]
            linear(s, q + "fc1", ffn, E, "ffn_in")
            linear(s, q + "fc2", E, ffn, "out")
            norm(s, q + "final_layer_norm", E)
    s.append(("final_logits_bias", [1, V], "bias", 0.5))
    return s


# ================================================================================================ configs
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def gpt2_config(E, H, L, Fd, V, P, eos, dtype):
    """gpt2's config.json (openai-community/gpt2), sizes changed. n_inner only when it is not 4 * n_embd."""
    c = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
         "bos_token_id": eos, "embd_pdrop": 0.1, "eos_token_id": eos, "initializer_range": 0.02,
         "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": P, "n_embd": E, "n_head": H, "n_layer": L,
         "n_positions": P, "resid_pdrop": 0.1, "summary_activation": None, "summary_first_dropout": 0.1,
         "summary_proj_to_labels": True, "summary_type": "cls_index", "summary_use_proj": True,
         "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}}, "vocab_size": V}
    if Fd != 4 * E:
        c["n_inner"] = Fd
    if dtype != "F32":
        c["torch_dtype"] = TORCH_DTYPE[dtype]
    return c


def bert_config(E, H, L, Fd, V, P, pad, dtype, arch="BertForMaskedLM"):
    """bert-base-uncased's config.json, sizes changed."""
    c = {"architectures": [arch], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": E, "initializer_range": 0.02,
         "intermediate_size": Fd, "layer_norm_eps": 1e-12, "max_position_embeddings": P, "model_type": "bert",
         "num_attention_heads": H, "num_hidden_layers": L, "pad_token_id": pad,
         "position_embedding_type": "absolute", "transformers_version": "4.6.0.dev0", "type_vocab_size": 2,
         "use_cache": True, "vocab_size": V}
    if dtype != "F32":
        c["torch_dtype"] = TORCH_DTYPE[dtype]
    return c


def distilbert_config(E, H, L, Fd, V, P, pad, dtype):
    """distilbert-base-uncased's config.json, sizes changed."""
    c = {"activation": "gelu", "architectures": ["DistilBertForMaskedLM"], "attention_dropout": 0.1, "dim": E,
         "dropout": 0.1, "hidden_dim": Fd, "initializer_range": 0.02, "max_position_embeddings": P,
         "model_type": "distilbert", "n_heads": H, "n_layers": L, "pad_token_id": pad, "qa_dropout": 0.1,
         "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True,
         "transformers_version": "4.10.0.dev0", "vocab_size": V}
    if dtype != "F32":
        c["torch_dtype"] = TORCH_DTYPE[dtype]
    return c


def marian_config(E, H, enc_layers, dec_layers, Fd, V, P, pad, eos, dtype):
    """Helsinki-NLP/opus-mt-en-fr's config.json, sizes changed (pad = decoder start = the last id, eos = 0)."""
    return {"_name_or_path": "/tmp/Helsinki-NLP/opus-mt-en-fr", "_num_labels": 3, "activation_dropout": 0.0,
            "activation_function": "swish", "add_bias_logits": False, "add_final_layer_norm": False,
            "architectures": ["MarianMTModel"], "attention_dropout": 0.0, "bad_words_ids": [[pad]],
            "bos_token_id": 0, "classif_dropout": 0.0, "classifier_dropout": 0.0, "d_model": E,
            "decoder_attention_heads": H, "decoder_ffn_dim": Fd, "decoder_layerdrop": 0.0,
            "decoder_layers": dec_layers, "decoder_start_token_id": pad, "decoder_vocab_size": V, "dropout": 0.1,
            "encoder_attention_heads": H, "encoder_ffn_dim": Fd, "encoder_layerdrop": 0.0,
            "encoder_layers": enc_layers, "eos_token_id": eos, "forced_eos_token_id": eos,
            "gradient_checkpointing": False, "id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"},
            "init_std": 0.02, "is_encoder_decoder": True, "label2id": {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2},
            "max_length": 512, "max_position_embeddings": P, "model_type": "marian", "normalize_before": False,
            "normalize_embedding": False, "num_beams": 4, "num_hidden_layers": enc_layers, "pad_token_id": pad,
            "scale_embedding": True, "share_encoder_decoder_embeddings": True, "static_position_embeddings": True,
            "torch_dtype": TORCH_DTYPE[dtype], "transformers_version": "4.22.0.dev0", "use_cache": True,
            "vocab_size": V}


def generation_config(family, c):
    if family == "gpt2":
        return {"_from_model_config": True, "bos_token_id": c["bos_token_id"], "eos_token_id": c["eos_token_id"],
                "transformers_version": "4.26.0.dev0"}
    if family == "marian":
        return {"bad_words_ids": c["bad_words_ids"], "bos_token_id": 0,
                "decoder_start_token_id": c["decoder_start_token_id"], "eos_token_id": c["eos_token_id"],
                "forced_eos_token_id": c["forced_eos_token_id"], "max_length": 512, "num_beams": 4,
                "pad_token_id": c["pad_token_id"], "renormalize_logits": True, "transformers_version": "4.32.0.dev0"}
    return None


# ================================================================================================ layouts
def stored_entries(family, cfg, variant, seed, dtype, work):
    """The Hub layout of one checkpoint: a list of (stored name, dtype name, shape, canonical name or None, make).
    The canonical name is the tensor a stored one is (a copy of); None for buffers. `variant` says which prefix,
    which tied copies, which buffers and which names are there."""
    if family == "gpt2":
        specs = gpt2_specs(cfg)
    elif family == "bert":
        specs = bert_specs(cfg, variant.get("head", "mlm"))
    elif family == "distilbert":
        specs = distilbert_specs(cfg)
    else:
        specs = marian_specs(cfg)
    by_name = {s[0]: s for s in specs}
    rows = []  # (stored name, dtype name, shape, canonical name or None, make)

    def add(stored, canonical, dt=dtype, spec=None):
        sp = spec or by_name[canonical]
        tdt = ST_DTYPES[dt][0]
        rows.append((stored, dt, sp[1], canonical, lambda sp=sp, tdt=tdt: make_value(sp, seed, work).to(tdt)))

    def rename(n):
        if family == "gpt2" and not variant.get("prefix", True):
            n = n[len("transformer."):] if n.startswith("transformer.") else n
        if family == "bert":
            if variant.get("tf_names"):
                n = n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
            if not variant.get("prefix", True):
                n = n[len("bert."):] if n.startswith("bert.") else n
        return n

    for name, shape, kind, arg in specs:
        add(rename(name), name)
    if family == "gpt2":
        P, pre = cfg["n_positions"], ("transformer." if variant.get("prefix", True) else "")
        for i in range(cfg["n_layer"]):
            bias_dt = variant.get("attn_bias")
            if bias_dt:
                sp = (f"transformer.h.{i}.attn.bias", [1, 1, P, P], "tril", None)
                add(f"{pre}h.{i}.attn.bias", None, bias_dt, sp)
            if variant.get("masked_bias"):
                sp = (f"transformer.h.{i}.attn.masked_bias", [], "const", -1e4)
                add(f"{pre}h.{i}.attn.masked_bias", None, dtype, sp)
        if variant.get("lm_head"):
            add("lm_head.weight", "transformer.wte.weight")
    elif family == "bert":
        P = cfg["max_position_embeddings"]
        pre = "bert." if variant.get("prefix", True) else ""
        if variant.get("position_ids"):
            add(pre + "embeddings.position_ids", None, "I64", ("position_ids", [1, P], "position_ids", None))
        if variant.get("decoder_weight"):
            add("cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight")
        if variant.get("decoder_bias"):
            add("cls.predictions.decoder.bias", "cls.predictions.bias")
    elif family == "distilbert":
        if variant.get("projector_weight"):
            add("vocab_projector.weight", "distilbert.embeddings.word_embeddings.weight")
    else:
        if variant.get("tied_copies"):
            for n in ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"):
                add(n, "model.shared.weight")
        if variant.get("positions"):
            P, E = cfg["max_position_embeddings"], cfg["d_model"]
            for side in ("encoder", "decoder"):
                n = f"model.{side}.embed_positions.weight"
                add(n, None, dtype, (n, [P, E], "sinusoid", None))
    return rows


def canonical_state(stored, family):
    """What from_pretrained does with the names: add the base-model prefix when it is missing, rename the TF-era
    LayerNorm.gamma/beta, upcast to float64. Tied copies must equal what they are tied to; buffers are dropped
    (the causal mask and position ids are rebuilt by the model), except Marian's stored position tables."""
    sd = {}
    for n, t in stored.items():
        if family == "gpt2" and not n.startswith(("transformer.", "lm_head.")):
            n = "transformer." + n
        if family == "bert":
            n = n.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
            if not n.startswith(("bert.", "cls.")):
                n = "bert." + n
        sd[n] = t.to(F64) if t.is_floating_point() else t
    ties = {"lm_head.weight": "transformer.wte.weight",
            "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias",
            "vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight",
            "model.encoder.embed_tokens.weight": "model.shared.weight",
            "model.decoder.embed_tokens.weight": "model.shared.weight"}
    if family == "marian":
        ties["lm_head.weight"] = "model.shared.weight"
    for copy, src in ties.items():
        if copy in sd:
            assert torch.equal(sd.pop(copy), sd[src]), copy
    for n in list(sd):
        if n.endswith((".attn.bias", ".attn.masked_bias", "embeddings.position_ids")):
            t = sd.pop(n)
            if n.endswith(".attn.bias"):  # a causal mask, whatever its dtype
                P = t.shape[-1]
                assert torch.equal(t.reshape(P, P).to(F64), torch.tril(torch.ones(P, P, dtype=F64))), n
    return sd


# ================================================================================================ cases
CASES = [
    dict(id="gpt2_f32", family="gpt2", dtype="F32", seed=101, E=32, H=4, L=2, F=64, V=128, P=64, T=12, pad=0,
         variant=dict(prefix=True, attn_bias="F32", masked_bias=True, lm_head=True),
         description="GPT2LMHeadModel as older checkpoints store it: 'transformer.' prefix, the causal-mask buffers "
                     "h.N.attn.bias (F32 [1,1,P,P]) and h.N.attn.masked_bias (F32 scalar -1e4), lm_head.weight as a "
                     "tied copy of wte; n_inner set (not 4*n_embd)."),
    dict(id="gpt2_f16", family="gpt2", dtype="F16", seed=102, E=32, H=4, L=2, F=128, V=160, P=64, T=10, pad=0,
         variant=dict(prefix=False, attn_bias="F16"),
         description="GPT-2 as the gpt2 repo's model.safetensors: no prefix, no lm_head (tied), h.N.attn.bias kept; "
                     "F16 storage (the buffers too, as model.half() leaves them)."),
    dict(id="gpt2_bf16", family="gpt2", dtype="BF16", seed=103, E=48, H=4, L=2, F=192, V=128, P=64, T=14, pad=3,
         variant=dict(prefix=True, attn_bias="BOOL", masked_bias=True),
         description="BF16 storage, h.N.attn.bias as BOOL, masked_bias BF16; an attention_mask that masks the last 3 "
                     "keys (padding at the end, padded with eos)."),
    dict(id="bert_mlm_f32", family="bert", dtype="F32", seed=201, E=32, H=4, L=2, F=64, V=120, P=64, T=12, pad=0,
         variant=dict(head="mlm", prefix=True, position_ids=True, decoder_weight=True, decoder_bias=True),
         description="BertForMaskedLM: 'bert.' prefix, embeddings.position_ids buffer (I64 [1,P]), the pooler and the "
                     "next-sentence head (cls.seq_relationship) that the MLM model does not use, "
                     "cls.predictions.decoder.weight and .bias as tied copies; token_type_ids with 0 and 1."),
    dict(id="bert_mlm_tf_names", family="bert", dtype="F16", seed=202, E=48, H=4, L=2, F=96, V=120, P=64, T=9, pad=0,
         variant=dict(head="mlm", prefix=True, tf_names=True),
         description="BertForMaskedLM with the TF-era names LayerNorm.gamma / LayerNorm.beta (as bert-base-uncased's "
                     "original weights), no position_ids, no decoder copy (tied to the word embeddings); F16."),
    dict(id="bert_model_bf16", family="bert", dtype="BF16", seed=203, E=32, H=4, L=2, F=96, V=120, P=64, T=13, pad=4,
         variant=dict(head="model", prefix=False),
         description="BertModel: no prefix, no cls.* head, the pooler used; the reference has last_hidden_state "
                     "(and pooler_output) instead of logits; an attention_mask with the last 4 tokens padded; BF16."),
    dict(id="distilbert_f32", family="distilbert", dtype="F32", seed=301, E=32, H=4, L=2, F=64, V=120, P=64, T=11,
         pad=0, variant=dict(projector_weight=True),
         description="DistilBertForMaskedLM: 'distilbert.' prefix, vocab_projector.weight present as a tied copy."),
    dict(id="distilbert_f16", family="distilbert", dtype="F16", seed=302, E=48, H=4, L=2, F=96, V=120, P=64, T=12,
         pad=2, variant=dict(projector_weight=False),
         description="DistilBertForMaskedLM without the tied vocab_projector.weight; F16; the last 2 tokens padded."),
    dict(id="marian_f32", family="marian", dtype="F32", seed=476, E=32, H=4, enc=2, dec=1, F=64, V=72, P=64, S=9,
         T=7, pad=0, max_new_tokens=10, variant=dict(tied_copies=True, positions=True),
         description="MarianMTModel: model.shared.weight with the tied copies model.encoder.embed_tokens.weight, "
                     "model.decoder.embed_tokens.weight and lm_head.weight, the stored sinusoid tables "
                     "model.{encoder,decoder}.embed_positions.weight, final_logits_bias [1,V]; 2 encoder layers, "
                     "1 decoder layer; greedy generation that runs to max_new_tokens (the last token is the forced "
                     "eos)."),
    dict(id="marian_bf16", family="marian", dtype="BF16", seed=415, E=32, H=4, enc=2, dec=2, F=96, V=96, P=64, S=12,
         T=8, pad=3, max_new_tokens=12, variant=dict(tied_copies=False, positions=False),
         description="MarianMTModel in BF16 with only model.shared.weight (no tied copies, no position tables: the "
                     "sinusoids are built by the model) and final_logits_bias; the source's last 3 tokens padded; "
                     "greedy generation that stops on an eos it picks itself."),
]


def case_config(c):
    f, dt = c["family"], c["dtype"]
    if f == "gpt2":
        return gpt2_config(c["E"], c["H"], c["L"], c["F"], c["V"], c["P"], c["V"] - 1, dt)
    if f == "bert":
        arch = "BertModel" if c["variant"]["head"] == "model" else "BertForMaskedLM"
        return bert_config(c["E"], c["H"], c["L"], c["F"], c["V"], c["P"], 0, dt, arch)
    if f == "distilbert":
        return distilbert_config(c["E"], c["H"], c["L"], c["F"], c["V"], c["P"], 0, dt)
    return marian_config(c["E"], c["H"], c["enc"], c["dec"], c["F"], c["V"], c["P"], c["V"] - 1, 0, dt)


def case_inputs(c, cfg):
    """Token ids drawn from a fixed generator; special tokens where the family has them."""
    g = torch.Generator().manual_seed(c["seed"] * 7 + 1)
    rnd = lambda n, lo, hi: torch.randint(lo, hi, (n,), generator=g).tolist()
    T, pad, f = c["T"], c["pad"], c["family"]
    ins = {}
    if f == "gpt2":
        eos = cfg["eos_token_id"]
        ids = rnd(T - pad, 0, cfg["vocab_size"] - 1) + [eos] * pad
        ins["input_ids"] = ids
        ins["attention_mask"] = [1] * (T - pad) + [0] * pad
    elif f == "bert":
        CLS, SEP, MASK, PAD = 101, 102, 103, 0  # bert-base-uncased's ids of [CLS], [SEP], [MASK], [PAD]
        n = T - pad
        if c["id"] == "bert_mlm_f32":  # a sentence pair: [CLS] a a a a [SEP] b [MASK] b b [SEP] ...
            a = n // 2 - 1
            b = n - a - 3
            words_a, words_b = rnd(a, 5, 100), rnd(b, 5, 100)
            words_b[1] = MASK
            ids = [CLS] + words_a + [SEP] + words_b + [SEP]
            types = [0] * (a + 2) + [1] * (b + 1)
        else:
            words = rnd(n - 2, 5, 100)
            words[2] = MASK
            ids, types = [CLS] + words + [SEP], [0] * n
        ins["input_ids"] = ids + [PAD] * pad
        ins["token_type_ids"] = types + [0] * pad
        ins["attention_mask"] = [1] * n + [0] * pad
    elif f == "distilbert":
        n = T - pad
        words = rnd(n - 2, 5, 100)
        words[1] = 103
        ins["input_ids"] = [101] + words + [102] + [0] * pad
        ins["attention_mask"] = [1] * n + [0] * pad
    else:
        S, V, eos, pad_id = c["S"], cfg["vocab_size"], cfg["eos_token_id"], cfg["pad_token_id"]
        n = S - pad
        ins["input_ids"] = rnd(n - 1, 2, V - 1) + [eos] + [pad_id] * pad  # source ends with </s>, then padding
        ins["attention_mask"] = [1] * n + [0] * pad
        ins["decoder_input_ids"] = [cfg["decoder_start_token_id"]] + rnd(T - 1, 2, V - 1)
    return {k: torch.tensor([v], dtype=torch.int64) for k, v in ins.items()}


def run_reference(c, cfg, sd, ins, check=True):
    f = c["family"]
    trace = []
    if f == "gpt2":
        out = gpt2_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], trace)
        if check:
            check_gpt2(sd, cfg, trace, ins["attention_mask"])
    elif f == "bert":
        out = bert_forward(sd, cfg, ins["input_ids"], ins["token_type_ids"], ins["attention_mask"],
                           c["variant"]["head"], trace)
        if check:
            E, Fd = cfg["hidden_size"], cfg["intermediate_size"]
            names = lambda i: tuple(f"bert.encoder.layer.{i}." + n for n in (
                "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"))
            check_post_norm_encoder(sd, trace, E, cfg["num_attention_heads"], Fd, F.gelu, 1e-12,
                                    ins["attention_mask"], names)
    elif f == "distilbert":
        out = distilbert_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], trace)
        if check:
            names = lambda i: tuple(f"distilbert.transformer.layer.{i}." + n for n in (
                "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm",
                "ffn.lin1", "ffn.lin2", "output_layer_norm"))
            check_post_norm_encoder(sd, trace, cfg["dim"], cfg["n_heads"], cfg["hidden_dim"], F.gelu, 1e-12,
                                    ins["attention_mask"], names)
    else:
        out = marian_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], ins["decoder_input_ids"], trace)
        if check:
            names = lambda i: tuple(f"model.encoder.layers.{i}." + n for n in (
                "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                "self_attn_layer_norm", "fc1", "fc2", "final_layer_norm"))
            enc_trace = [t for t in trace if t[0] == "encoder"]
            check_post_norm_encoder(sd, enc_trace, cfg["d_model"], cfg["encoder_attention_heads"],
                                    cfg["encoder_ffn_dim"], F.silu, 1e-5, ins["attention_mask"], names)
            check_marian_decoder(sd, cfg, trace, out["encoder_last_hidden_state"], ins["attention_mask"])
    return out


def check_invariances(c, cfg, sd, ins, out):
    """Properties the references must have: causality (a prefix's outputs do not depend on what follows), padding
    (masked keys get weight 0 and changing the padded tokens changes nothing at the real positions), rows sum to 1."""
    f = c["family"]
    for k, v in out.items():
        if "attentions" in k:
            for w in v:
                close(w.sum(-1), torch.ones_like(w.sum(-1)), f"{k} rows sum to 1", 1e-12)
    mask = ins["attention_mask"]
    n = int(mask.sum())
    if f in ("gpt2", "bert", "distilbert"):
        key = "logits" if "logits" in out else "last_hidden_state"
        for w in out["attentions"]:
            assert (w[..., n:] == 0).all(), "padded keys must get exactly zero weight"
        if f == "gpt2":
            for w in out["attentions"]:
                assert (w.triu(1) == 0).all(), "causal"
            m = 5
            pre = gpt2_forward(sd, cfg, ins["input_ids"][:, :m], mask[:, :m])
            close(pre["logits"], out["logits"][:, :m], "gpt2 causality")
        if n < mask.shape[1]:  # other tokens under the padding: nothing changes at the real positions
            alt = dict(ins)
            ids = ins["input_ids"].clone()
            ids[:, n:] = (ids[:, n:] + 7) % 50
            alt["input_ids"] = ids
            o2 = run_reference(c, cfg, sd, alt, check=False)
            close(o2[key][:, :n], out[key][:, :n], f"{c['id']} padding independence")
    else:
        for w in out["encoder_attentions"] + out["cross_attentions"]:
            assert (w[..., n:] == 0).all()
        for w in out["decoder_attentions"]:
            assert (w.triu(1) == 0).all()
        T = ins["decoder_input_ids"].shape[1]
        pre = marian_forward(sd, cfg, ins["input_ids"], mask, ins["decoder_input_ids"][:, :T - 2])
        close(pre["logits"], out["logits"][:, :T - 2], "marian decoder causality")


def entropy_stats(atts):
    """Mean row entropy of the attention weights and, for comparison, that of uniform attention over the same keys."""
    ent, uni, rows = 0.0, 0.0, 0
    for w in atts:
        wl = torch.where(w > 0, w * torch.log(w), torch.zeros_like(w))
        ent += float(-wl.sum(-1).sum())
        uni += float(torch.log((w > 0).sum(-1).to(F64)).sum())
        rows += w.shape[0] * w.shape[1] * w.shape[2]
    return ent / rows, uni / rows


def flatten_outputs(ins, out):
    """The inputs, then every output; a list of per-layer tensors becomes name.0, name.1, ..."""
    ref = dict(ins)
    for k, v in out.items():
        if isinstance(v, list):
            for i, t in enumerate(v):
                ref[f"{k}.{i}"] = t
        else:
            ref[k] = v
    return ref


def write_reference(path, ref, meta):
    entries = []
    for k, v in ref.items():
        v = v.detach()
        v = v.to(torch.int64) if not v.is_floating_point() else v.to(F64)
        entries.append((k, ST_NAMES[v.dtype], list(v.shape), lambda v=v: v.contiguous()))
    write_safetensors(path, entries, meta)


def build_case(c):
    cfg = case_config(c)
    folder = os.path.join(OUT, c["id"])
    os.makedirs(folder, exist_ok=True)
    f, dt = c["family"], c["dtype"]
    extra_bias = None

    def write_model(eos_bias=None):
        rows = stored_entries(f, cfg, c["variant"], c["seed"], dt, F64)
        entries = []
        for stored, sdt, shape, canonical, make in rows:
            if eos_bias is not None and stored == "final_logits_bias":
                def make(make=make, b=eos_bias):
                    t = make()
                    t[0, cfg["eos_token_id"]] = b
                    return t
            entries.append((stored, sdt, shape, make))
        path = os.path.join(folder, "model.safetensors")
        write_safetensors(path, entries, {"format": "pt"})
        stored, meta = read_safetensors(path)
        assert meta == {"format": "pt"}
        return canonical_state(stored, f)

    sd = write_model()
    ins = case_inputs(c, cfg)
    gen = None
    if f == "marian":
        gen = marian_generate(sd, cfg, ins["input_ids"], ins["attention_mask"], c["max_new_tokens"])
        if c["id"] == "marian_bf16":
            # raise the eos logit bias (exact in BF16) until greedy decoding picks eos by itself after a few tokens
            for b in [x * 0.25 for x in range(0, 41)]:
                sd_try = write_model(b)
                g_try = marian_generate(sd_try, cfg, ins["input_ids"], ins["attention_mask"], c["max_new_tokens"])
                if g_try[2] == "eos" and len(g_try[0]) >= 5:
                    sd, gen, extra_bias = sd_try, g_try, b
                    break
            assert gen[2] == "eos", "no bias made greedy decoding stop on eos"
        else:
            assert gen[2] == "forced_eos", gen[2]
    out = run_reference(c, cfg, sd, ins)
    check_invariances(c, cfg, sd, ins, out)

    write_json(os.path.join(folder, "config.json"), cfg)
    gc = generation_config(f, cfg)
    if gc:
        write_json(os.path.join(folder, "generation_config.json"), gc)

    ref = flatten_outputs(ins, out)
    meta = {"format": "pt", "generator": "make_hf.py", "torch": torch.__version__, "family": f, "case": c["id"],
            "description": c["description"], "dtype": dt, "architecture": cfg["architectures"][0]}
    if gen is not None:
        ids, steps, why = gen
        ref["generated_ids"] = torch.tensor([ids], dtype=torch.int64)
        # checks: the greedy steps are the teacher-forced logits of the generated sequence, row by row
        full = marian_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], torch.tensor([ids[:-1]]))
        close(torch.stack(steps), full["logits"][0], "marian generation steps vs teacher forcing")
        meta.update({"max_new_tokens": str(c["max_new_tokens"]), "stop_reason": why,
                     "forced_eos_token_id": str(cfg["forced_eos_token_id"]),
                     "decoder_start_token_id": str(cfg["decoder_start_token_id"])})
        if extra_bias is not None:
            meta["final_logits_bias_eos"] = str(extra_bias)
    write_reference(os.path.join(folder, "reference.safetensors"), ref, meta)

    atts = [w for k, v in out.items() if "attentions" in k for w in v]
    ent, uni = entropy_stats(atts)
    key = "logits" if "logits" in out else "last_hidden_state"
    sizes = {n: os.path.getsize(os.path.join(folder, n)) for n in sorted(os.listdir(folder))}
    line = (f"{c['id']:18s} max|{key}| {out[key].abs().max().item():6.2f}   attention entropy {ent:.3f} "
            f"(uniform {uni:.3f})   " + "  ".join(f"{n} {s / 1024:.1f} KB" for n, s in sizes.items()))
    if gen is not None:
        line += f"\n{'':18s} generated {gen[0]} ({gen[2]})"
    print(line)
    return sizes


# ================================================================================================ head masks
# head_mask.safetensors next to a case's reference.safetensors: the same inputs with heads ablated, as
# forward(head_mask=..., decoder_head_mask=..., cross_attn_head_mask=...) computes them, and the engine's mean ablation
# (`head_mean`, ...). Each case: which masks, whether one is given as [H] (HF broadcasts it to every layer), which get
# a mean.
HEAD_MASK_CASES = {
    "gpt2_f32": dict(masks=("head_mask",), means=("head_mask",), per_head=False),
    "bert_mlm_f32": dict(masks=("head_mask",), means=(), per_head=False),
    "distilbert_f16": dict(masks=("head_mask",), means=(), per_head=True),
    "marian_bf16": dict(masks=("head_mask", "decoder_head_mask", "cross_attn_head_mask"),
                        means=("cross_attn_head_mask",), per_head=False),
}

# Where each family's heads meet their output projection: (weight name of layer i, Conv1D layout), per mask.
OUT_PROJ = {
    ("gpt2", "head_mask"): ("transformer.h.{i}.attn.c_proj", True),
    ("bert", "head_mask"): ("bert.encoder.layer.{i}.attention.output.dense", False),
    ("distilbert", "head_mask"): ("distilbert.transformer.layer.{i}.attention.out_lin", False),
    ("marian", "head_mask"): ("model.encoder.layers.{i}.self_attn.out_proj", False),
    ("marian", "decoder_head_mask"): ("model.decoder.layers.{i}.self_attn.out_proj", False),
    ("marian", "cross_attn_head_mask"): ("model.decoder.layers.{i}.encoder_attn.out_proj", False),
}


def fold_ablation(sd, family, masks, H):
    """The ablation written into the output projections instead: the projection of the heads' concatenation is a sum
    over heads of ctx_h W_h, so scaling head h's weights by m scales W_h by m, and its mean adds (1 - m) mean_h W_h to
    the bias. The unmasked reference (checked against PyTorch's modules) on these weights must equal the masked one."""
    sd = dict(sd)
    for name, (scale, mean) in masks.items():
        pattern, conv1d = OUT_PROJ[(family, name)]
        for i in range(scale.shape[0]):
            wn, bn = pattern.format(i=i) + ".weight", pattern.format(i=i) + ".bias"
            W, b = sd[wn].clone(), sd[bn].clone()
            Wt = W if conv1d else W.T  # [in, out]: rows are the heads' concatenated dimensions
            Dh = Wt.shape[0] // H
            for h in range(H):
                rows = slice(h * Dh, (h + 1) * Dh)
                if mean is not None:
                    b = b + (1 - scale[i, h]) * (mean[i, h] @ Wt[rows])
                Wt[rows] = Wt[rows] * scale[i, h]
            sd[wn], sd[bn] = W, b
    return sd


def run_masked(c, cfg, sd, ins, masks):
    """The family's reference with head masks {name: (mask [layers, H], mean or None)}."""
    f = c["family"]
    if f == "gpt2":
        return gpt2_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], head_mask=masks.get("head_mask"))
    if f == "bert":
        return bert_forward(sd, cfg, ins["input_ids"], ins["token_type_ids"], ins["attention_mask"],
                            c["variant"]["head"], head_mask=masks.get("head_mask"))
    if f == "distilbert":
        return distilbert_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], head_mask=masks.get("head_mask"))
    return marian_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], ins["decoder_input_ids"], masks=masks)


def build_head_mask_case(c):
    """head_mask.safetensors of case c, from its model.safetensors as written (read back)."""
    cfg, f, spec = case_config(c), c["family"], HEAD_MASK_CASES[c["id"]]
    folder = os.path.join(OUT, c["id"])
    stored, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    sd = canonical_state(stored, f)
    ins = case_inputs(c, cfg)
    g = torch.Generator().manual_seed(c["seed"] * 11 + 5)
    H, E = c["H"], c["E"]
    layers = {"head_mask": c.get("L", c.get("enc")), "decoder_head_mask": c.get("dec"), "cross_attn_head_mask": c.get("dec")}
    masks, ref_ins = {}, dict(ins)
    for name in spec["masks"]:
        N = layers[name]
        scale = torch.ones(N, H, dtype=F64)
        scale[0, 1] = 0.0          # a head removed in the first layer,
        scale[N - 1, 0] = 0.0      # one in the last,
        scale[N - 1, H - 1] = 0.5  # and one halved
        if spec["per_head"]:       # HF's [H] form: the same row for every layer
            scale = scale[N - 1].expand(N, H).clone()
        mean = torch.randn(N, H, E // H, generator=g, dtype=F64) * 0.5 if name in spec["means"] else None
        masks[name] = (scale, mean)
        ref_ins[name] = scale[0] if spec["per_head"] else scale
        if mean is not None:
            ref_ins[name.replace("_mask", "_mean")] = mean
    out = run_masked(c, cfg, sd, ins, masks)
    folded = run_reference(c, cfg, fold_ablation(sd, f, masks, H), ins, check=True)
    key = "logits" if "logits" in out else "last_hidden_state"
    close(out[key], folded[key], f"{c['id']}: head masks vs the ablation folded into the output projections")
    attention_names = {"head_mask": "encoder_attentions" if f == "marian" else "attentions",
                       "decoder_head_mask": "decoder_attentions", "cross_attn_head_mask": "cross_attentions"}
    for name, (scale, _) in masks.items():
        for i, w in enumerate(out[attention_names[name]]):
            for h in range(H):
                close(w[:, h], scale[i, h] * folded[attention_names[name]][i][:, h], f"{c['id']} {name} weights")
    assert not torch.equal(out[key], run_reference(c, cfg, sd, ins, check=False)[key]), "the masks change nothing"
    meta = {"format": "pt", "generator": "make_hf.py", "torch": torch.__version__, "family": f, "case": c["id"],
            "masks": ",".join(spec["masks"]), "means": ",".join(spec["means"]),
            "description": "the case's inputs with heads ablated: head masks (some 0, one 0.5) as HF's forward "
                           "takes them, and the engine's mean ablation for the masks listed in `means`"}
    if f == "gpt2":  # causality under the mask: a prefix's logits are the prefix of the logits
        pre = gpt2_forward(sd, cfg, ins["input_ids"][:, :5], ins["attention_mask"][:, :5], head_mask=masks["head_mask"])
        close(pre["logits"], out["logits"][:, :5], "gpt2 causality with head masks")
    if f == "marian":  # greedy generation with the masks at every step, checked against teacher forcing
        ids, steps, why = marian_generate(sd, cfg, ins["input_ids"], ins["attention_mask"], c["max_new_tokens"], masks)
        full = marian_forward(sd, cfg, ins["input_ids"], ins["attention_mask"], torch.tensor([ids[:-1]]), masks=masks)
        close(torch.stack(steps), full["logits"][0], "marian masked generation steps vs teacher forcing")
        out["generated_ids"] = torch.tensor([ids], dtype=torch.int64)
        meta.update({"max_new_tokens": str(c["max_new_tokens"]), "stop_reason": why})
    write_reference(os.path.join(folder, "head_mask.safetensors"), flatten_outputs(ref_ins, out), meta)
    print(f"{c['id']:18s} head_mask.safetensors: {', '.join(spec['masks'])}"
          + (f"; generated {out['generated_ids'][0].tolist()} ({meta['stop_reason']})" if f == "marian" else ""))


def make_golden():
    check_activations()
    check_sinusoid()
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for c in CASES:
        total += sum(build_case(c).values())
    print(f"{len(CASES)} cases, {total / 1024:.0f} KB in all")
    for c in CASES:
        if c["id"] in HEAD_MASK_CASES:
            build_head_mask_case(c)


# ================================================================================================ folder mode
DEFAULTS = {  # the base checkpoints' sizes
    "gpt2": dict(layers=12, d_model=768, heads=12, ffn=3072, vocab=50257, positions=1024),
    "bert": dict(layers=12, d_model=768, heads=12, ffn=3072, vocab=30522, positions=512),
    "distilbert": dict(layers=6, d_model=768, heads=12, ffn=3072, vocab=30522, positions=512),
    "marian": dict(layers=6, d_model=512, heads=8, ffn=2048, vocab=59514, positions=512),
}
TOKENIZER_FILES_SKIP = {"config.json", "generation_config.json", "model.safetensors", "reference.safetensors"}


def tokenizer_vocab(folder):
    """(vocab size, token -> id) from tokenizer.json (model vocab + added tokens), vocab.json or vocab.txt."""
    vocab = {}
    tj, vj, vt = (os.path.join(folder, n) for n in ("tokenizer.json", "vocab.json", "vocab.txt"))
    if os.path.exists(tj):
        with open(tj, encoding="utf-8") as fh:
            t = json.load(fh)
        v = t.get("model", {}).get("vocab")
        if isinstance(v, dict):
            vocab.update(v)
        elif isinstance(v, list):  # Unigram: [[piece, score], ...]
            vocab.update({p[0]: i for i, p in enumerate(v)})
        for a in t.get("added_tokens") or []:
            vocab[a["content"]] = a["id"]
    if not vocab and os.path.exists(vj):
        with open(vj, encoding="utf-8") as fh:
            vocab.update(json.load(fh))
    if not vocab and os.path.exists(vt):
        with open(vt, encoding="utf-8") as fh:
            for i, line in enumerate(fh.read().split("\n")):
                if line or i == 0:
                    vocab.setdefault(line.rstrip("\r"), i)
    if not vocab:
        raise SystemExit(f"{folder}: no tokenizer.json, vocab.json or vocab.txt")
    return max(vocab.values()) + 1, vocab


def make_folder(a):
    fam, dt = a.family, {"f32": "F32", "f16": "F16", "bf16": "BF16"}[a.dtype]
    d = dict(DEFAULTS[fam])
    for k in d:
        if getattr(a, k) is not None:
            d[k] = getattr(a, k)
    vocab = {}
    if a.tokenizer:
        V, vocab = tokenizer_vocab(a.tokenizer)
        if a.vocab is not None and a.vocab != V:
            raise SystemExit(f"--vocab {a.vocab} but the tokenizer has {V} ids")
        d["vocab"] = V
    E, H, L, Fd, V, P = d["d_model"], d["heads"], d["layers"], d["ffn"], d["vocab"], d["positions"]
    if E % H:
        raise SystemExit("--d-model must be a multiple of --heads")
    if fam == "gpt2":
        eos = vocab.get("<|endoftext|>", V - 1)
        cfg = gpt2_config(E, H, L, Fd, V, P, eos, dt)
        variant = dict(prefix=False, attn_bias=dt)  # as the gpt2 repo's model.safetensors
    elif fam == "bert":
        cfg = bert_config(E, H, L, Fd, V, P, vocab.get("[PAD]", 0), dt)
        variant = dict(head="mlm", prefix=True, tf_names=a.tf_names)  # as bert-base-uncased's
    elif fam == "distilbert":
        cfg = distilbert_config(E, H, L, Fd, V, P, vocab.get("[PAD]", 0), dt)
        variant = dict(projector_weight=False)
    else:
        cfg = marian_config(E, H, L, L, Fd, V, P, vocab.get("<pad>", V - 1), vocab.get("</s>", 0), dt)
        variant = dict(tied_copies=False, positions=False)  # as save_pretrained writes it
    os.makedirs(a.out, exist_ok=True)
    rows = stored_entries(fam, cfg, variant, a.seed, dt, torch.float32)
    n = write_safetensors(os.path.join(a.out, "model.safetensors"), [(r[0], r[1], r[2], r[4]) for r in rows],
                          {"format": "pt"})
    write_json(os.path.join(a.out, "config.json"), cfg)
    gc = generation_config(fam, cfg)
    if gc:
        write_json(os.path.join(a.out, "generation_config.json"), gc)
    copied = []
    if a.tokenizer:
        for name in sorted(os.listdir(a.tokenizer)):
            src = os.path.join(a.tokenizer, name)
            if os.path.isfile(src) and name not in TOKENIZER_FILES_SKIP:
                shutil.copyfile(src, os.path.join(a.out, name))
                copied.append(name)
    if a.reference_ids:
        folder_reference(a, fam, cfg, variant)
    params = sum(math.prod(r[2]) for r in rows if r[3] is not None)
    print(f"{a.out}: {fam} {dt}, {params / 1e6:.1f}M parameters stored, model.safetensors {n / 2**20:.1f} MiB, "
          f"vocab {V}" + (f", tokenizer files {', '.join(copied)}" if copied else ""))


def folder_reference(a, fam, cfg, variant):
    """reference.safetensors for the folder: the float64 reference on the given token ids, from the weights as
    written (read back), with the same names as the committed cases. For Marian: greedy generation, then the
    teacher-forced forward pass on the generated ids (all but the last) as decoder_input_ids."""
    stored, _ = read_safetensors(os.path.join(a.out, "model.safetensors"))
    sd = canonical_state(stored, fam)
    del stored
    ids = torch.tensor([[int(x) for x in a.reference_ids.split(",")]], dtype=torch.int64)
    ins = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if fam == "bert":
        ins["token_type_ids"] = torch.zeros_like(ids)
    meta = {"format": "pt", "generator": "make_hf.py folder", "torch": torch.__version__, "family": fam,
            "case": os.path.basename(os.path.normpath(a.out)), "description": "make_hf.py folder --reference-ids",
            "dtype": {"f32": "F32", "f16": "F16", "bf16": "BF16"}[a.dtype],
            "architecture": cfg["architectures"][0]}
    with torch.no_grad():
        if fam == "marian":
            gen, _, why = marian_generate(sd, cfg, ids, ins["attention_mask"], a.max_new_tokens)
            ins["decoder_input_ids"] = torch.tensor([gen[:-1]], dtype=torch.int64)
            meta.update({"max_new_tokens": str(a.max_new_tokens), "stop_reason": why,
                         "forced_eos_token_id": str(cfg["forced_eos_token_id"]),
                         "decoder_start_token_id": str(cfg["decoder_start_token_id"])})
        out = run_reference({"family": fam, "variant": variant}, cfg, sd, ins, check=False)
        if fam == "marian":
            out["generated_ids"] = torch.tensor([gen], dtype=torch.int64)
    write_reference(os.path.join(a.out, "reference.safetensors"), flatten_outputs(ins, out), meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    sub.add_parser("golden", help="write tests/golden/hf/<case>/ (the default)")
    fo = sub.add_parser("folder", help="write one Hub-layout model folder with random weights")
    fo.add_argument("--family", required=True, choices=sorted(DEFAULTS))
    fo.add_argument("--out", required=True)
    fo.add_argument("--tokenizer", help="folder whose tokenizer files are copied; the vocab size comes from them")
    fo.add_argument("--dtype", default="f32", choices=["f32", "f16", "bf16"])
    for k in ("layers", "d-model", "heads", "ffn", "vocab", "positions"):
        fo.add_argument("--" + k, type=int)
    fo.add_argument("--seed", type=int, default=0)
    fo.add_argument("--tf-names", action="store_true", help="bert: LayerNorm.gamma/beta names")
    fo.add_argument("--reference-ids", help="comma-separated token ids: also write reference.safetensors (float64)")
    fo.add_argument("--max-new-tokens", type=int, default=8, help="marian: greedy steps for --reference-ids")
    a = ap.parse_args()
    if a.cmd == "folder":
        make_folder(a)
    else:
        make_golden()


if __name__ == "__main__":
    main()
