#!/usr/bin/python3
"""The ONNX graphs of bench/ort_bench.mjs, and the data both runtimes read (run with Debian's /usr/bin/python3:
python3-onnx and numpy; python3-torch optional, for a cross-check of the MHA reference).

Writes into OUT (default build/bench/ort/, not committed; bench/ort_bench.mjs runs this script when a file is
missing). Every array is also saved raw (little-endian float32, row-major, `<name>.f32`), so the engine computes
with exactly the bytes ONNX Runtime gets, and the expected outputs (`*.expect.f32`) are computed here in float64.

  matmul_{M}x{K}x{N}.onnx   C [M, N] = A [M, K] . B [K, N]; input "A", B an initializer, output "C". Shapes of a
                            768-wide model: (128, 768, 2304) the packed QKV projection at L=128, (128, 768, 768) one
                            E x E projection, (512, 768, 3072) the first feed-forward layer at L=512.
      files: matmul_{..}.a.f32 [M, K], .b.f32 [K, N], .expect.f32 [M, N]
  mha_L{L}.onnx             self-attention of x [1, L, E], E = 768, H = 12, no mask: com.microsoft.Attention (input x,
                            weights [E, 3E] = in_proj_weight^T, bias [3E] = in_proj_bias, num_heads 12), then the
                            output projection MatMul (out_proj.weight^T) + Add (out_proj.bias): the math of
                            torch.nn.MultiheadAttention(E, H, batch_first=True)(x, x, x)[0]. Input "x", output "y".
      files: mha.in_proj_weight.f32 [3E, E], mha.in_proj_bias.f32 [3E], mha.out_proj_weight.f32 [E, E],
             mha.out_proj_bias.f32 [E] (PyTorch's layouts, shared by both L), mha_L{L}.x.f32 [1, L, E],
             mha_L{L}.expect.f32 [1, L, E]
  softmax_{N}x{C}.onnx      Softmax (opset 13 semantics, axis -1) of X [N, C] = [H*L, L]: the attention weights of 12
                            heads at L = 128 and L = 512. Input "X", output "Y".
      files: softmax_{..}.x.f32, .expect.f32
  identity_{N}x{C}.onnx     Identity of X [N, C], the softmax's shapes: what ORT's session.run costs besides the
                            kernel (copying the input into its heap, the output out), timed for information.
  manifest.json             what was written: shapes, files, the ONNX opsets, the generator's seed.

Weights follow nn.MultiheadAttention's initialisation (xavier_uniform in_proj, U(+-1/sqrt(E)) out_proj) but with
non-zero biases (U(+-0.1)), so that the biases are checked too.
"""
import argparse
import json
import os
import sys

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    sys.exit("make_graphs.py: cannot import onnx (apt-get install -y python3-onnx; run with /usr/bin/python3)")

SEED = 20240611
OPSET = 17  # the default domain; Softmax has had the axis -1 (one row) semantics since opset 13
MATMUL_SHAPES = [(128, 768, 2304), (128, 768, 768), (512, 768, 3072)]  # (M, K, N)
MHA_E, MHA_H, MHA_LS = 768, 12, [128, 512]
SOFTMAX_SHAPES = [(MHA_H * 128, 128), (MHA_H * 512, 512)]  # (N, C)


def save_f32(out, name, array):
    a = np.ascontiguousarray(array, dtype="<f4")
    a.tofile(os.path.join(out, name))
    return {"file": name, "shape": list(a.shape)}


def save_model(out, name, graph, ms_domain=False):
    opsets = [helper.make_opsetid("", OPSET)]
    if ms_domain:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="attn bench/ort/make_graphs.py")
    model.ir_version = 8  # what ONNX 1.12 writes for opset 17; ORT reads it
    onnx.checker.check_model(model)  # (contrib ops are not checked, only the graph's structure)
    onnx.save(model, os.path.join(out, name))
    return name


def f32(x):
    return np.asarray(x, dtype=np.float32)


def make_matmul(out, rng, M, K, N):
    a = f32(rng.uniform(-1, 1, (M, K)))
    b = f32(rng.uniform(-1, 1, (K, N)))
    base = f"matmul_{M}x{K}x{N}"
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["C"])],
        base,
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [M, K])],
        [helper.make_tensor_value_info("C", TensorProto.FLOAT, [M, N])],
        initializer=[numpy_helper.from_array(b, "B")],
    )
    return {
        "kind": "matmul", "M": M, "K": K, "N": N,
        "model": save_model(out, base + ".onnx", graph),
        "a": save_f32(out, base + ".a.f32", a),
        "b": save_f32(out, base + ".b.f32", b),
        "expect": save_f32(out, base + ".expect.f32", a.astype(np.float64) @ b.astype(np.float64)),
    }


def mha_reference(x, w_in, b_in, w_out, b_out, H):
    """nn.MultiheadAttention's forward (self-attention, no mask, eval) in float64. x [1, L, E]."""
    x, w_in, b_in, w_out, b_out = (np.asarray(t, dtype=np.float64) for t in (x, w_in, b_in, w_out, b_out))
    _, L, E = x.shape
    Dh = E // H
    qkv = x[0] @ w_in.T + b_in  # [L, 3E]
    q, k, v = (qkv[:, i * E:(i + 1) * E].reshape(L, H, Dh).transpose(1, 0, 2) for i in range(3))  # [H, L, Dh]
    s = q @ k.transpose(0, 2, 1) / np.sqrt(Dh)
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    w = s / s.sum(axis=-1, keepdims=True)
    heads = (w @ v).transpose(1, 0, 2).reshape(L, E)
    return (heads @ w_out.T + b_out)[None]


