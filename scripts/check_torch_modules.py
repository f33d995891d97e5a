#!/usr/bin/env python3
"""Checks that the PyTorch modules of bench_torch.py compute Würstchen: loads the tiny reference weights into them
(strict state-dict loading, so every key and shape must match diffusers') and compares their outputs with the
reference vectors that diffusers produced.

    python3 scripts/check_torch_modules.py [../shared/reference]

Tolerances are the float32 ones of reference/vectors/README.md: the r embedding computed in float32 (as torch does)
costs up to 2e-3 on the decoder's output, whose values reach 19.5; 1e-3 for the prior, 1e-4 elsewhere.
Exits 1 if any output is outside its tolerance.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_torch  # noqa: E402

bench_torch.ensure_torch()
import torch  # noqa: E402

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    """All tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[begin:end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"]) if raw else \
            torch.zeros(info["shape"], dtype=DTYPES[info["dtype"]])
    return tensors


def config(folder, keys):
    with open(os.path.join(folder, "config.json")) as f:
        values = json.load(f)
    return {k: values[k] for k in keys}


def clip_keys(state):
    """transformers' CLIPTextModel keys → the script's flatter ClipTextModel."""
    out = {}
    for key, value in state.items():
        if key.endswith("position_ids"):
            continue
        key = key.replace("text_model.embeddings.", "").replace("text_model.encoder.", "").replace("text_model.", "")
        key = key.replace("self_attn.", "").replace("mlp.", "")
        out[key] = value
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference")
    m = bench_torch.define_modules()
    failures = []

    def compare(name, actual, expected, tolerance=1e-4):
        diff = (actual.double() - expected.double()).abs().max().item()
        ok = diff <= tolerance
        if not ok:
            failures.append(name)
        print(f"{name:<32} max |diff| {diff:.2e}  (tolerance {tolerance:.0e}) {'ok' if ok else 'FAILED'}")

    def load(model, state):
        model.load_state_dict(state, strict=True)
        return model.eval()

    with torch.inference_mode():
        folder = os.path.join(root, "tiny-wuerstchen-prior", "prior")
        prior = load(m["WuerstchenPrior"](**config(folder, ["c_in", "c", "c_cond", "c_r", "depth", "nhead"])),
                     read_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors")))
        v = read_safetensors(os.path.join(root, "vectors", "prior.safetensors"))
        compare("prior output", prior(v["x"], v["r"], v["c"]), v["output"], 1e-3)

        folder = os.path.join(root, "tiny-wuerstchen", "decoder")
        decoder = load(m["WuerstchenDiffNeXt"](**config(folder, [
            "c_in", "c_out", "c_r", "patch_size", "c_cond", "c_hidden", "nhead", "blocks", "level_config", "inject_effnet",
            "effnet_embd", "clip_embd", "kernel_size"])), read_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors")))
        v = read_safetensors(os.path.join(root, "vectors", "decoder.safetensors"))
        compare("decoder output", decoder(v["x"], v["r"], v["effnet"], v["clip"]), v["output"], 1e-2)

        folder = os.path.join(root, "tiny-wuerstchen", "vqgan")
        state = read_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
        state["codebook.weight"] = state.pop("vquantizer.embedding.weight")
        vq = load(m["PaellaVQModel"](**config(folder, [
            "in_channels", "out_channels", "up_down_scale_factor", "levels", "bottleneck_blocks", "embed_dim",
            "latent_channels", "num_vq_embeddings", "scale_factor"])), state)
        v = read_safetensors(os.path.join(root, "vectors", "vqgan.safetensors"))
        compare("vqgan encode", vq.encode(v["image"]), v["encode.latents"])
        compare("vqgan decode", vq.decode(v["latents_in"]), v["decode.latents_in"])

        v = read_safetensors(os.path.join(root, "vectors", "text_encoders.safetensors"))
        for repo, prefix in (("tiny-wuerstchen-prior", "prior_te"), ("tiny-wuerstchen", "decoder_te")):
            folder = os.path.join(root, repo, "text_encoder")
            te = load(m["ClipTextModel"](**config(folder, [
                "vocab_size", "hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers",
                "max_position_embeddings", "layer_norm_eps"])), clip_keys(read_safetensors(os.path.join(folder, "model.safetensors"))))
            compare(f"{prefix} last_hidden_state", te(v[f"{prefix}.input_ids"], v[f"{prefix}.attention_mask"]),
                    v[f"{prefix}.last_hidden_state"])

    print("all outputs within tolerance" if not failures else f"FAILED: {', '.join(failures)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
