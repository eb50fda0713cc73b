#!/usr/bin/python3
"""Golden cases for the engine's LSTM (engine/layers/lstm.h), computed by torch.nn.LSTM in float64.

Run with Debian's PyTorch (apt-get install python3-torch):   /usr/bin/python3 tests/golden/make_lstm.py
It rewrites tests/golden/lstm.safetensors only. The file is committed; CI never needs PyTorch.

Each case runs nn.LSTM(I, H, num_layers, batch_first=True) on x [B, T, I] with an initial state (h0, c0)
[L, B, H] or none (zeros), and, when the case has "lengths", on the packed sequence (pack_padded_sequence, rows
of different lengths; the output padded back with zeros by pad_packed_sequence). The loss
sum(G * output) + sum(Gh * h_n) + sum(Gc * c_n) gives the gradients of x, h0, c0 and every parameter.

The "seq2seq" cases are the lab's baseline (engine/models/lstm_seq2seq.h): nn.Embedding, an encoder nn.LSTM run
on the packed source (rows end at their first pad, id 0), a decoder nn.LSTM starting from the encoder's (h_n, c_n)
and an nn.Linear head; the loss sum(G * logits) gives every parameter's gradient.

Tensors: "<case>.in.x", ".in.h0", ".in.c0", ".in.lengths", ".in.G", ".in.Gh", ".in.Gc", ".param.<state_dict name>",
".out.output", ".out.h_n", ".out.c_n", ".out.dx", ".out.dh0", ".out.dc0", ".out.grad.<state_dict name>".
"""
import json

import torch
import torch.nn as nn

from make_golden import HERE, write_safetensors

torch.manual_seed(1997)  # Hochreiter & Schmidhuber, "Long Short-Term Memory"
torch.set_default_dtype(torch.float64)

CASES = [
    # id, B, T, I, H, layers, initial state, lengths
    ("one_step", 1, 1, 3, 2, 1, False, None),
    ("small", 2, 4, 3, 5, 1, False, None),
    ("with_state", 3, 5, 4, 3, 1, True, None),
    ("stacked", 2, 6, 5, 4, 2, True, None),
    ("three_layers", 2, 3, 2, 3, 3, False, None),
    ("packed", 3, 6, 4, 5, 1, False, [6, 2, 4]),
    ("packed_stacked", 4, 5, 3, 4, 2, True, [1, 5, 3, 5]),
    ("long", 2, 24, 4, 6, 1, True, None),
    ("wide", 2, 4, 16, 32, 1, False, None),
]


class Seq2Seq(nn.Module):
    """The engine's LstmSeq2Seq, with its state_dict names."""

    def __init__(self, V, H, L):
        super().__init__()
        self.embed = nn.Embedding(V, H)
        self.encoder = nn.LSTM(H, H, num_layers=L, batch_first=True)
        self.tgt_embed = nn.Embedding(V, H)
        self.decoder = nn.LSTM(H, H, num_layers=L, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, src, tgt, pad=0):
        lengths = (src != pad).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(src), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        out, _ = self.decoder(self.tgt_embed(tgt), state)
        return self.head(out)


SEQ2SEQ = [
    # id, B, S, T, V, H, layers
    ("seq2seq_small", 3, 5, 4, 7, 4, 1),
    ("seq2seq_stacked", 2, 6, 7, 9, 5, 2),
]


def seq2seq_cases(tensors, cases):
    for cid, B, S, T, V, H, L in SEQ2SEQ:
        model = Seq2Seq(V, H, L)
        src = torch.randint(1, V, (B, S))
        src[0, S - 2:] = 0  # padded rows
        src[B - 1, 1:] = 0
        tgt = torch.randint(1, V, (B, T))
        logits = model(src, tgt)
        G = torch.randn(B, T, V)
        (logits * G).sum().backward()
        p = f"{cid}."
        tensors[p + "in.src"], tensors[p + "in.tgt"], tensors[p + "in.G"] = src.double(), tgt.double(), G
        for name, v in model.named_parameters():
            tensors[p + "param." + name] = v.detach()
            tensors[p + "out.grad." + name] = v.grad
        tensors[p + "out.logits"] = logits.detach()
        cases.append({"id": cid, "batch": B, "src_len": S, "tgt_len": T, "vocab_size": V, "hidden_size": H,
                      "num_layers": L, "seq2seq": True})


def main():
    tensors, cases = {}, []
    for cid, B, T, I, H, L, state, lengths in CASES:
        lstm = nn.LSTM(I, H, num_layers=L, batch_first=True)
        x = torch.randn(B, T, I, requires_grad=True)
        h0 = torch.randn(L, B, H, requires_grad=True) if state else None
        c0 = torch.randn(L, B, H, requires_grad=True) if state else None
        inp = x
        if lengths is not None:
            inp = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = lstm(inp, (h0, c0)) if state else lstm(inp)
        if lengths is not None:
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        G, Gh, Gc = torch.randn(B, T, H), torch.randn(L, B, H), torch.randn(L, B, H)
        if lengths is not None:  # the padding is not an output: no gradient reaches it
            for b, n in enumerate(lengths):
                G[b, n:] = 0
        ((out * G).sum() + (h_n * Gh).sum() + (c_n * Gc).sum()).backward()
        p = f"{cid}."
        tensors[p + "in.x"] = x.detach()
        tensors[p + "in.G"], tensors[p + "in.Gh"], tensors[p + "in.Gc"] = G, Gh, Gc
        if state:
            tensors[p + "in.h0"], tensors[p + "in.c0"] = h0.detach(), c0.detach()
            tensors[p + "out.dh0"], tensors[p + "out.dc0"] = h0.grad, c0.grad
        if lengths is not None:
            tensors[p + "in.lengths"] = torch.tensor(lengths, dtype=torch.float64)
        for name, v in lstm.named_parameters():
            tensors[p + "param." + name] = v.detach()
            tensors[p + "out.grad." + name] = v.grad
        tensors[p + "out.output"] = out.detach()
        tensors[p + "out.h_n"], tensors[p + "out.c_n"] = h_n.detach(), c_n.detach()
        tensors[p + "out.dx"] = x.grad
        cases.append({"id": cid, "batch": B, "time": T, "input_size": I, "hidden_size": H, "num_layers": L,
                      "initial_state": state, "packed": lengths is not None})
    seq2seq_cases(tensors, cases)
    path = f"{HERE}/lstm.safetensors"
    write_safetensors(path, tensors, {"cases": json.dumps(cases), "generator": "make_lstm.py", "torch": torch.__version__})
    print(f"{path}: {len(cases)} cases, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
