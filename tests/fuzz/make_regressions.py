#!/usr/bin/env python3
"""Writes two regression inputs into corpus/model_file (stdlib only):  python3 tests/fuzz/make_regressions.py
Both were written by hand from reading engine/io/model_file.cpp and models/config.cpp while building the fuzzer,
confirmed with build/fuzz/fuzz_model_file, and fixed in the engine (see README.md, "Regressions"):
  sinusoid_table_2gib_from_16kb.safetensors  a 16 KB file whose config made the loader build a 2 GiB table
  layer_norm_eps_inf_no_round_trip.safetensors  1e39 narrowed to float inf: loaded, then failed to reload
They stay in the seed corpus, so every fuzz run re-checks them."""
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "model_file")


def model_file(config, tensors, dtype="F16"):
    """A safetensors model file: zero-filled tensors [(name, shape)], config in the metadata."""
    size = {"F16": 2, "F32": 4}[dtype]
    header = {"__metadata__": {"format": "attn-model", "version": "1", "config": json.dumps(config)}}
    offset, data = 0, b""
    for name, shape in tensors:
        n = 1
        for s in shape:
            n *= s
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n * size]}
        offset += n * size
        data += b"\0" * (n * size)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# 8192 parameters (16 KB as F16), but a sinusoidal table of max_len x d_model = 65536 x 8192 floats (2 GiB).
write("sinusoid_table_2gib_from_16kb.safetensors",
      model_file({"arch": "decoder", "vocab_size": 1, "num_layers": 0, "d_model": 8192, "nhead": 1,
                  "dim_feedforward": 1, "positional": "sinusoidal", "max_len": 65536, "head_size": 0},
                 [("embed.weight", [1, 8192])]))

# layer_norm_eps 1e39 is finite as a double but inf as a float: accepted, and save_model then writes null.
write("layer_norm_eps_inf_no_round_trip.safetensors",
      model_file({"arch": "decoder", "vocab_size": 1, "num_layers": 0, "d_model": 4, "nhead": 1,
                  "dim_feedforward": 1, "positional": "none", "max_len": 4, "head_size": 0,
                  "layer_norm_eps": 1e39},
                 [("embed.weight", [1, 4])]))
