#!/usr/bin/python3
"""Golden cases for the engine, computed by PyTorch in float64.

Run with Debian's PyTorch (apt-get install python3-torch):   /usr/bin/python3 tests/golden/make_golden.py
It rewrites tests/golden/*.safetensors. The files are committed; CI never needs PyTorch.

Each file holds many cases. Tensor names are "<case>.<role>.<name>":
    role "in"     inputs (query, key, value, src, tgt, memory, masks as 0/1 or floats)
    role "param"  parameters under their PyTorch state_dict names
    role "out"    expected outputs (float64)
and the metadata entry "cases" is a JSON list of case configs (id, sizes, flags, mask kinds).

The reference. PyTorch 1.13 (Debian 12) returns NaN for a query whose keys are all masked, where PyTorch >= 2.5
(its `_safe_softmax`) and our engine return zero weights and a zero attention output. So the expected values
come from a float64 re-implementation, `ref_*` below, that follows PyTorch's formulas with that one rule, and
every case is ALSO run through the real torch module (nn.MultiheadAttention, nn.TransformerEncoderLayer, ...)
in float64: where PyTorch 1.13 defines the result (no fully-masked row), the two must agree to 1e-12, or this
script stops. The case config records "torch_checked": true for those.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261123)
torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
NEG_INF = float("-inf")


# ----------------------------------------------------------------------------------------------- safetensors
def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().to(torch.float64).contiguous()
        data = struct.pack("<%dd" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Golden:
    def __init__(self, name):
        self.name, self.cases, self.tensors = name, [], {}

    def add(self, case, inputs, params, outputs):
        cid = case["id"]
        for role, group in (("in", inputs), ("param", params), ("out", outputs)):
            for k, v in group.items():
                if v is not None:
                    self.tensors[f"{cid}.{role}.{k}"] = v
        self.cases.append(case)

    def save(self):
        path = os.path.join(HERE, self.name + ".safetensors")
        write_safetensors(path, self.tensors, {"cases": json.dumps(self.cases), "generator": "make_golden.py",
                                               "torch": torch.__version__})
        print(f"{path}: {len(self.cases)} cases, {len(self.tensors)} tensors")
        return len(self.cases)


def close(a, b, what):
    """The reference and the real torch module must agree (float64)."""
    err = (a - b).abs().max().item() if a.numel() else 0.0
    if not err <= 1e-12:
        raise SystemExit(f"reference disagrees with torch on {what}: {err}")


# ------------------------------------------------------------------------------------------- reference math
def safe_softmax(x):
    """softmax, with all-zero rows where every logit is -inf. The masked rows are replaced before the softmax
    too, so autograd gets no NaN through them (a torch.where on NaN would leak NaN into the gradient)."""
    dead = torch.isneginf(x).all(-1, keepdim=True)
    w = torch.softmax(torch.where(dead, torch.zeros_like(x), x), -1)
    return torch.where(dead, torch.zeros_like(w), w)


def ref_attention(q, k, v, add_mask, factor):
    """softmax(q k^T * factor + mask) v, zero rows when every key is masked. q [..., L, E]."""
    scores = q @ k.transpose(-2, -1)
    scaled = scores * factor
    logits = scaled if add_mask is None else scaled + add_mask
    w = safe_softmax(logits)
    return w @ v, w, scores, scaled


def additive(mask, true_means_keep):
    """A bool mask (True = masked, or True = keep for SDPA) or float mask -> float additive mask."""
    if mask is None:
        return None
    if mask.dtype == torch.bool:
        masked = ~mask if true_means_keep else mask
        return torch.zeros(mask.shape).masked_fill(masked, NEG_INF)
    return mask


def causal_mask(L, S):
    return torch.zeros(L, S).masked_fill(torch.ones(L, S, dtype=torch.bool).triu(1), NEG_INF)


def ref_mha(p, query, key, value, H, attn_mask=None, key_padding_mask=None, causal=False, heads=None):
    """Batch-first [B, L, E] multi-head attention with nn.MultiheadAttention's parameters. heads: head ablation
    (scale [H], mean [H, Dh] or None), as Hugging Face's head_mask: the weights of head h times scale[h] after the
    softmax, and the engine's mean ablation: head h's output (before out_proj) plus (1 - scale[h]) * mean[h]."""
    B, L, E = query.shape
    S, Dh = key.shape[1], E // H
    if "in_proj_weight" in p:
        wq, wk, wv = p["in_proj_weight"].chunk(3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = p["in_proj_bias"].chunk(3) if "in_proj_bias" in p else (None, None, None)
    q, k, v = F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)
    split = lambda t, T: t.reshape(B, T, H, Dh).transpose(1, 2)  # [B, H, T, Dh]
    q, k, v = split(q, L), split(k, S), split(v, S)
    mask = torch.zeros(B, H, L, S)
    if attn_mask is not None:
        am = additive(attn_mask, False)
        mask = mask + (am if am.dim() == 2 else am.reshape(B, H, L, S))
    if key_padding_mask is not None:
        mask = mask + additive(key_padding_mask, False).reshape(B, 1, 1, S)
    if causal:
        mask = mask + causal_mask(L, S)
    ctx, w, _, _ = ref_attention(q, k, v, mask, 1.0 / math.sqrt(Dh))
    if heads is not None:
        scale, mean = heads
        w = w * scale.reshape(1, H, 1, 1)  # attn_weights = attn_weights * head_mask
        ctx = w @ v
        if mean is not None:
            ctx = ctx + (1 - scale).reshape(1, H, 1, 1) * mean.reshape(1, H, 1, Dh)
    concat = ctx.transpose(1, 2).reshape(B, L, E)
    return F.linear(concat, p["out_proj.weight"], p.get("out_proj.bias")), w


def ref_ff(p, x, act, pre=""):
    h = F.linear(x, p[pre + "linear1.weight"], p[pre + "linear1.bias"])
    h = F.relu(h) if act == "relu" else F.gelu(h)
    return F.linear(h, p[pre + "linear2.weight"], p[pre + "linear2.bias"])


def sub(p, prefix):
    return {k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}


def ln(p, x, name, eps):
    return F.layer_norm(x, x.shape[-1:], p[name + ".weight"], p[name + ".bias"], eps)


def ref_encoder_layer(p, x, c, mask, kpm, causal, heads=None):
    H, eps, act = c["nhead"], c["layer_norm_eps"], c["activation"]
    sa = lambda y: ref_mha(sub(p, "self_attn."), y, y, y, H, mask, kpm, causal, heads)
    if c["norm_first"]:
        n1 = ln(p, x, "norm1", eps)
        x = x + sa(n1)[0]
        return x + ref_ff(p, ln(p, x, "norm2", eps), act), sa(n1)[1]
    a, w = sa(x)
    x = ln(p, x + a, "norm1", eps)
    return ln(p, x + ref_ff(p, x, act), "norm2", eps), w


def ref_decoder_layer(p, x, mem, c, tmask, tkpm, mmask, mkpm, causal, self_heads=None, cross_heads=None):
    H, eps, act = c["nhead"], c["layer_norm_eps"], c["activation"]
    sa = lambda y: ref_mha(sub(p, "self_attn."), y, y, y, H, tmask, tkpm, causal, self_heads)
    ca = lambda y: ref_mha(sub(p, "multihead_attn."), y, mem, mem, H, mmask, mkpm, False, cross_heads)
    if c["norm_first"]:
        a, w1 = sa(ln(p, x, "norm1", eps))
        x = x + a
        b, w2 = ca(ln(p, x, "norm2", eps))
        x = x + b
        return x + ref_ff(p, ln(p, x, "norm3", eps), act), w1, w2
    a, w1 = sa(x)
    x = ln(p, x + a, "norm1", eps)
    b, w2 = ca(x)
    x = ln(p, x + b, "norm2", eps)
    return ln(p, x + ref_ff(p, x, act), "norm3", eps), w1, w2


# ------------------------------------------------------------------------------------------------- helpers
def rand_bool_mask(shape, p=0.3):
    return torch.rand(shape) < p


def rand_float_mask(shape):
    m = torch.randn(shape)
    return m.masked_fill(torch.rand(shape) < 0.2, NEG_INF)


def perturb(module):
    """Default init has zero biases and unit LayerNorm weights: perturb every parameter so each path counts."""
    with torch.no_grad():
        for prm in module.parameters():
            prm.add_(0.1 * torch.randn(prm.shape))
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def has_fully_masked_row(add_mask):
    return add_mask is not None and bool(torch.isneginf(add_mask).all(-1).any())


def to_layout(x, batch_first, unbatched):
    """Batch-first [B, T, E] as PyTorch receives it: [T, B, E] unless batch_first; [T, E] when unbatched."""
    if unbatched:
        return x[0]
    return x if batch_first else x.transpose(0, 1).contiguous()


def mask_tensor(m):
    return None if m is None else m.to(torch.float64)


def mask_kind(m):
    return None if m is None else ("bool" if m.dtype == torch.bool else "float")


# ---------------------------------------------------------------------------------------------------- SDPA
def make_sdpa():
    g = Golden("sdpa")
    specs = []
    for i in range(24):
        lead = [[], [2], [2, 3], [1, 2]][i % 4]
        L, S = int(torch.randint(1, 9, ())), int(torch.randint(1, 9, ()))
        E, Ev = int(torch.randint(1, 17, ())), int(torch.randint(1, 17, ()))
        mask = ["none", "bool", "float", "causal", "bool_broadcast", "fully_masked"][i % 6]
        scale = ["default", "off", "custom", "temperature"][(i // 6) % 4]
        specs.append((lead, L, S, E, Ev, mask, scale))
    for i, (lead, L, S, E, Ev, mask, scale) in enumerate(specs):
        if not lead and mask == "bool_broadcast":
            lead = [2]
        q, k, v = torch.randn(*lead, L, E), torch.randn(*lead, S, E), torch.randn(*lead, S, Ev)
        attn_mask, is_causal = None, False
        if mask == "bool":
            attn_mask = ~rand_bool_mask([L, S])  # SDPA convention: True = may attend
        elif mask == "float":
            attn_mask = rand_float_mask([*lead, L, S])
        elif mask == "causal":
            is_causal = True
        elif mask == "bool_broadcast":
            attn_mask = ~rand_bool_mask([lead[0]] + [1] * (len(lead) - 1) + [1, S])
        elif mask == "fully_masked":
            attn_mask = ~rand_bool_mask([L, S])
            attn_mask[0, :] = False  # query 0 may attend to nothing
        cfg = {"id": f"sdpa_{i:02d}", "attn_mask": mask_kind(attn_mask), "is_causal": is_causal,
               "scaled": scale != "off", "scale": 0.0, "temperature": 1.0}
        factor = 1.0 / math.sqrt(E)
        if scale == "off":
            factor = 1.0
        elif scale == "custom":
            cfg["scale"] = 0.37
            factor = 0.37
        elif scale == "temperature":
            cfg["temperature"] = 2.5
            factor = factor / 2.5
        add = additive(attn_mask, True)
        if add is not None:
            add = add.expand(*lead, L, S)
        if is_causal:
            add = causal_mask(L, S).expand(*lead, L, S)
        out, w, scores, scaled = ref_attention(q, k, v, add, factor)
        g.add(cfg, {"query": q, "key": k, "value": v, "attn_mask": mask_tensor(attn_mask)}, {},
              {"output": out, "weights": w, "scores": scores, "scaled": scaled})
    return g.save()


# ----------------------------------------------------------------------------------------------------- MHA
def make_mha():
    g = Golden("mha")
    for i in range(24):
        H = [1, 2, 4, 3][i % 4]
        E = H * int(torch.randint(1, 5, ()))
        B, L = int(torch.randint(1, 4, ())), int(torch.randint(1, 8, ()))
        cross = i % 3 != 0
        S = int(torch.randint(1, 8, ())) if cross else L
        kdim = vdim = E
        if i % 6 == 5:
            kdim, vdim = E + 3, E + 1
        bias = i % 7 != 3
        batch_first = i % 2 == 0
        unbatched = i % 8 == 7
        if unbatched:
            B = 1
        need_weights = i % 9 != 4
        average = i % 4 != 1
        mha = nn.MultiheadAttention(E, H, bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first)
        params = perturb(mha)
        query = torch.randn(B, L, E)
        key = query if not cross else torch.randn(B, S, kdim)
        value = query if not cross else torch.randn(B, S, vdim)
        if not cross and kdim != E:
            key, value = torch.randn(B, S, kdim), torch.randn(B, S, vdim)
        kpm = attn_mask = None
        is_causal = False
        kind = ["none", "kpm_bool", "attn_bool", "attn_float", "both", "causal", "attn3d", "kpm_float",
                "fully_masked"][i % 9]
        if kind in ("kpm_bool", "both"):
            kpm = rand_bool_mask([B, S], 0.25)
        if kind == "kpm_float":
            kpm = rand_float_mask([B, S])
        if kind in ("attn_bool", "both"):
            attn_mask = rand_bool_mask([L, S], 0.25)
        if kind == "attn_float":
            attn_mask = rand_float_mask([L, S])
        if kind == "attn3d":
            attn_mask = rand_bool_mask([B * H, L, S], 0.25)
        if kind == "causal":
            is_causal = True
        if kind == "fully_masked":
            kpm = torch.zeros(B, S, dtype=torch.bool)
            kpm[0, :] = True  # batch 0: every key is padding
        if unbatched and kpm is not None:
            kpm_in = kpm[0]
        else:
            kpm_in = kpm
        attn_in = attn_mask
        if unbatched and attn_mask is not None and attn_mask.dim() == 3:
            attn_in = attn_mask  # [H, L, S] for B = 1
        out, w = ref_mha(params, query, key, value, H, attn_mask, kpm, is_causal)
        weights = w.mean(1) if average else w
        # The real module, in float64 (no is_causal argument in 1.13: pass the causal mask explicitly).
        full = torch.zeros(B, H, L, S)
        if attn_mask is not None:
            am = additive(attn_mask, False)
            full = full + (am if am.dim() == 2 else am.reshape(B, H, L, S))
        if kpm is not None:
            full = full + additive(kpm, False).reshape(B, 1, 1, S)
        checked = not has_fully_masked_row(full + (causal_mask(L, S) if is_causal else 0))
        if checked and not (kpm is not None and kpm.dtype != torch.bool and attn_mask is not None):
            tq, tk, tv = (to_layout(t, batch_first, unbatched) for t in (query, key, value))
            tmask = causal_mask(L, S) if is_causal else attn_in
            t_out, t_w = mha(tq, tk, tv, key_padding_mask=kpm_in, attn_mask=tmask, need_weights=True,
                             average_attn_weights=average)
            close(to_layout(out, batch_first, unbatched), t_out, f"mha case {i} output")
            close(weights[0] if unbatched else weights, t_w, f"mha case {i} weights")
        else:
            checked = False
        cfg = {"id": f"mha_{i:02d}", "embed_dim": E, "num_heads": H, "kdim": kdim, "vdim": vdim, "bias": bias,
               "batch_first": batch_first, "unbatched": unbatched, "need_weights": need_weights,
               "average_attn_weights": average, "is_causal": is_causal, "key_padding_mask": mask_kind(kpm),
               "attn_mask": mask_kind(attn_mask), "torch_checked": checked}
        ins = {"query": to_layout(query, batch_first, unbatched), "key": to_layout(key, batch_first, unbatched),
               "value": to_layout(value, batch_first, unbatched), "key_padding_mask": mask_tensor(kpm_in),
               "attn_mask": mask_tensor(attn_in)}
        outs = {"attn_output": to_layout(out, batch_first, unbatched),
                "per_head_weights": w[0] if unbatched else w}
        if need_weights:
            outs["attn_output_weights"] = weights[0] if unbatched else weights
        g.add(cfg, ins, params, outs)
    return g.save()


# ------------------------------------------------------------------------------------------ encoder/decoder
def layer_config(i):
    H = [1, 2, 4, 2][i % 4]
    return {"d_model": H * int(torch.randint(2, 5, ())), "nhead": H, "dim_feedforward": int(torch.randint(4, 24, ())),
            "activation": "relu" if i % 2 == 0 else "gelu", "norm_first": i % 4 >= 2,
            "layer_norm_eps": [1e-5, 1e-6][i % 2 * (i % 3 == 0)], "batch_first": i % 3 != 1}


def make_encoder(name, count, stacked):
    g = Golden(name)
    for i in range(count):
        c = layer_config(i)
        num_layers = (1 + i % 3) if stacked else 0
        use_norm = stacked and i % 2 == 1
        B, L = int(torch.randint(1, 4, ())), int(torch.randint(1, 9, ()))
        unbatched = (not stacked) and i % 7 == 6
        if unbatched:
            B = 1
        layer = nn.TransformerEncoderLayer(c["d_model"], c["nhead"], c["dim_feedforward"], 0.0, c["activation"],
                                           c["layer_norm_eps"], c["batch_first"], c["norm_first"])
        module = layer
        if stacked:
            module = nn.TransformerEncoder(layer, num_layers,
                                           nn.LayerNorm(c["d_model"], eps=c["layer_norm_eps"]) if use_norm else None,
                                           enable_nested_tensor=False)
        params = perturb(module)
        x = torch.randn(B, L, c["d_model"])
        kind = ["none", "kpm", "mask", "causal", "fully_masked", "mask_float"][i % 6]
        mask = kpm = None
        causal = kind == "causal"
        if kind == "kpm":
            kpm = rand_bool_mask([B, L], 0.25)
        if kind == "mask":
            mask = rand_bool_mask([L, L], 0.25)
        if kind == "mask_float":
            mask = rand_float_mask([L, L])
        if kind == "fully_masked":
            kpm = torch.zeros(B, L, dtype=torch.bool)
            kpm[0, :] = True
        h, weights = x, []
        for li in range(max(num_layers, 1)):
            h, w = ref_encoder_layer(sub(params, f"layers.{li}.") if stacked else params, h, c, mask, kpm, causal)
            weights.append(w)
        if use_norm:
            h = ln(params, h, "norm", c["layer_norm_eps"])
        full = torch.zeros(B, 1, L, L)
        if mask is not None:
            full = full + additive(mask, False)
        if kpm is not None:
            full = full + additive(kpm, False).reshape(B, 1, 1, L)
        if causal:
            full = full + causal_mask(L, L)
        checked = not has_fully_masked_row(full)
        if checked:
            module.train()  # dropout is 0; train mode keeps 1.13's fast path (nested tensors) out of the way
            tmask = causal_mask(L, L) if causal else mask
            t_out = module(to_layout(x, c["batch_first"], unbatched), tmask,
                           kpm[0] if (unbatched and kpm is not None) else kpm)
            close(to_layout(h, c["batch_first"], unbatched), t_out, f"{name} case {i}")
        cfg = dict(c, id=f"{name}_{i:02d}", num_layers=num_layers, norm=use_norm, unbatched=unbatched,
                   is_causal=causal, mask=mask_kind(mask), key_padding_mask=mask_kind(kpm), torch_checked=checked)
        ins = {"src": to_layout(x, c["batch_first"], unbatched), "mask": mask_tensor(mask),
               "key_padding_mask": mask_tensor(kpm[0] if (unbatched and kpm is not None) else kpm)}
        outs = {"output": to_layout(h, c["batch_first"], unbatched)}
        for li, w in enumerate(weights):
            outs[(f"layers.{li}." if stacked else "") + "self_attn.weights"] = w
        g.add(cfg, ins, params, outs)
    return g.save()


def make_decoder(name, count, stacked):
    g = Golden(name)
    for i in range(count):
        c = layer_config(i + 1)
        num_layers = (1 + i % 2) if stacked else 0
        use_norm = stacked and i % 2 == 0
        B, L, S = int(torch.randint(1, 4, ())), int(torch.randint(1, 8, ())), int(torch.randint(1, 9, ()))
        unbatched = (not stacked) and i % 7 == 5
        if unbatched:
            B = 1
        layer = nn.TransformerDecoderLayer(c["d_model"], c["nhead"], c["dim_feedforward"], 0.0, c["activation"],
                                           c["layer_norm_eps"], c["batch_first"], c["norm_first"])
        module = layer
        if stacked:
            module = nn.TransformerDecoder(layer, num_layers,
                                           nn.LayerNorm(c["d_model"], eps=c["layer_norm_eps"]) if use_norm else None)
        params = perturb(module)
        x, mem = torch.randn(B, L, c["d_model"]), torch.randn(B, S, c["d_model"])
        kind = ["causal", "none", "tkpm", "mkpm", "memory_mask", "fully_masked", "all"][i % 7]
        tmask = tkpm = mmask = mkpm = None
        causal = kind in ("causal", "all")
        if kind in ("tkpm", "all"):
            tkpm = rand_bool_mask([B, L], 0.25)
        if kind in ("mkpm", "all"):
            mkpm = rand_bool_mask([B, S], 0.25)
        if kind == "memory_mask":
            mmask = rand_float_mask([L, S])
        if kind == "all":
            tmask = rand_bool_mask([L, L], 0.2)
        if kind == "fully_masked":
            mkpm = torch.zeros(B, S, dtype=torch.bool)
            mkpm[0, :] = True  # batch 0: the whole memory is padding, cross-attention sees nothing
        h, w_self, w_cross = x, [], []
        for li in range(max(num_layers, 1)):
            h, w1, w2 = ref_decoder_layer(sub(params, f"layers.{li}.") if stacked else params, h, mem, c, tmask, tkpm,
                                          mmask, mkpm, causal)
            w_self.append(w1)
            w_cross.append(w2)
        if use_norm:
            h = ln(params, h, "norm", c["layer_norm_eps"])
        full_self = torch.zeros(B, 1, L, L)
        full_cross = torch.zeros(B, 1, L, S)
        if tmask is not None:
            full_self = full_self + additive(tmask, False)
        if tkpm is not None:
            full_self = full_self + additive(tkpm, False).reshape(B, 1, 1, L)
        if causal:
            full_self = full_self + causal_mask(L, L)
        if mmask is not None:
            full_cross = full_cross + mmask
        if mkpm is not None:
            full_cross = full_cross + additive(mkpm, False).reshape(B, 1, 1, S)
        checked = not (has_fully_masked_row(full_self) or has_fully_masked_row(full_cross))
        if checked:
            module.train()
            t_mask = tmask
            if causal:
                t_mask = causal_mask(L, L) + (additive(tmask, False) if tmask is not None else 0)
            sq = lambda m: m[0] if (unbatched and m is not None) else m
            t_out = module(to_layout(x, c["batch_first"], unbatched), to_layout(mem, c["batch_first"], unbatched),
                           t_mask, mmask, sq(tkpm), sq(mkpm))
            close(to_layout(h, c["batch_first"], unbatched), t_out, f"{name} case {i}")
        cfg = dict(c, id=f"{name}_{i:02d}", num_layers=num_layers, norm=use_norm, unbatched=unbatched,
                   is_causal=causal, mask=mask_kind(tmask), key_padding_mask=mask_kind(tkpm),
                   memory_mask=mask_kind(mmask), memory_key_padding_mask=mask_kind(mkpm), torch_checked=checked)
        sq = lambda m: mask_tensor(m[0] if (unbatched and m is not None) else m)
        ins = {"src": to_layout(x, c["batch_first"], unbatched), "memory": to_layout(mem, c["batch_first"], unbatched),
               "mask": mask_tensor(tmask), "key_padding_mask": sq(tkpm), "memory_mask": mask_tensor(mmask),
               "memory_key_padding_mask": sq(mkpm)}
        outs = {"output": to_layout(h, c["batch_first"], unbatched)}
        for li in range(len(w_self)):
            pre = f"layers.{li}." if stacked else ""
            outs[pre + "self_attn.weights"] = w_self[li]
            outs[pre + "multihead_attn.weights"] = w_cross[li]
        g.add(cfg, ins, params, outs)
    return g.save()


# ----------------------------------------------------------------------------------------- positional, models
def sinusoidal(length, E):
    pe = torch.zeros(length, E)
    for pos in range(length):
        for j in range(E):
            angle = pos / (10000.0 ** ((j - j % 2) / E))
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def model_modules(cfg):
    """PyTorch modules with a TransformerModel's parameter names (engine/models/model.h), batch-first, dropout 0."""
    E, H, arch = cfg["d_model"], cfg["nhead"], cfg["arch"]
    layer = lambda: nn.TransformerEncoderLayer(E, H, cfg["dim_feedforward"], 0.0, cfg["activation"],
                                               cfg["layer_norm_eps"], True, cfg["norm_first"])
    dlayer = lambda: nn.TransformerDecoderLayer(E, H, cfg["dim_feedforward"], 0.0, cfg["activation"],
                                                cfg["layer_norm_eps"], True, cfg["norm_first"])
    mods = nn.ModuleDict()
    mods["embed"] = nn.Embedding(cfg["vocab_size"], E)
    if cfg["positional"] == "learned":
        mods["pos_embed"] = nn.Embedding(cfg["max_len"], E)
    norm = lambda: nn.LayerNorm(E, eps=cfg["layer_norm_eps"]) if cfg["final_norm"] else None
    stack_name = "decoder" if arch == "decoder" else "encoder"
    mods[stack_name] = nn.TransformerEncoder(layer(), cfg["num_layers"], norm(), enable_nested_tensor=False)
    if arch == "encoder-decoder":
        mods["tgt_embed"] = nn.Embedding(cfg["tgt_vocab_size"], E)
        if cfg["positional"] == "learned":
            mods["tgt_pos_embed"] = nn.Embedding(cfg["max_len"], E)
        mods["decoder"] = nn.TransformerDecoder(dlayer(), cfg["num_decoder_layers"], norm())
    mods["head"] = nn.Linear(E, cfg["head_size"])
    return mods


