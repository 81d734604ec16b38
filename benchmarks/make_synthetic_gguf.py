"""Write a random-weight GGUF with a LLaMAX model's shapes, for speed measurements.

    python benchmarks/make_synthetic_gguf.py --shape llamax2-7b --vocab ggml-vocab-llama-spm.gguf OUT.gguf

Speed depends on shapes, not weights: this file decodes as fast as the real model while
writing nonsense. The vocabulary comes from the vocab-only GGUFs in the llama-cpp-python sdist
(`pip download llama-cpp-python --no-binary :all: --no-deps`, then
`vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf` for LLaMA-2, `-bpe` for LLaMA-3).
Weights are Q4_0 (or Q8_0) blocks with a fixed small scale and random quants; norms are 1.
`--quant Q4_K_M` writes K-quant blocks directly, each tensor in the type llama.cpp's own Q4_K_M
quantizer gives it (checked against a file made with `--quant Q8_0 --requantize Q4_K_M`): no
llama.cpp needed, so it can be written while llama.cpp builds.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

SHAPES = {
    "llamax2-7b": dict(width=4096, layers=32, heads=32, heads_kv=32, ffn=11008, ctx=4096),
    "llamax3-8b": dict(width=4096, layers=32, heads=32, heads_kv=8, ffn=14336, ctx=8192),
    # a LLaMA-3 family shape at ~1B, for measuring where per-step costs still matter
    "llama3-1b": dict(width=2048, layers=16, heads=32, heads_kv=8, ffn=8192, ctx=8192),
}


# weights per block, bytes per block, and where the block's f16 scales sit (the rest is random)
BLOCKS = {"Q4_0": (32, 18, [0]), "Q8_0": (32, 34, [0]),
          "Q4_K": (256, 144, [0, 2]), "Q6_K": (256, 210, [208])}


def _blocks(n_weights: int, quant: str, rng: np.random.Generator) -> np.ndarray:
    """Raw bytes of n_weights quantized weights: random quants, small fixed f16 scales."""
    per, size, scales = BLOCKS[quant]
    out = rng.integers(0, 256, size=(n_weights // per, size), dtype=np.uint8)
    scale = np.frombuffer(np.float16(0.02 if per == 32 else 0.001).tobytes(), dtype=np.uint8)
    for at in scales:
        out[:, at:at + 2] = scale
    return out


def _q4_k_m_type(name: str, layer: int, layers: int) -> str:
    """llama.cpp's Q4_K_M mix: Q6_K for output.weight and, in the layers its use_more_bits
    picks, attn_v and ffn_down; Q4_K elsewhere."""
    more_bits = (layer < layers // 8 or layer >= 7 * layers // 8
                 or (layer - layers // 8) % 3 == 2)
    if name == "output" or (name in ("attn_v", "ffn_down") and more_bits):
        return "Q6_K"
    return "Q4_K"


def write(out: Path, shape: dict, vocab_path: Path, quant: str, seed: int = 0) -> None:
    import gguf

    rng = np.random.default_rng(seed)
    vocab = gguf.GGUFReader(str(vocab_path))
    writer = gguf.GGUFWriter(str(out), "llama")
    w, ffn, layers = shape["width"], shape["ffn"], shape["layers"]
    head_dim = w // shape["heads"]
    writer.add_name("synthetic-" + out.stem)
    writer.add_context_length(shape["ctx"])
    writer.add_embedding_length(w)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(shape["heads"])
    writer.add_head_count_kv(shape["heads_kv"])
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type({"Q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
                          "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
                          "Q4_K_M": gguf.LlamaFileType.MOSTLY_Q4_K_M}[quant])
    n_vocab = 0
    for field in vocab.fields.values():  # the tokenizer, copied as it is
        if not field.name.startswith("tokenizer."):
            continue
        value = field.contents()
        if field.name == "tokenizer.ggml.tokens":
            n_vocab = len(value)
        writer.add_key_value(field.name, value, field.types[0],
                             sub_type=field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None)

    def matrix(name: str, rows: int, cols: int) -> None:
        kind = quant
        if quant == "Q4_K_M":
            parts = name.split(".")
            kind = _q4_k_m_type(parts[-2], int(parts[1]) if parts[0] == "blk" else -1, layers)
        per, size, _ = BLOCKS[kind]
        data = _blocks(rows * cols, kind, rng).reshape(rows, cols // per * size)
        writer.add_tensor(name, data, raw_shape=(rows, cols // per * size),
                          raw_dtype=getattr(gguf.GGMLQuantizationType, kind))

    def norm(name: str) -> None:
        writer.add_tensor(name, np.ones(w, dtype=np.float32))

    matrix("token_embd.weight", n_vocab, w)
    kv = shape["heads_kv"] * head_dim
    for i in range(layers):
        norm(f"blk.{i}.attn_norm.weight")
        matrix(f"blk.{i}.attn_q.weight", w, w)
        matrix(f"blk.{i}.attn_k.weight", kv, w)
        matrix(f"blk.{i}.attn_v.weight", kv, w)
        matrix(f"blk.{i}.attn_output.weight", w, w)
        norm(f"blk.{i}.ffn_norm.weight")
        matrix(f"blk.{i}.ffn_gate.weight", ffn, w)
        matrix(f"blk.{i}.ffn_up.weight", ffn, w)
        matrix(f"blk.{i}.ffn_down.weight", w, ffn)
    norm("output_norm.weight")
    matrix("output.weight", n_vocab, w)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


FTYPES = {"Q4_K_M": "LLAMA_FTYPE_MOSTLY_Q4_K_M", "Q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0",
          "Q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}


def requantize(src: Path, dst: Path, ftype: str) -> None:
    """llama.cpp's own quantizer, so the file holds the mix of types a real one does."""
    import llama_cpp.llama_cpp as lib

    params = lib.llama_model_quantize_default_params()
    params.ftype = getattr(lib, FTYPES[ftype])
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    if lib.llama_model_quantize(str(src).encode(), str(dst).encode(), params) != 0:
        raise SystemExit(f"llama_model_quantize failed on {src}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="llamax2-7b")
    parser.add_argument("--vocab", type=Path, required=True)
    parser.add_argument("--quant", choices=["Q4_0", "Q8_0", "Q4_K_M"], default="Q4_0")
    parser.add_argument("--requantize", choices=sorted(FTYPES),
                        help="then requantize with llama.cpp (write --quant Q8_0 first)")
    args = parser.parse_args()
    if not args.requantize:
        write(args.out, SHAPES[args.shape], args.vocab, args.quant)
    else:
        first = args.out.with_name(args.out.stem + f".{args.quant.lower()}.tmp.gguf")
        write(first, SHAPES[args.shape], args.vocab, args.quant)
        try:
            requantize(first, args.out, args.requantize)
        finally:
            first.unlink(missing_ok=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**30:.2f} GiB)")


if __name__ == "__main__":
    main()
