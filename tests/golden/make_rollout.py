#!/usr/bin/python3
"""Golden cases for attention rollout and attention flow (engine/models/rollout.h), computed in float64.

Run with Debian's packages (apt-get install python3-torch python3-networkx):
    /usr/bin/python3 tests/golden/make_rollout.py
It rewrites tests/golden/rollout.safetensors. The file is committed; CI needs neither PyTorch nor networkx.

Abnar & Zuidema (2020), "Quantifying Attention Flow in Transformers", as their code computes it: the heads averaged
(or one head), the residual added (A' = (1 - r)·Ā + r·I, rows renormalized), rollout as the product of the A' of
the layers, flow as networkx's maximum flow through the graph of the layers, each row divided by its sum. The
flows are computed twice, by networkx's Edmonds-Karp and by its preflow-push, which must agree to 1e-9.

Each case: "<id>.in.attentions" [L, H, T, T] ([L, 1, H, T, T] when the case is "batched", the shape a model's
forward returns), "<id>.out.rollout" [L, T, T], "<id>.out.flow" [T, T]; the metadata "cases" lists each case's
options (residual, head, layer, normalize) as the engine takes them.
"""
import json

import networkx as nx
import torch

from make_golden import HERE, write_safetensors

torch.manual_seed(20200502)  # the paper's arXiv date


def random_attention(layers, heads, tokens, causal, sharpness, zero_rows=(), zero_frac=0.0):
    """Softmax rows of random logits [L, H, T, T], float32-exact. zero_rows: (layer, token) queries whose keys
    are all masked (an all-zero row, as the engine returns them); zero_frac: that share of weights set to 0."""
    logits = torch.randn(layers, heads, tokens, tokens) * sharpness
    if causal:
        logits = logits.masked_fill(torch.ones(tokens, tokens, dtype=torch.bool).triu(1), float("-inf"))
    w = torch.softmax(logits, -1)
    if zero_frac:
        w = w * (torch.rand(w.shape) >= zero_frac)
        w = w / w.sum(-1, keepdim=True).clamp_min(1e-30)
    for layer, token in zero_rows:
        w[layer, :, token, :] = 0
    return w.float().double()  # the engine reads float32


def residual_attention(att, residual, head):
    """A'_l [L, T, T]: the mean of the heads (or one head), (1 - r)·Ā + r·I, rows with a positive sum renormalized."""
    a = att.mean(1) if head < 0 else att[:, head]
    a = (1 - residual) * a + residual * torch.eye(a.shape[-1])
    sums = a.sum(-1, keepdim=True)
    return torch.where(sums > 0, a / torch.where(sums > 0, sums, torch.ones_like(sums)), a)


def rollout(a):
    """R_1 = A'_1, R_l = A'_l R_{l-1}."""
    out = [a[0]]
    for layer in range(1, a.shape[0]):
        out.append(a[layer] @ out[-1])
    return torch.stack(out)


def flow(a, m, normalize):
    """flow[i, j] = the maximum flow from node (0, j) to node (m, i) through A'_1..A'_m, rows divided by their sum."""
    T = a.shape[-1]
    g = nx.DiGraph()
    g.add_nodes_from((layer, k) for layer in range(m + 1) for k in range(T))
    for layer in range(1, m + 1):
        for i in range(T):
            for j in range(T):
                if a[layer - 1, i, j] > 0:
                    g.add_edge((layer - 1, j), (layer, i), capacity=float(a[layer - 1, i, j]))
    out = torch.zeros(T, T)
    for i in range(T):
        for j in range(T):
            ek = nx.maximum_flow_value(g, (0, j), (m, i), flow_func=nx.algorithms.flow.edmonds_karp)
            pp = nx.maximum_flow_value(g, (0, j), (m, i), flow_func=nx.algorithms.flow.preflow_push)
            if abs(ek - pp) > 1e-9:
                raise SystemExit(f"Edmonds-Karp {ek} and preflow-push {pp} disagree on flow {j} -> {i}")
            out[i, j] = ek
    if normalize:
        sums = out.sum(-1, keepdim=True)
        out = torch.where(sums > 0, out / torch.where(sums > 0, sums, torch.ones_like(sums)), out)
    return out


CASES = [
    # id, layers, heads, tokens, causal, sharpness, options, extra
    ("bidir_small", 3, 2, 5, False, 1.0, {}, {}),
    ("causal_small", 4, 3, 7, True, 1.5, {}, {}),
    ("bidir_batched", 2, 4, 6, False, 2.0, {}, {"batched": True}),
    ("one_head", 3, 4, 6, False, 1.0, {"head": 2}, {}),
    ("raw_product", 3, 2, 6, True, 1.0, {"residual": 0.0}, {}),
    ("residual_0_3", 4, 2, 6, False, 3.0, {"residual": 0.3}, {}),
    ("middle_layer", 5, 2, 6, False, 1.0, {"layer": 2}, {}),
    ("first_layer", 3, 2, 5, True, 1.0, {"layer": 0}, {}),
    ("not_normalized", 3, 3, 6, False, 2.0, {"normalize": False}, {}),
    ("masked_rows", 3, 2, 6, False, 1.0, {}, {"zero_rows": [(0, 1), (2, 4)]}),
    ("masked_rows_raw", 3, 2, 6, False, 1.0, {"residual": 0.0}, {"zero_rows": [(1, 3)]}),
    ("sparse", 4, 2, 8, False, 1.0, {}, {"zero_frac": 0.6}),
    ("sparse_raw", 3, 1, 8, False, 1.0, {"residual": 0.0}, {"zero_frac": 0.7}),
    ("one_token", 2, 2, 1, False, 1.0, {}, {}),
    ("bidir_deep", 6, 4, 12, False, 2.0, {}, {}),
    ("causal_deep", 12, 2, 10, True, 2.0, {}, {"batched": True}),
]


def main():
    tensors, cases = {}, []
    for cid, L, H, T, causal, sharpness, options, extra in CASES:
        att = random_attention(L, H, T, causal, sharpness, extra.get("zero_rows", ()), extra.get("zero_frac", 0.0))
        residual, head = options.get("residual", 0.5), options.get("head", -1)
        layer, normalize = options.get("layer", -1), options.get("normalize", True)
        a = residual_attention(att, residual, head)
        tensors[f"{cid}.in.attentions"] = att.unsqueeze(1) if extra.get("batched") else att
        tensors[f"{cid}.out.rollout"] = rollout(a)
        tensors[f"{cid}.out.flow"] = flow(a, L if layer < 0 else layer + 1, normalize)
        cases.append({"id": cid, "layers": L, "heads": H, "tokens": T, "causal": causal, "batched": bool(extra.get("batched")),
                      "residual": residual, "head": head, "layer": layer, "normalize": normalize})
    path = f"{HERE}/rollout.safetensors"
    write_safetensors(path, tensors, {"cases": json.dumps(cases), "generator": "make_rollout.py", "torch": torch.__version__,
                                      "networkx": nx.__version__})
    print(f"{path}: {len(cases)} cases, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