def model_embed(p, cfg, name, pos_name, ids):
    """embed[ids] * sqrt(E) + positions (sinusoidal, learned or none), from the parameters p."""
    x = p[name + ".weight"][ids] * math.sqrt(cfg["d_model"])
    if cfg["positional"] == "sinusoidal":
        x = x + sinusoidal(cfg["max_len"], cfg["d_model"])[: ids.shape[1]]
    elif cfg["positional"] == "learned":
        x = x + p[pos_name + ".weight"][: ids.shape[1]]
    return x


def model_forward_torch(mods, cfg, ids, tgt=None):
    """A TransformerModel's logits through PyTorch's own modules: padding keys masked (pad_id), causal decoders."""
    p = dict(mods.named_parameters())
    pad_id, L = cfg["pad_id"], ids.shape[1]
    kpm = (ids == pad_id) if pad_id >= 0 else None
    stack_name = "decoder" if cfg["arch"] == "decoder" else "encoder"
    causal = causal_mask(L, L) if cfg["arch"] == "decoder" else None
    hidden = mods[stack_name](model_embed(p, cfg, "embed", "pos_embed", ids), causal, kpm)
    if cfg["arch"] == "encoder-decoder":
        T = tgt.shape[1]
        tkpm = (tgt == pad_id) if pad_id >= 0 else None
        hidden = mods["decoder"](model_embed(p, cfg, "tgt_embed", "tgt_pos_embed", tgt), hidden, causal_mask(T, T), None,
                                 tkpm, kpm)
    return mods["head"](hidden)