def torch_check(x, w_in, b_in, w_out, b_out, H, expect):
    """The reference against PyTorch's own nn.MultiheadAttention, when python3-torch is installed."""
    try:
        import torch
    except ImportError:
        return None
    E = w_in.shape[1]
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(w_in))
        mha.in_proj_bias.copy_(torch.from_numpy(b_in))
        mha.out_proj.weight.copy_(torch.from_numpy(w_out))
        mha.out_proj.bias.copy_(torch.from_numpy(b_out))
        xt = torch.from_numpy(x)
        y = mha(xt, xt, xt, need_weights=False)[0].numpy()
    return float(np.abs(y - expect).max())


def make_mha_weights(out, rng, E):
    bound_in = np.sqrt(6.0 / (E + 3 * E))  # xavier_uniform on [3E, E]
    w = {
        "in_proj_weight": f32(rng.uniform(-bound_in, bound_in, (3 * E, E))),
        "in_proj_bias": f32(rng.uniform(-0.1, 0.1, (3 * E,))),
        "out_proj_weight": f32(rng.uniform(-1 / np.sqrt(E), 1 / np.sqrt(E), (E, E))),
        "out_proj_bias": f32(rng.uniform(-0.1, 0.1, (E,))),
    }
    files = {name: save_f32(out, f"mha.{name}.f32", t) for name, t in w.items()}
    return w, files


def make_mha(out, rng, w, weight_files, L, E, H):
    x = f32(rng.uniform(-1, 1, (1, L, E)))
    base = f"mha_L{L}"
    nodes = [
        helper.make_node("Attention", ["x", "qkv_weight", "qkv_bias"], ["attn"], domain="com.microsoft",
                         num_heads=H),
        helper.make_node("MatMul", ["attn", "out_weight_t"], ["proj"]),
        helper.make_node("Add", ["proj", "out_bias"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        base,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, L, E])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, L, E])],
        initializer=[
            numpy_helper.from_array(np.ascontiguousarray(w["in_proj_weight"].T), "qkv_weight"),  # [E, 3E]
            numpy_helper.from_array(w["in_proj_bias"], "qkv_bias"),                               # [3E]
            numpy_helper.from_array(np.ascontiguousarray(w["out_proj_weight"].T), "out_weight_t"),  # [E, E]
            numpy_helper.from_array(w["out_proj_bias"], "out_bias"),                             # [E]
        ],
    )
    expect = mha_reference(x, w["in_proj_weight"], w["in_proj_bias"], w["out_proj_weight"], w["out_proj_bias"], H)
    torch_diff = torch_check(x, w["in_proj_weight"], w["in_proj_bias"], w["out_proj_weight"], w["out_proj_bias"], H,
                             expect)
    if torch_diff is not None and torch_diff > 1e-4:
        sys.exit(f"make_graphs.py: the numpy MHA reference differs from torch.nn.MultiheadAttention by {torch_diff}")
    return {
        "kind": "mha", "L": L, "E": E, "H": H,
        "model": save_model(out, base + ".onnx", graph, ms_domain=True),
        "x": save_f32(out, base + ".x.f32", x),
        "weights": weight_files,
        "expect": save_f32(out, base + ".expect.f32", expect),
        "torch_max_abs_diff": torch_diff,  # numpy float64 reference vs PyTorch float32; null without torch
    }


def make_softmax(out, rng, N, C):
    x = f32(rng.uniform(-4, 4, (N, C)))  # the spread of scaled attention scores
    base = f"softmax_{N}x{C}"
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["X"], ["Y"], axis=-1)],
        base,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [N, C])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [N, C])],
    )
    identity = helper.make_graph(
        [helper.make_node("Identity", ["X"], ["Y"])],
        f"identity_{N}x{C}",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [N, C])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [N, C])],
    )
    e = np.exp(x.astype(np.float64) - x.max(axis=-1, keepdims=True))
    return {
        "kind": "softmax", "N": N, "C": C,
        "model": save_model(out, base + ".onnx", graph),
        "identity_model": save_model(out, f"identity_{N}x{C}.onnx", identity),
        "x": save_f32(out, base + ".x.f32", x),
        "expect": save_f32(out, base + ".expect.f32", e / e.sum(axis=-1, keepdims=True)),
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "build", "bench", "ort"), help="output folder")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(SEED)

    entries = [make_matmul(args.out, rng, *s) for s in MATMUL_SHAPES]
    w, weight_files = make_mha_weights(args.out, rng, MHA_E)
    entries += [make_mha(args.out, rng, w, weight_files, L, MHA_E, MHA_H) for L in MHA_LS]
    entries += [make_softmax(args.out, rng, *s) for s in SOFTMAX_SHAPES]

    manifest = {"seed": SEED, "opset": OPSET, "onnx": onnx.__version__, "numpy": np.__version__, "entries": entries}
    # Written last: its presence means every file above is complete.
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"make_graphs.py: {len(entries)} graphs and their data in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