def make_models():
    """Whole models: embedding (* sqrt(E)) + positions + stack + linear head, as TransformerModel builds them."""
    g = Golden("model")
    archs = ["encoder", "decoder", "encoder-decoder", "encoder", "decoder", "encoder-decoder"]
    for i, arch in enumerate(archs):
        c = layer_config(i)
        E, V, Vt = c["d_model"], 11 + i, 7 + i
        positional = ["sinusoidal", "learned", "sinusoidal", "none", "sinusoidal", "learned"][i]
        num_layers, num_dec = 1 + i % 2, 1 + (i + 1) % 2
        final_norm = i >= 3
        max_len, head = 16, V if arch != "encoder" else 5
        if arch == "encoder-decoder":
            head = Vt
        B, L, T = 2, int(torch.randint(2, 9, ())), int(torch.randint(2, 7, ()))
        pad_id = 0 if i % 2 == 1 else -1
        cfg = {"id": f"model_{i:02d}", "arch": arch, "vocab_size": V, "tgt_vocab_size": Vt if arch == "encoder-decoder" else 0,
               "num_layers": num_layers, "num_decoder_layers": num_dec, "positional": positional, "max_len": max_len,
               "final_norm": final_norm, "head_size": head, "pad_id": pad_id, "d_model": E, "nhead": c["nhead"],
               "dim_feedforward": c["dim_feedforward"], "activation": c["activation"], "norm_first": c["norm_first"],
               "layer_norm_eps": c["layer_norm_eps"], "torch_checked": True}
        mods = model_modules(cfg)
        params = perturb(mods)
        mods.train()
        ids = torch.randint(1, V, (B, L))
        if pad_id == 0:
            ids[1, -1] = 0  # one padded position in the second sequence
        ins = {"ids": ids.to(torch.float64)}
        tgt = None
        if arch == "encoder-decoder":
            tgt = torch.randint(1, Vt, (B, T))
            ins["tgt"] = tgt.to(torch.float64)
        g.add(cfg, ins, params, {"logits": model_forward_torch(mods, cfg, ids, tgt)})
    return g.save()


# ------------------------------------------------------------------------------------------- head ablation
def model_forward_ref(p, cfg, ids, tgt, masks):
    """A TransformerModel's forward in the reference functions, with head ablation. masks: {name: (scale [N, H],
    mean [N, H, Dh] or None)} by Hugging Face's names: head_mask (the encoder or the only stack),
    decoder_head_mask, cross_attn_head_mask. Returns the logits and every layer's attention weights by Trace name."""
    pad_id, arch = cfg["pad_id"], cfg["arch"]
    layer = lambda m, li: None if m is None else (m[0][li], None if m[1] is None else m[1][li])
    kpm = (ids == pad_id) if pad_id >= 0 else None
    stack_name = "decoder" if arch == "decoder" else "encoder"
    h, weights = model_embed(p, cfg, "embed", "pos_embed", ids), {}
    for li in range(cfg["num_layers"]):
        h, w = ref_encoder_layer(sub(p, f"{stack_name}.layers.{li}."), h, cfg, None, kpm, arch == "decoder",
                                 layer(masks.get("head_mask"), li))
        weights[f"{stack_name}.layers.{li}.self_attn.weights"] = w
    if cfg["final_norm"]:
        h = ln(p, h, f"{stack_name}.norm", cfg["layer_norm_eps"])
    if arch == "encoder-decoder":
        mem, h = h, model_embed(p, cfg, "tgt_embed", "tgt_pos_embed", tgt)
        tkpm = (tgt == pad_id) if pad_id >= 0 else None
        for li in range(cfg["num_decoder_layers"]):
            h, w1, w2 = ref_decoder_layer(sub(p, f"decoder.layers.{li}."), h, mem, cfg, None, tkpm, None, kpm, True,
                                          layer(masks.get("decoder_head_mask"), li),
                                          layer(masks.get("cross_attn_head_mask"), li))
            weights[f"decoder.layers.{li}.self_attn.weights"] = w1
            weights[f"decoder.layers.{li}.multihead_attn.weights"] = w2
        if cfg["final_norm"]:
            h = ln(p, h, "decoder.norm", cfg["layer_norm_eps"])
    return F.linear(h, p["head.weight"], p["head.bias"]), weights


def fold_head_ablation(params, prefix, H, scale, mean):
    """The same ablation written into out_proj, so that PyTorch's own modules compute it: output = sum over heads h of
    ctx_h W_h^T + b, so scaling head h's weights by m scales W_h's columns by m, and the mean adds (1 - m) W_h mean_h
    to the bias."""
    W, b = params[prefix + "out_proj.weight"].clone(), params[prefix + "out_proj.bias"].clone()
    Dh = W.shape[1] // H
    for hd in range(H):
        cols = slice(hd * Dh, (hd + 1) * Dh)
        if mean is not None:
            b = b + (1 - scale[hd]) * (W[:, cols] @ mean[hd])
        W[:, cols] = W[:, cols] * scale[hd]
    params[prefix + "out_proj.weight"], params[prefix + "out_proj.bias"] = W, b


def make_head_mask_models():
    """Whole models with heads ablated (model_head_mask.safetensors): head masks with zeros and a fraction, some with
    the means of mean ablation, for each architecture; the reference checked against PyTorch's modules with the
    ablation folded into each out_proj (fold_head_ablation)."""
    saved = torch.get_rng_state()
    torch.manual_seed(20260513)  # its own numbers: the other files do not move when this one changes
    g = Golden("model_head_mask")
    specs = [  # arch, positional, final_norm, pad_id, norm_first, masks with a mean, mask given as [H] (every layer)
        ("encoder", "sinusoidal", False, 0, False, (), False),
        ("decoder", "learned", True, 0, True, ("head_mask",), False),
        ("encoder-decoder", "sinusoidal", False, -1, False, ("decoder_head_mask",), False),
        ("encoder-decoder", "learned", True, 0, True, ("head_mask", "cross_attn_head_mask"), False),
        ("decoder", "none", False, -1, False, (), True),
    ]
    for i, (arch, positional, final_norm, pad_id, norm_first, with_mean, per_head) in enumerate(specs):
        H = [2, 4, 4, 2, 4][i]
        E = H * int(torch.randint(3, 6, ()))
        V, Vt = 13 + i, 9 + i
        cfg = {"id": f"head_mask_{i:02d}", "arch": arch, "vocab_size": V,
               "tgt_vocab_size": Vt if arch == "encoder-decoder" else 0, "num_layers": 2, "num_decoder_layers": 2,
               "positional": positional, "max_len": 16, "final_norm": final_norm,
               "head_size": 5 if arch == "encoder" else (Vt if arch == "encoder-decoder" else V), "pad_id": pad_id,
               "d_model": E, "nhead": H, "dim_feedforward": int(torch.randint(8, 24, ())),
               "activation": ["relu", "gelu"][i % 2], "norm_first": norm_first, "layer_norm_eps": 1e-5,
               "torch_checked": True}
        mods = model_modules(cfg)
        params = perturb(mods)
        B, L, T = 2, int(torch.randint(3, 9, ())), int(torch.randint(3, 7, ()))
        ids = torch.randint(1, V, (B, L))
        if pad_id == 0:
            ids[1, -1] = 0
        tgt = torch.randint(1, Vt, (B, T)) if arch == "encoder-decoder" else None
        names = ["head_mask"] + (["decoder_head_mask", "cross_attn_head_mask"] if arch == "encoder-decoder" else [])
        masks, ins = {}, {"ids": ids.to(torch.float64)}
        if tgt is not None:
            ins["tgt"] = tgt.to(torch.float64)
        for n in names:
            N = cfg["num_layers"] if n == "head_mask" else cfg["num_decoder_layers"]
            scale = torch.ones(N, H)
            scale[0, 0] = 0.0          # a head removed in the first layer,
            scale[N - 1, H - 1] = 0.0  # one in the last,
            scale[N - 1, 0] = 0.25     # and one scaled down
            if per_head:               # one row for every layer (HF's [H] form)
                scale = scale[N - 1].expand(N, H).clone()
            mean = torch.randn(N, H, E // H) if n in with_mean else None
            masks[n] = (scale, mean)
            ins[n] = scale[0] if per_head else scale
            if mean is not None:
                ins[n.replace("mask", "mean")] = mean
        logits, weights = model_forward_ref(params, cfg, ids, tgt, masks)
        # PyTorch's modules with the ablation folded into out_proj give the same logits.
        folded = dict(params)
        for n, (scale, mean) in masks.items():
            stack = {"head_mask": "decoder" if arch == "decoder" else "encoder"}.get(n, "decoder")
            block = "multihead_attn." if n == "cross_attn_head_mask" else "self_attn."
            for li in range(scale.shape[0]):
                fold_head_ablation(folded, f"{stack}.layers.{li}.{block}", H, scale[li],
                                   None if mean is None else mean[li])
        mods.load_state_dict(folded)
        mods.train()
        close(logits, model_forward_torch(mods, cfg, ids, tgt), f"{cfg['id']} (ablation folded into out_proj)")
        # Without ablation the reference is PyTorch's model again.
        mods.load_state_dict(params)
        close(model_forward_ref(params, cfg, ids, tgt, {})[0], model_forward_torch(mods, cfg, ids, tgt), cfg["id"])
        for n, (scale, _) in masks.items():  # removed heads have zero weights, as HF returns them
            stack = {"head_mask": "decoder" if arch == "decoder" else "encoder"}.get(n, "decoder")
            block = "multihead_attn" if n == "cross_attn_head_mask" else "self_attn"
            for li in range(scale.shape[0]):
                w = weights[f"{stack}.layers.{li}.{block}.weights"]
                assert all((w[:, hd] == 0).all() for hd in range(H) if scale[li, hd] == 0)
        cfg["masks"] = names
        cfg["means"] = [n for n in names if n in with_mean]
        cfg["per_head"] = per_head
        g.add(cfg, ins, params, {"logits": logits, **weights})
    torch.set_rng_state(saved)
    return g.save()


def make_positional():
    g = Golden("positional")
    for i, (length, E) in enumerate([(1, 2), (10, 16), (50, 64), (7, 5), (128, 512)]):
        g.add({"id": f"pe_{i:02d}", "length": length, "d_model": E}, {}, {}, {"pe": sinusoidal(length, E)})
    return g.save()


def make_ops():
    """LayerNorm and the two activations on values that reach into the tails."""
    g = Golden("ops")
    for i, (N, E, eps) in enumerate([(3, 4, 1e-5), (5, 33, 1e-5), (2, 1, 1e-5), (4, 64, 1e-6)]):
        x = torch.randn(N, E) * 3 + 1
        w, b = torch.randn(E), torch.randn(E)
        g.add({"id": f"layernorm_{i:02d}", "eps": eps}, {"x": x}, {"weight": w, "bias": b},
              {"y": F.layer_norm(x, (E,), w, b, eps)})
    x = torch.linspace(-8, 8, 161)
    g.add({"id": "activations_00"}, {"x": x}, {}, {"relu": F.relu(x), "gelu": F.gelu(x)})
    return g.save()


# ---------------------------------------------------------------------------------------------- gradients
def grads_of(tensors):
    return {k: (v.grad if v.grad is not None else torch.zeros_like(v)) for k, v in tensors.items()}


def leaf_params(params):
    return {k: v.clone().requires_grad_(True) for k, v in params.items()}


def make_mha_grads():
    """d(sum(G * attn_output)) for inputs and every parameter of nn.MultiheadAttention (batch-first)."""
    g = Golden("mha_grad")
    for i in range(8):
        H = [1, 2, 4, 2][i % 4]
        E = H * int(torch.randint(1, 4, ()))
        B, L = int(torch.randint(1, 4, ())), int(torch.randint(1, 7, ()))
        self_attn = i % 2 == 0
        S = L if self_attn else int(torch.randint(1, 7, ()))
        kdim = vdim = E
        if i == 5:
            kdim, vdim = E + 2, E + 1
        bias = i != 3
        mha = nn.MultiheadAttention(E, H, bias=bias, kdim=kdim, vdim=vdim, batch_first=True)
        params = leaf_params(perturb(mha))
        query = torch.randn(B, L, E, requires_grad=True)
        key = query if self_attn else torch.randn(B, S, kdim, requires_grad=True)
        value = query if self_attn else torch.randn(B, S, vdim, requires_grad=True)
        kind = ["none", "kpm", "causal", "attn_float", "fully_masked", "both", "attn3d", "kpm"][i]
        kpm = attn_mask = None
        if kind in ("kpm", "both"):
            kpm = rand_bool_mask([B, S], 0.25)
        if kind == "fully_masked":
            kpm = torch.zeros(B, S, dtype=torch.bool)
            kpm[0, :] = True
        if kind == "attn_float":
            attn_mask = rand_float_mask([L, S])
        if kind == "both":
            attn_mask = rand_bool_mask([L, S], 0.25)
        if kind == "attn3d":
            attn_mask = rand_bool_mask([B * H, L, S], 0.25)
        out, _ = ref_mha(params, query, key, value, H, attn_mask, kpm, kind == "causal")
        G = torch.randn(B, L, E)
        (out * G).sum().backward()
        full = torch.zeros(B, H, L, S)
        if attn_mask is not None:
            am = additive(attn_mask, False)
            full = full + (am if am.dim() == 2 else am.reshape(B, H, L, S))
        if kpm is not None:
            full = full + additive(kpm, False).reshape(B, 1, 1, S)
        if kind == "causal":
            full = full + causal_mask(L, S)
        if not has_fully_masked_row(full):
            # The real module's autograd gives the same gradients.
            tq = query.detach().clone().requires_grad_(True)
            tk = tq if self_attn else key.detach().clone().requires_grad_(True)
            tv = tq if self_attn else value.detach().clone().requires_grad_(True)
            mha.load_state_dict({k: v.detach() for k, v in params.items()})
            mha.zero_grad()
            tmask = causal_mask(L, S) if kind == "causal" else attn_mask
            t_out, _ = mha(tq, tk, tv, key_padding_mask=kpm, attn_mask=tmask)
            (t_out * G).sum().backward()
            close(query.grad, tq.grad, f"mha grad case {i} dquery")
            for k, v in mha.named_parameters():
                close(params[k].grad, v.grad, f"mha grad case {i} {k}")
        outs = {"attn_output": out.detach(), "G": G, "dquery": query.grad}
        if not self_attn:
            outs["dkey"], outs["dvalue"] = key.grad, value.grad
        for k, v in grads_of(params).items():
            outs["grad." + k] = v
        cfg = {"id": f"mha_grad_{i:02d}", "embed_dim": E, "num_heads": H, "kdim": kdim, "vdim": vdim, "bias": bias,
               "self_attention": self_attn, "is_causal": kind == "causal", "key_padding_mask": mask_kind(kpm),
               "attn_mask": mask_kind(attn_mask)}
        ins = {"query": query.detach(), "key_padding_mask": mask_tensor(kpm), "attn_mask": mask_tensor(attn_mask)}
        if not self_attn:
            ins["key"], ins["value"] = key.detach(), value.detach()
        g.add(cfg, ins, {k: v.detach() for k, v in params.items()}, outs)
    return g.save()


def make_layer_grads(name, decoder):
    """d(sum(G * output)) of encoder / decoder layers for the input (and memory) and every parameter."""
    g = Golden(name)
    for i in range(8):
        c = layer_config(i)
        c["batch_first"] = True
        B, L, S = int(torch.randint(1, 4, ())), int(torch.randint(1, 7, ())), int(torch.randint(1, 7, ()))
        cls = nn.TransformerDecoderLayer if decoder else nn.TransformerEncoderLayer
        layer = cls(c["d_model"], c["nhead"], c["dim_feedforward"], 0.0, c["activation"], c["layer_norm_eps"], True,
                    c["norm_first"])
        params = leaf_params(perturb(layer))
        x = torch.randn(B, L, c["d_model"], requires_grad=True)
        mem = torch.randn(B, S, c["d_model"], requires_grad=True)
        kind = ["none", "causal", "kpm", "fully_masked"][i % 4]
        causal = kind == "causal" or decoder
        kpm = rand_bool_mask([B, L], 0.25) if kind == "kpm" else None
        mkpm = None
        if kind == "fully_masked":
            if decoder:
                mkpm = torch.zeros(B, S, dtype=torch.bool)
                mkpm[0, :] = True
            else:
                kpm = torch.zeros(B, L, dtype=torch.bool)
                kpm[0, :] = True
        if decoder:
            out, _, _ = ref_decoder_layer(params, x, mem, c, None, kpm, None, mkpm, causal)
        else:
            out, _ = ref_encoder_layer(params, x, c, None, kpm, causal)
        G = torch.randn(out.shape)
        (out * G).sum().backward()
        self_full = torch.zeros(B, 1, L, L) + (causal_mask(L, L) if causal else 0)
        if kpm is not None:
            self_full = self_full + additive(kpm, False).reshape(B, 1, 1, L)
        if kind != "fully_masked" and not has_fully_masked_row(self_full):
            # The real module's autograd gives the same gradients.
            layer.load_state_dict({k: v.detach() for k, v in params.items()})
            layer.train()
            layer.zero_grad()
            tx = x.detach().clone().requires_grad_(True)
            tm = mem.detach().clone().requires_grad_(True)
            cm = causal_mask(L, L) if causal else None
            t_out = layer(tx, tm, cm, None, kpm, None) if decoder else layer(tx, cm, kpm)
            (t_out * G).sum().backward()
            close(x.grad, tx.grad, f"{name} case {i} dsrc")
            for k, v in layer.named_parameters():
                close(params[k].grad, v.grad, f"{name} case {i} {k}")
        outs = {"output": out.detach(), "G": G, "dsrc": x.grad}
        if decoder:
            outs["dmemory"] = mem.grad
        for k, v in grads_of(params).items():
            outs["grad." + k] = v
        cfg = dict(c, id=f"{name}_{i:02d}", is_causal=causal, key_padding_mask=mask_kind(kpm),
                   memory_key_padding_mask=mask_kind(mkpm), mask=None, memory_mask=None, num_layers=0, norm=False)
        ins = {"src": x.detach(), "key_padding_mask": mask_tensor(kpm), "memory_key_padding_mask": mask_tensor(mkpm)}
        if decoder:
            ins["memory"] = mem.detach()
        g.add(cfg, ins, {k: v.detach() for k, v in params.items()}, outs)
    return g.save()


class TorchModel(nn.Module):
    """TransformerModel in PyTorch: the same submodule names, so state_dicts match name for name."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        E = c["d_model"]
        layer = lambda: nn.TransformerEncoderLayer(E, c["nhead"], c["dim_feedforward"], c.get("dropout", 0.0),
                                                   c["activation"], c["layer_norm_eps"], True, c["norm_first"])
        dlayer = lambda: nn.TransformerDecoderLayer(E, c["nhead"], c["dim_feedforward"], c.get("dropout", 0.0),
                                                    c["activation"], c["layer_norm_eps"], True, c["norm_first"])
        norm = lambda: nn.LayerNorm(E, eps=c["layer_norm_eps"]) if c["final_norm"] else None
        self.embed = nn.Embedding(c["vocab_size"], E)
        if c["positional"] == "learned":
            self.pos_embed = nn.Embedding(c["max_len"], E)
        if c["arch"] == "decoder":
            self.decoder = nn.TransformerEncoder(layer(), c["num_layers"], norm(), enable_nested_tensor=False)
        else:
            self.encoder = nn.TransformerEncoder(layer(), c["num_layers"], norm(), enable_nested_tensor=False)
        if c["arch"] == "encoder-decoder":
            self.tgt_embed = nn.Embedding(c["tgt_vocab_size"], E)
            if c["positional"] == "learned":
                self.tgt_pos_embed = nn.Embedding(c["max_len"], E)
            self.decoder = nn.TransformerDecoder(dlayer(), c["num_decoder_layers"], norm())
        self.head = nn.Linear(E, c["head_size"])

    def embed_ids(self, table, pos, ids):
        E = self.c["d_model"]
        x = table(ids) * (math.sqrt(E) if self.c.get("scale_embedding", True) else 1.0)
        if self.c["positional"] == "sinusoidal":
            x = x + sinusoidal(self.c["max_len"], E)[: ids.shape[1]]
        elif self.c["positional"] == "learned":
            x = x + pos.weight[: ids.shape[1]]
        return x

    def forward(self, ids, tgt=None):
        pad = self.c["pad_id"]
        kpm = (ids == pad) if pad >= 0 else None
        L = ids.shape[1]
        x = self.embed_ids(self.embed, getattr(self, "pos_embed", None), ids)
        if self.c["arch"] == "decoder":
            return self.head(self.decoder(x, causal_mask(L, L), kpm))
        memory = self.encoder(x, causal_mask(L, L) if self.c.get("causal") else None, kpm)
        if self.c["arch"] == "encoder":
            return self.head(memory)
        T = tgt.shape[1]
        tkpm = (tgt == pad) if pad >= 0 else None
        y = self.embed_ids(self.tgt_embed, getattr(self, "tgt_pos_embed", None), tgt)
        return self.head(self.decoder(y, memory, causal_mask(T, T), None, tkpm, kpm))


def make_model_grads():
    """Cross-entropy (ignore_index = pad, label smoothing) of whole models: the loss and every parameter's grad."""
    g = Golden("model_grad")
    for i, arch in enumerate(["encoder", "decoder", "encoder-decoder", "encoder-decoder"]):
        c = layer_config(i)
        c.update(arch=arch, vocab_size=9, tgt_vocab_size=8 if arch == "encoder-decoder" else 0, num_layers=1 + i % 2,
                 num_decoder_layers=2 - i % 2, positional=["sinusoidal", "learned"][i % 2], max_len=10,
                 final_norm=i % 2 == 1, pad_id=0, batch_first=True)
        c["head_size"] = 8 if arch == "encoder-decoder" else 9
        model = TorchModel(c)
        perturb(model)
        model.train()
        B, L, T = 3, 6, 5
        ids = torch.randint(1, 9, (B, L))
        ids[2, -2:] = 0
        tgt = torch.randint(1, 8, (B, T)) if arch == "encoder-decoder" else None
        logits = model(ids, tgt)
        targets = torch.randint(1, c["head_size"], logits.shape[:2])
        targets[0, -1] = 0  # ignored
        smoothing = [0.0, 0.1][i % 2]
        loss = F.cross_entropy(logits.reshape(-1, c["head_size"]), targets.reshape(-1), ignore_index=0,
                               label_smoothing=smoothing)
        loss.backward()
        outs = {"loss": loss.detach().reshape(1), "logits": logits.detach()}
        for k, v in model.named_parameters():
            outs["grad." + k] = v.grad
        cfg = {k: v for k, v in c.items() if k != "batch_first"}
        cfg.update(id=f"model_grad_{i:02d}", label_smoothing=smoothing, ignore_index=0)
        ins = {"ids": ids.double(), "targets": targets.double()}
        if tgt is not None:
            ins["tgt"] = tgt.double()
        g.add(cfg, ins, {k: v.detach() for k, v in model.state_dict().items()}, outs)
    return g.save()


# -------------------------------------------------------------------------------------------- optimizers
def lr_at(step, c):
    """The engine's schedule: linear warmup to lr, then cosine or linear decay to lr * min_lr_ratio."""
    lr, warm, total, floor = c["lr"], c["warmup"], c["total_steps"], c["lr"] * c["min_lr_ratio"]
    if step < warm:
        return lr * (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    if c["schedule"] == "cosine":
        return floor + (lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    if c["schedule"] == "linear":
        return lr + (floor - lr) * progress
    return lr


def optimizer_case(cfg, make_opt, state_key=None):
    """One optimizer case: parameters p [4, 3] and q [5] from randn, cfg["steps"] steps on random gradients (step k's
    p gradient scaled by k + 1), clipped to cfg["clip_norm"] when it is > 0, the learning rate following lr_at.
    Returns the inputs (start values, gradients) and the outputs after each step (values, the clipping's norm, and
    the optimizer's per-parameter state `state_key` of p when given)."""
    p0 = torch.randn(4, 3)
    q0 = torch.randn(5)
    p, q = p0.clone().requires_grad_(True), q0.clone().requires_grad_(True)
    opt = make_opt([p, q])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(s, cfg) / cfg["lr"])
    ins, outs = {"p": p0, "q": q0}, {}
    for step in range(cfg["steps"]):
        gp, gq = torch.randn(4, 3) * (step + 1), torch.randn(5)
        ins[f"grad_p.{step}"], ins[f"grad_q.{step}"] = gp, gq
        p.grad, q.grad = gp.clone(), gq.clone()
        if cfg["clip_norm"] > 0:
            norm = torch.nn.utils.clip_grad_norm_([p, q], cfg["clip_norm"])
            outs[f"norm.{step}"] = norm.reshape(1)
        opt.step()
        sched.step()
        outs[f"p.{step}"], outs[f"q.{step}"] = p.detach().clone(), q.detach().clone()
        if state_key:
            outs[f"buf_p.{step}"] = opt.state[p][state_key].clone()
    return ins, outs


def make_optim():
    """torch.optim.Adam (L2 weight decay) and AdamW (decoupled) on fixed gradient sequences, with clipping."""
    g = Golden("optim")
    for i, (kind, wd, clip) in enumerate([("adam", 0.0, 0.0), ("adam", 0.1, 0.0), ("adamw", 0.01, 0.0),
                                          ("adamw", 0.1, 0.5)]):
        cfg = {"id": f"optim_{i:02d}", "optimizer": kind, "lr": 0.01, "beta1": 0.9, "beta2": 0.98, "eps": 1e-8,
               "weight_decay": wd, "clip_norm": clip, "warmup": 2, "total_steps": 6, "schedule": "cosine",
               "min_lr_ratio": 0.1, "steps": 6}
        Opt = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        ins, outs = optimizer_case(cfg, lambda ps: Opt(ps, lr=cfg["lr"], betas=(0.9, 0.98), eps=1e-8, weight_decay=wd))
        g.add(cfg, ins, {}, outs)
    return g.save()


def make_sgd():
    """torch.optim.SGD: plain, with momentum, dampening, Nesterov, L2 weight decay and clipping (its own seed, so
    the files made before it keep their numbers)."""
    torch.manual_seed(20261202)
    g = Golden("optim_sgd")
    cases = [(0.0, 0.0, False, 0.0, 0.0), (0.9, 0.0, False, 0.0, 0.0), (0.9, 0.0, True, 0.01, 0.0),
             (0.5, 0.1, False, 0.1, 0.5)]
    for i, (momentum, dampening, nesterov, wd, clip) in enumerate(cases):
        cfg = {"id": f"sgd_{i:02d}", "optimizer": "sgd", "lr": 0.05, "momentum": momentum, "dampening": dampening,
               "nesterov": nesterov, "weight_decay": wd, "clip_norm": clip, "warmup": 2, "total_steps": 6,
               "schedule": "linear", "min_lr_ratio": 0.2, "steps": 6}
        ins, outs = optimizer_case(cfg, lambda ps: torch.optim.SGD(ps, lr=cfg["lr"], momentum=momentum, dampening=dampening,
                                                                   nesterov=nesterov, weight_decay=wd),
                                   "momentum_buffer" if momentum > 0 else None)
        g.add(cfg, ins, {}, outs)
    return g.save()


def reversal_batch(B, max_len, vocab):
    """src: random tokens 3..vocab-1 (length 2..max_len, padded with 0); tgt_in: BOS(1) + reversed;
    tgt_out: reversed + EOS(2)."""
    src = torch.zeros(B, max_len, dtype=torch.long)
    tin = torch.zeros(B, max_len + 1, dtype=torch.long)
    tout = torch.zeros(B, max_len + 1, dtype=torch.long)
    for b in range(B):
        n = int(torch.randint(2, max_len + 1, ()))
        seq = torch.randint(3, vocab, (n,))
        src[b, :n] = seq
        tin[b, 0] = 1
        tin[b, 1:n + 1] = seq.flip(0)
        tout[b, :n] = seq.flip(0)
        tout[b, n] = 2
    return src, tin, tout


def make_training():
    """A small encoder-decoder trained 20 steps on string reversal in float64: AdamW, clipping, warmup + cosine,
    label smoothing, padding ignored. The engine, from the same initial weights and batches, must match every
    step's loss."""
    g = Golden("train")
    c = {"arch": "encoder-decoder", "vocab_size": 12, "tgt_vocab_size": 12, "num_layers": 1, "num_decoder_layers": 1,
         "d_model": 16, "nhead": 2, "dim_feedforward": 32, "activation": "relu", "norm_first": False,
         "layer_norm_eps": 1e-5, "positional": "sinusoidal", "max_len": 16, "final_norm": False, "head_size": 12,
         "pad_id": 0, "dropout": 0.0}
    t = {"optimizer": "adamw", "lr": 3e-3, "beta1": 0.9, "beta2": 0.98, "eps": 1e-9, "weight_decay": 0.01,
         "clip_norm": 1.0, "warmup": 5, "total_steps": 20, "schedule": "cosine", "min_lr_ratio": 0.1,
         "label_smoothing": 0.1, "ignore_index": 0, "steps": 20, "batch": 8}
    model = TorchModel(c)
    model.train()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(model.parameters(), lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"],
                            weight_decay=t["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(s, t) / t["lr"])
    ins, outs = {}, {}
    for step in range(t["steps"]):
        src, tin, tout = reversal_batch(t["batch"], 6, c["vocab_size"])
        ins[f"src.{step}"], ins[f"tgt_in.{step}"], ins[f"tgt_out.{step}"] = src.double(), tin.double(), tout.double()
        opt.zero_grad()
        logits = model(src, tin)
        loss = F.cross_entropy(logits.reshape(-1, 12), tout.reshape(-1), ignore_index=0,
                               label_smoothing=t["label_smoothing"])
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), t["clip_norm"])
        outs[f"loss.{step}"], outs[f"grad_norm.{step}"] = loss.detach().reshape(1), norm.reshape(1)
        outs[f"lr.{step}"] = torch.tensor([opt.param_groups[0]["lr"]])
        opt.step()
        sched.step()
    g.add(dict(c, **t, id="train_00"), ins, init, outs)
    return g.save()


if __name__ == "__main__":
    total = 0
    total += make_sdpa()
    total += make_mha()
    total += make_encoder("encoder_layer", 12, False)
    total += make_decoder("decoder_layer", 12, False)
    total += make_encoder("encoder_stack", 6, True)
    total += make_decoder("decoder_stack", 6, True)
    total += make_models()
    total += make_positional()
    total += make_ops()
    total += make_mha_grads()
    total += make_layer_grads("encoder_layer_grad", False)
    total += make_layer_grads("decoder_layer_grad", True)
    total += make_model_grads()
    total += make_optim()
    total += make_training()
    total += make_sgd()
    total += make_head_mask_models()
    print(f"{total} cases in all")
