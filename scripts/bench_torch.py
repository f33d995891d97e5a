#!/usr/bin/env python3
"""The stages of `wuerstchen bench` in PyTorch, for comparison: same configs, shapes, FLOP counts and JSON lines.

The Würstchen v2 modules are written out below in plain torch (diffusers cannot be installed here), following
docs SPEC.md §2: Stage C `WuerstchenPrior`, Stage B `WuerstchenDiffNeXt`, Stage A `PaellaVQModel`, the CLIP text
tower, and the DDPM-Wuerstchen scheduler for the whole-image run. Weights are random (torch's default
initialisers), which costs exactly what the released weights cost.

    python3 scripts/bench_torch.py --stage prior --width 1024 --height 1024 --dtype f32,bf16 --json

Each (stage, dtype) runs in its own child process so that peak_rss_mb (VmHWM) belongs to that stage alone.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

STAGES = ["prior", "decoder", "vq-decode", "vq-encode", "clip-bigg", "clip-h", "pipeline"]
TEXT_LENGTH = 77

# The released configurations (warp-ai/wuerstchen-prior and warp-ai/wuerstchen, SPEC §3).
PRIOR = dict(c_in=16, c=1536, c_cond=1280, c_r=64, depth=32, nhead=24)
DECODER = dict(c_in=4, c_out=4, c_r=64, patch_size=2, c_cond=1024, c_hidden=[320, 640, 1280, 1280],
               nhead=[-1, 10, 20, 20], blocks=[4, 4, 14, 4], level_config=["CT", "CTA", "CTA", "CTA"],
               inject_effnet=[False, True, True, True], effnet_embd=16, clip_embd=1024, kernel_size=3)
VQGAN = dict(in_channels=3, out_channels=3, up_down_scale_factor=2, levels=2, bottleneck_blocks=12, embed_dim=384,
             latent_channels=4, num_vq_embeddings=8192, scale_factor=0.3764)
CLIP_BIGG = dict(vocab_size=49408, hidden_size=1280, intermediate_size=5120, num_attention_heads=20,
                 num_hidden_layers=32, max_position_embeddings=77, layer_norm_eps=1e-5)
CLIP_H = dict(vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
              num_hidden_layers=24, max_position_embeddings=77, layer_norm_eps=1e-5)
RESOLUTION_MULTIPLE, LATENT_DIM_SCALE = 42.67, 10.67
# numpy.linspace(1.0, 2/3, 20) + numpy.linspace(2/3, 0.0, 11)[1:] (diffusers DEFAULT_STAGE_C_TIMESTEPS)
STAGE_C_TIMESTEPS = [1.0 - (1 / 3) * i / 19 for i in range(20)] + [(2 / 3) * (1 - i / 10) for i in range(1, 11)]


def ensure_torch():
    """Makes sure this script runs under a Python with torch: Debian's python3-torch (installed with apt-get when missing)."""
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    system_python = "/usr/bin/python3"
    if subprocess.run([system_python, "-c", "import torch"], capture_output=True).returncode != 0:
        print("torch not found: installing Debian's python3-torch", file=sys.stderr)
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "python3-torch"], check=True)
    if os.path.realpath(sys.executable) != os.path.realpath(system_python):
        os.execv(system_python, [system_python] + sys.argv)


OPENBLAS_PACKAGE = "libopenblas0-pthread"
OPENBLAS_SUBDIR = "usr/lib/x86_64-linux-gnu/openblas-pthread"


def openblas_dir():
    """
    A folder holding OpenBLAS's libblas.so.3. Debian's torch is built against the generic BLAS interface and the
    default provider is the reference (netlib) BLAS, about 1 GFLOP/s: torch's float32 Linear and bmm would be timed on
    that. OpenBLAS is Debian's usual provider; when it is not installed system-wide, its package is unpacked into a
    private cache (apt-get download + dpkg -x) so that only this script's processes use it and the machine's BLAS
    alternative is left alone.
    """
    system = "/" + OPENBLAS_SUBDIR
    if os.path.exists(os.path.join(system, "libblas.so.3")):
        return system
    cache = os.path.join(os.path.expanduser("~"), ".cache", "wuerstchen-bench", "openblas")
    private = os.path.join(cache, "root", OPENBLAS_SUBDIR)
    if not os.path.exists(os.path.join(private, "libblas.so.3")):
        os.makedirs(cache, exist_ok=True)
        print(f"unpacking Debian's {OPENBLAS_PACKAGE} into {cache} (torch's float32 GEMM would otherwise be reference BLAS)", file=sys.stderr)
        subprocess.run(["apt-get", "download", OPENBLAS_PACKAGE], cwd=cache, check=True, capture_output=True)
        deb = next(f for f in os.listdir(cache) if f.startswith(OPENBLAS_PACKAGE) and f.endswith(".deb"))
        subprocess.run(["dpkg", "-x", os.path.join(cache, deb), os.path.join(cache, "root")], check=True)
    return private


def blas_environment(blas, threads):
    """The environment for the timing processes: OpenBLAS first on the library path unless --blas system."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if blas == "openblas":
        env["LD_LIBRARY_PATH"] = openblas_dir() + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return env


def loaded_blas():
    """Which BLAS this process actually mapped (the float32 GEMM of torch's Linear, matmul and bmm)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libblas.so" in line or "libopenblas" in line}
    if any("openblas" in p for p in paths):
        return "openblas"
    return "reference" if paths else "unknown"


# ---------------------------------------------------------------------------------------------------- FLOP counts
# The formulas of src/Wuerstchen.Cli/Commands/BenchFlops.cs: 2 FLOPs per multiply-add of the matrix products
# (linear, convolutions incl. depthwise and transposed, attention QK^T and PV); elementwise work not counted.

def flops_resblock(t, c, skip, k):
    return 2 * t * k * k * c + 8 * t * (c + skip) * c + 8 * t * c * c


def flops_timestep(b, c, c_r):
    return 2 * b * c_r * 2 * c


def flops_attn(b, pixels, length, c, c_cond):
    keys = pixels + length
    return 2 * b * length * c_cond * c + 4 * b * pixels * c * c + 4 * b * keys * c * c + 4 * b * pixels * keys * c


def flops_mixing(t, c):
    return 2 * t * 9 * c + 16 * t * c * c


def flops_prior(cfg, b, h, w, length=TEXT_LENGTH):
    t, c = b * h * w, cfg["c"]
    per_depth = flops_resblock(t, c, 0, 3) + flops_timestep(b, c, cfg["c_r"]) + flops_attn(b, h * w, length, c, c)
    return 2 * t * cfg["c_in"] * c + 2 * b * length * (cfg["c_cond"] * c + c * c) + cfg["depth"] * per_depth \
        + 2 * t * c * 2 * cfg["c_in"]


def flops_decoder(cfg, b, h, w, length=TEXT_LENGTH):
    p, c, n = cfg["patch_size"], cfg["c_hidden"], len(cfg["c_hidden"])

    def pixels(i):
        return ((h // p) >> i) * ((w // p) >> i)

    def level(i, up):
        hw = pixels(i)
        t, total = b * hw, 0
        if cfg["inject_effnet"][i]:
            total += 2 * t * cfg["effnet_embd"] * cfg["c_cond"]
        for r in range(cfg["blocks"][i]):
            for k, letter in enumerate(cfg["level_config"][i]):
                skip = (cfg["c_cond"] if cfg["inject_effnet"][i] else 0) + (c[i] if up and i < n - 1 and r == 0 and k == 0 else 0)
                total += {"C": lambda: flops_resblock(t, c[i], skip, cfg["kernel_size"]),
                          "T": lambda: flops_timestep(b, c[i], cfg["c_r"]),
                          "A": lambda: flops_attn(b, hw, length, c[i], cfg["c_cond"])}[letter]()
        return total

    total = 2 * b * length * cfg["clip_embd"] * cfg["c_cond"] + 2 * b * pixels(0) * cfg["c_in"] * p * p * c[0]
    for i in range(n):
        total += (2 * b * pixels(i) * 4 * c[i - 1] * c[i] if i > 0 else 0) + level(i, False)
    for i in reversed(range(n)):
        total += level(i, True) + (2 * b * pixels(i) * c[i] * 4 * c[i - 1] if i > 0 else 0)
    return total + 2 * b * pixels(0) * c[0] * 2 * cfg["c_out"] * p * p


def vq_levels(cfg):
    return [cfg["embed_dim"] >> (cfg["levels"] - 1 - i) for i in range(cfg["levels"])]


def flops_vq_decode(cfg, b, h, w):
    c, n, f = vq_levels(cfg), cfg["levels"], cfg["up_down_scale_factor"]

    def pixels(i):
        return b * (h << (n - 1 - i)) * (w << (n - 1 - i))

    total = 2 * pixels(n - 1) * cfg["latent_channels"] * c[n - 1] + cfg["bottleneck_blocks"] * flops_mixing(pixels(n - 1), c[n - 1])
    for i in range(n - 1, 0, -1):
        total += 2 * pixels(i) * 16 * c[i] * c[i - 1] + flops_mixing(pixels(i - 1), c[i - 1])
    return total + 2 * pixels(0) * c[0] * cfg["out_channels"] * f * f


def flops_vq_encode(cfg, b, h, w):
    c, n, f = vq_levels(cfg), cfg["levels"], cfg["up_down_scale_factor"]

    def pixels(i):
        return b * ((h // f) >> i) * ((w // f) >> i)

    total = 2 * pixels(0) * cfg["in_channels"] * f * f * c[0]
    for i in range(n):
        total += (2 * pixels(i) * 16 * c[i - 1] * c[i] if i > 0 else 0) + flops_mixing(pixels(i), c[i])
    return total + 2 * pixels(n - 1) * c[n - 1] * cfg["latent_channels"]


def flops_clip(cfg, b, length=TEXT_LENGTH):
    t, d = b * length, cfg["hidden_size"]
    return cfg["num_hidden_layers"] * (8 * t * d * d + 4 * t * length * d + 4 * t * d * cfg["intermediate_size"])


# ---------------------------------------------------------------------------------------------------- modules

def define_modules():
    """The Würstchen v2 modules (SPEC §2), defined once torch is importable."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    class LayerNorm2d(nn.LayerNorm):
        """Channels-last LayerNorm on NCHW (no affine, eps 1e-6), SPEC §2.2."""

        def __init__(self, c):
            super().__init__(c, elementwise_affine=False, eps=1e-6)

        def forward(self, x):
            return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    class GlobalResponseNorm(nn.Module):
        def __init__(self, dim):
            super().__init__()
            # Small non-zero values (zeros at init in diffusers) so that the branch costs what it costs when trained.
            self.gamma = nn.Parameter(torch.full((1, 1, 1, dim), 0.1))
            self.beta = nn.Parameter(torch.full((1, 1, 1, dim), 0.1))

        def forward(self, x):
            g = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
            n = g / (g.mean(dim=-1, keepdim=True) + 1e-6)
            return self.gamma * (x * n) + self.beta + x

    class ConvTranspose2d(nn.ConvTranspose2d):
        """torch 1.13's CPU conv_transpose2d mis-handles bfloat16 (wrong output size or a channel error), so bf16
        inputs run this one layer in float32 — a few per cent of Stage A's FLOPs, under 1 % of Stage B's."""

        def forward(self, x):
            if x.dtype != torch.bfloat16:
                return super().forward(x)
            return F.conv_transpose2d(x.float(), self.weight.float(), self.bias.float(), self.stride, self.padding).to(x.dtype)

    class ReplicationPad1(nn.Module):
        """ReplicationPad2d(1) by concatenating the edge rows and columns: torch 1.13 has no bfloat16 replication_pad2d on CPU."""

        def forward(self, x):
            x = torch.cat([x[:, :, :1], x, x[:, :, -1:]], dim=2)
            return torch.cat([x[:, :, :, :1], x, x[:, :, :, -1:]], dim=3)

    def channelwise(c_in, c):
        return nn.Sequential(nn.Linear(c_in, c * 4), nn.GELU(), GlobalResponseNorm(c * 4), nn.Dropout(0.0), nn.Linear(c * 4, c))

    class ResBlock(nn.Module):
        """Stage C block: skip concatenated before the depthwise conv (unused with c_skip = 0)."""

        def __init__(self, c, k=3):
            super().__init__()
            self.depthwise = nn.Conv2d(c, c, k, padding=k // 2, groups=c)
            self.norm = LayerNorm2d(c)
            self.channelwise = channelwise(c, c)

        def forward(self, x):
            r = x
            x = self.norm(self.depthwise(x))
            return self.channelwise(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) + r

    class ResBlockStageB(nn.Module):
        """Stage B block: skip concatenated after depthwise conv + norm."""

        def __init__(self, c, c_skip=0, k=3):
            super().__init__()
            self.depthwise = nn.Conv2d(c, c, k, padding=k // 2, groups=c)
            self.norm = LayerNorm2d(c)
            self.channelwise = channelwise(c + c_skip, c)

        def forward(self, x, skip=None):
            r = x
            x = self.norm(self.depthwise(x))
            if skip is not None:
                x = torch.cat([x, skip], dim=1)
            return self.channelwise(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) + r

    class TimestepBlock(nn.Module):
        def __init__(self, c, c_r):
            super().__init__()
            self.mapper = nn.Linear(c_r, c * 2)

        def forward(self, x, r_embed):
            a, b = self.mapper(r_embed)[:, :, None, None].chunk(2, dim=1)
            return x * (1 + a) + b

    class Attention(nn.Module):
        """Multi-head attention, bmm + softmax (torch 1.13 has no scaled_dot_product_attention)."""

        def __init__(self, c, nhead):
            super().__init__()
            self.heads = nhead
            self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
            self.to_out = nn.ModuleList([nn.Linear(c, c), nn.Dropout(0.0)])

        def forward(self, x, kv):
            b, n, c = x.shape
            h, d = self.heads, c // self.heads
            q = self.to_q(x).view(b, -1, h, d).transpose(1, 2)
            k = self.to_k(kv).view(b, -1, h, d).transpose(1, 2)
            v = self.to_v(kv).view(b, -1, h, d).transpose(1, 2)
            p = torch.softmax(q @ k.transpose(-1, -2) * d ** -0.5, dim=-1)
            o = (p @ v).transpose(1, 2).reshape(b, n, c)
            return self.to_out[0](o)

    class AttnBlock(nn.Module):
        def __init__(self, c, c_cond, nhead):
            super().__init__()
            self.norm = LayerNorm2d(c)
            self.attention = Attention(c, nhead)
            self.kv_mapper = nn.Sequential(nn.SiLU(), nn.Linear(c_cond, c))

        def forward(self, x, cond):
            kv = self.kv_mapper(cond)
            b, c, h, w = x.shape
            tokens = self.norm(x).view(b, c, h * w).transpose(1, 2)
            kv = torch.cat([tokens, kv], dim=1)
            return x + self.attention(tokens, kv).transpose(1, 2).reshape(b, c, h, w)

    def r_embedding(r, c_r, max_positions=10000):
        r = r * max_positions
        half = c_r // 2
        emb = math.log(max_positions) / (half - 1)
        emb = torch.arange(half, device=r.device).float().mul(-emb).exp()
        emb = r[:, None] * emb[None, :]
        return torch.cat([emb.sin(), emb.cos()], dim=1).to(r.dtype)

    class WuerstchenPrior(nn.Module):
        def __init__(self, c_in, c, c_cond, c_r, depth, nhead):
            super().__init__()
            self.c_r = c_r
            self.projection = nn.Conv2d(c_in, c, 1)
            self.cond_mapper = nn.Sequential(nn.Linear(c_cond, c), nn.LeakyReLU(0.2), nn.Linear(c, c))
            self.blocks = nn.ModuleList()
            for _ in range(depth):
                self.blocks.append(ResBlock(c))
                self.blocks.append(TimestepBlock(c, c_r))
                self.blocks.append(AttnBlock(c, c, nhead))
            self.out = nn.Sequential(LayerNorm2d(c), nn.Conv2d(c, c_in * 2, 1))

        def forward(self, x, r, c):
            x_in = x
            x = self.projection(x)
            c_embed = self.cond_mapper(c)
            r_embed = r_embedding(r, self.c_r)
            for block in self.blocks:
                if isinstance(block, AttnBlock):
                    x = block(x, c_embed)
                elif isinstance(block, TimestepBlock):
                    x = block(x, r_embed)
                else:
                    x = block(x)
            a, b = self.out(x).chunk(2, dim=1)
            return (x_in - a) / ((1 - b).abs() + 1e-5)

    class WuerstchenDiffNeXt(nn.Module):
        def __init__(self, c_in, c_out, c_r, patch_size, c_cond, c_hidden, nhead, blocks, level_config, inject_effnet,
                     effnet_embd, clip_embd, kernel_size):
            super().__init__()
            self.c_r = c_r
            self.clip_mapper = nn.Linear(clip_embd, c_cond)
            self.seq_norm = nn.LayerNorm(c_cond, elementwise_affine=False, eps=1e-6)
            self.effnet_mappers = nn.ModuleList(
                [nn.Conv2d(effnet_embd, c_cond, 1) if inject else None for inject in inject_effnet + list(reversed(inject_effnet))])
            self.embedding = nn.Sequential(nn.PixelUnshuffle(patch_size), nn.Conv2d(c_in * patch_size ** 2, c_hidden[0], 1),
                                           LayerNorm2d(c_hidden[0]))

            def block(letter, c_hidden_i, nhead_i, c_skip):
                if letter == "C":
                    return ResBlockStageB(c_hidden_i, c_skip, kernel_size)
                if letter == "A":
                    return AttnBlock(c_hidden_i, c_cond, nhead_i)
                return TimestepBlock(c_hidden_i, c_r)

            n = len(c_hidden)
            self.down_blocks = nn.ModuleList()
            for i in range(n):
                level = nn.ModuleList()
                if i > 0:
                    level.append(nn.Sequential(LayerNorm2d(c_hidden[i - 1]), nn.Conv2d(c_hidden[i - 1], c_hidden[i], 2, stride=2)))
                for _ in range(blocks[i]):
                    for letter in level_config[i]:
                        level.append(block(letter, c_hidden[i], nhead[i], c_cond if inject_effnet[i] else 0))
                self.down_blocks.append(level)
            self.up_blocks = nn.ModuleList()
            for i in reversed(range(n)):
                level = nn.ModuleList()
                for r in range(blocks[i]):
                    for k, letter in enumerate(level_config[i]):
                        c_skip = (c_hidden[i] if i < n - 1 and r == 0 and k == 0 else 0) + (c_cond if inject_effnet[i] else 0)
                        level.append(block(letter, c_hidden[i], nhead[i], c_skip))
                if i > 0:
                    level.append(nn.Sequential(LayerNorm2d(c_hidden[i]), ConvTranspose2d(c_hidden[i], c_hidden[i - 1], 2, stride=2)))
                self.up_blocks.append(level)
            self.clf = nn.Sequential(LayerNorm2d(c_hidden[0]), nn.Conv2d(c_hidden[0], 2 * c_out * patch_size ** 2, 1),
                                     nn.PixelShuffle(patch_size))

        def effnet_map(self, mapper, effnet, x):
            # diffusers resizes in float32 and casts back (bicubic antialias has no bf16 kernel).
            resized = F.interpolate(effnet.float(), size=x.shape[-2:], mode="bicubic", antialias=True, align_corners=True)
            return mapper(resized.to(effnet.dtype))

        def run_level(self, modules, x, mapper, effnet, r_embed, clip, skip_in=None):
            e = None
            for j, module in enumerate(modules):
                if isinstance(module, ResBlockStageB):
                    if e is None and mapper is not None:
                        e = self.effnet_map(mapper, effnet, x)
                    skip = skip_in if j == 0 else None
                    if e is not None:
                        skip = torch.cat([skip, e], dim=1) if skip is not None else e
                    x = module(x, skip)
                elif isinstance(module, AttnBlock):
                    x = module(x, clip)
                elif isinstance(module, TimestepBlock):
                    x = module(x, r_embed)
                else:
                    x = module(x)
            return x

        def forward(self, x, r, effnet, clip):
            n = len(self.down_blocks)
            r_embed = r_embedding(r, self.c_r)
            clip = self.seq_norm(self.clip_mapper(clip))
            x_in = x
            x = self.embedding(x)
            level_outputs = []
            for i, modules in enumerate(self.down_blocks):
                x = self.run_level(modules, x, self.effnet_mappers[i], effnet, r_embed, clip)
                level_outputs.insert(0, x)
            x = level_outputs[0]
            for u, modules in enumerate(self.up_blocks):
                x = self.run_level(modules, x, self.effnet_mappers[n + u], effnet, r_embed, clip,
                                   level_outputs[u] if u > 0 else None)
            a, b = self.clf(x).chunk(2, dim=1)
            b = b.sigmoid() * (1 - 2e-3) + 1e-3
            return (x_in - a) / b

    class MixingResidualBlock(nn.Module):
        def __init__(self, c, c_hidden):
            super().__init__()
            self.norm1 = nn.LayerNorm(c, elementwise_affine=False, eps=1e-6)
            self.depthwise = nn.Sequential(ReplicationPad1(), nn.Conv2d(c, c, 3, groups=c))
            self.norm2 = nn.LayerNorm(c, elementwise_affine=False, eps=1e-6)
            self.channelwise = nn.Sequential(nn.Linear(c, c_hidden), nn.GELU(), nn.Linear(c_hidden, c))
            self.gammas = nn.Parameter(torch.full((6,), 0.1))

        def forward(self, x):
            g = self.gammas
            t = self.norm1(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) * (1 + g[0]) + g[1]
            x = x + self.depthwise(t) * g[2]
            t = self.norm2(x.permute(0, 2, 3, 1)) * (1 + g[3]) + g[4]
            return x + self.channelwise(t).permute(0, 3, 1, 2) * g[5]

    class PaellaVQModel(nn.Module):
        def __init__(self, in_channels, out_channels, up_down_scale_factor, levels, bottleneck_blocks, embed_dim,
                     latent_channels, num_vq_embeddings, scale_factor):
            super().__init__()
            c = [embed_dim // 2 ** (levels - 1 - i) for i in range(levels)]
            f = up_down_scale_factor
            self.in_block = nn.Sequential(nn.PixelUnshuffle(f), nn.Conv2d(in_channels * f * f, c[0], 1))
            down = []
            for i in range(levels):
                if i > 0:
                    down.append(nn.Conv2d(c[i - 1], c[i], 4, stride=2, padding=1))
                down.append(MixingResidualBlock(c[i], c[i] * 4))
            down.append(nn.Sequential(nn.Conv2d(c[-1], latent_channels, 1, bias=False), nn.BatchNorm2d(latent_channels)))
            self.down_blocks = nn.Sequential(*down)
            self.codebook = nn.Embedding(num_vq_embeddings, latent_channels)
            up = [nn.Sequential(nn.Conv2d(latent_channels, c[-1], 1))]
            for i in range(levels):
                for _ in range(bottleneck_blocks if i == 0 else 1):
                    up.append(MixingResidualBlock(c[levels - 1 - i], c[levels - 1 - i] * 4))
                if i < levels - 1:
                    up.append(ConvTranspose2d(c[levels - 1 - i], c[levels - 2 - i], 4, stride=2, padding=1))
            self.up_blocks = nn.Sequential(*up)
            self.out_block = nn.Sequential(nn.Conv2d(c[0], out_channels * f * f, 1), nn.PixelShuffle(f))

        def encode(self, x):
            return self.down_blocks(self.in_block(x))

        def decode(self, latents):
            return self.out_block(self.up_blocks(latents))

    class ClipTextModel(nn.Module):
        def __init__(self, vocab_size, hidden_size, intermediate_size, num_attention_heads, num_hidden_layers,
                     max_position_embeddings, layer_norm_eps):
            super().__init__()
            self.heads = num_attention_heads
            self.token_embedding = nn.Embedding(vocab_size, hidden_size)
            self.position_embedding = nn.Embedding(max_position_embeddings, hidden_size)
            self.layers = nn.ModuleList([nn.ModuleDict(dict(
                layer_norm1=nn.LayerNorm(hidden_size, eps=layer_norm_eps),
                q_proj=nn.Linear(hidden_size, hidden_size), k_proj=nn.Linear(hidden_size, hidden_size),
                v_proj=nn.Linear(hidden_size, hidden_size), out_proj=nn.Linear(hidden_size, hidden_size),
                layer_norm2=nn.LayerNorm(hidden_size, eps=layer_norm_eps),
                fc1=nn.Linear(hidden_size, intermediate_size), fc2=nn.Linear(intermediate_size, hidden_size),
            )) for _ in range(num_hidden_layers)])
            self.final_layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)

        def forward(self, ids, attention_mask):
            b, n = ids.shape
            h = self.token_embedding(ids) + self.position_embedding.weight[:n]
            dtype = h.dtype
            lowest = torch.finfo(dtype).min
            causal = torch.full((n, n), lowest, dtype=dtype).triu(1)
            mask = causal[None, None] + (1 - attention_mask[:, None, None, :].to(dtype)) * lowest
            d = h.shape[-1] // self.heads
            for layer in self.layers:
                x = layer["layer_norm1"](h)
                q = layer["q_proj"](x).view(b, n, self.heads, d).transpose(1, 2) * d ** -0.5
                k = layer["k_proj"](x).view(b, n, self.heads, d).transpose(1, 2)
                v = layer["v_proj"](x).view(b, n, self.heads, d).transpose(1, 2)
                p = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
                h = h + layer["out_proj"]((p @ v).transpose(1, 2).reshape(b, n, -1))
                h = h + layer["fc2"](F.gelu(layer["fc1"](layer["layer_norm2"](h))))
            return self.final_layer_norm(h)

    class DdpmWuerstchenScheduler:
        """SPEC §4 with s = 0.008, scaler = 1."""

        def __init__(self, timesteps, s=0.008):
            self.timesteps = torch.tensor(timesteps, dtype=torch.float32)
            self.s = torch.tensor([s])
            self.init = torch.cos(self.s / (1 + self.s) * math.pi * 0.5) ** 2

        def alpha_cumprod(self, t):
            return (torch.cos((t + self.s) / (1 + self.s) * math.pi * 0.5) ** 2 / self.init).clamp(0.0001, 0.9999)

        def step(self, eps, t, x, generator):
            index = int((self.timesteps - t[0]).abs().argmin())
            prev = self.timesteps[index + 1].expand(t.shape)
            a_t = self.alpha_cumprod(t).view(-1, 1, 1, 1)
            a_p = self.alpha_cumprod(prev).view(-1, 1, 1, 1)
            alpha = a_t / a_p
            mu = (1 / alpha).sqrt() * (x - (1 - alpha) * eps / (1 - a_t).sqrt())
            z = torch.randn(mu.shape, generator=generator, dtype=eps.dtype)
            sigma = ((1 - alpha) * (1 - a_p) / (1 - a_t)).sqrt()
            return (mu + sigma * z * (prev != 0).float().view(-1, 1, 1, 1)).to(eps.dtype)

    return dict(WuerstchenPrior=WuerstchenPrior, WuerstchenDiffNeXt=WuerstchenDiffNeXt, PaellaVQModel=PaellaVQModel,
                ClipTextModel=ClipTextModel, DdpmWuerstchenScheduler=DdpmWuerstchenScheduler)


# ---------------------------------------------------------------------------------------------------- workloads

def latent_sides(height, width):
    h_c, w_c = math.ceil(height / RESOLUTION_MULTIPLE), math.ceil(width / RESOLUTION_MULTIPLE)
    return h_c, w_c, int(h_c * LATENT_DIM_SCALE), int(w_c * LATENT_DIM_SCALE)


def empty_prompt(torch, batch):
    """The empty prompt's ids (BOS, EOS, EOS padding) and mask: CLIP's cost does not depend on the ids."""
    ids = torch.full((batch, TEXT_LENGTH), 49407, dtype=torch.long)
    ids[:, 0] = 49406
    mask = torch.zeros((batch, TEXT_LENGTH), dtype=torch.long)
    mask[:, :2] = 1
    return ids, mask


def build(cls, cfg, dtype):
    model = cls(**cfg).eval()
    return model.to(dtype)


def make_workload(args, m, torch, dtype):
    """(description, flops, build seconds, run) for one stage; run() returns the seconds spent building inside it."""
    g = torch.Generator().manual_seed(0)
    h_c, w_c, h_b, w_b = latent_sides(args.height, args.width)
    b = args.batch
    start = time.perf_counter()

    def randn(*shape):
        return torch.randn(shape, generator=g).to(dtype)

    def timed(forward):
        def run():
            forward()
            return 0.0
        return run

    if args.stage == "prior":
        model = build(m["WuerstchenPrior"], PRIOR, dtype)
        x, r, c = randn(b, 16, h_c, w_c), torch.full((b,), 0.5, dtype=dtype), randn(b, TEXT_LENGTH, PRIOR["c_cond"])
        return f"x {list(x.shape)}", flops_prior(PRIOR, b, h_c, w_c), time.perf_counter() - start, timed(lambda: model(x, r, c))
    if args.stage == "decoder":
        model = build(m["WuerstchenDiffNeXt"], DECODER, dtype)
        x, r = randn(b, 4, h_b, w_b), torch.full((b,), 0.5, dtype=dtype)
        effnet, clip = randn(b, 16, h_c, w_c), randn(b, TEXT_LENGTH, DECODER["clip_embd"])
        return f"x {list(x.shape)}", flops_decoder(DECODER, b, h_b, w_b), time.perf_counter() - start, \
            timed(lambda: model(x, r, effnet, clip))
    if args.stage in ("vq-decode", "vq-encode"):
        model = build(m["PaellaVQModel"], VQGAN, dtype)
        if args.stage == "vq-decode":
            latents = randn(b, 4, h_b, w_b)
            return f"latents {list(latents.shape)}", flops_vq_decode(VQGAN, b, h_b, w_b), time.perf_counter() - start, \
                timed(lambda: model.decode(latents))
        images = torch.full((b, 3, 4 * h_b, 4 * w_b), 0.5, dtype=dtype)
        return f"images {list(images.shape)}", flops_vq_encode(VQGAN, b, 4 * h_b, 4 * w_b), time.perf_counter() - start, \
            timed(lambda: model.encode(images))
    if args.stage in ("clip-bigg", "clip-h"):
        cfg = CLIP_BIGG if args.stage == "clip-bigg" else CLIP_H
        model = build(m["ClipTextModel"], cfg, dtype)
        ids, mask = empty_prompt(torch, b)
        return f"input_ids [{b}, {TEXT_LENGTH}]", flops_clip(cfg, b), time.perf_counter() - start, timed(lambda: model(ids, mask))
    return pipeline_workload(args, m, torch, dtype, h_c, w_c, h_b, w_b)


def pipeline_workload(args, m, torch, dtype, h_c, w_c, h_b, w_b):
    """A whole image as `wuerstchen bench --stage pipeline` makes it; each model built at its stage, then dropped."""
    n, decoder_steps = args.batch, 12
    prior_steps = len(STAGE_C_TIMESTEPS) - 1
    flops = flops_clip(CLIP_BIGG, 2) + prior_steps * flops_prior(PRIOR, 2 * n, h_c, w_c) + flops_clip(CLIP_H, 1) \
        + decoder_steps * flops_decoder(DECODER, n, h_b, w_b) + flops_vq_decode(VQGAN, n, h_b, w_b)
    parts = {}

    def run():
        building = 0.0
        g = torch.Generator().manual_seed(0)

        def stage(name, cls, cfg):
            nonlocal building
            start = time.perf_counter()
            model = build(cls, cfg, dtype)
            building += time.perf_counter() - start
            return model

        def part(name, fn):
            start = time.perf_counter()
            result = fn()
            parts[name] = time.perf_counter() - start
            return result

        def encode(name, cfg, batch):
            model = stage(name, m["ClipTextModel"], cfg)
            ids, mask = empty_prompt(torch, batch)
            out = part(name, lambda: model(ids, mask))
            del model
            return out

        cond = encode("clip-bigg", CLIP_BIGG, 2)  # [cond; uncond], both encoded
        cond = cond.repeat_interleave(n, dim=0)
        prior = stage("prior", m["WuerstchenPrior"], PRIOR)
        scheduler = m["DdpmWuerstchenScheduler"](STAGE_C_TIMESTEPS)
        x = torch.randn((n, 16, h_c, w_c), generator=g).to(dtype)

        def prior_loop():
            nonlocal x
            for t in scheduler.timesteps[:-1]:
                r = t.expand(n).to(dtype)
                eps_c, eps_u = prior(torch.cat([x, x]), torch.cat([r, r]), cond).chunk(2)
                x = scheduler.step(torch.lerp(eps_u, eps_c, 4.0), r, x, g)
            return x * 42.0 - 1.0

        effnet = part("prior", prior_loop)
        del prior
        clip = encode("clip-h", CLIP_H, 1).expand(n, -1, -1)
        decoder = stage("decoder", m["WuerstchenDiffNeXt"], DECODER)
        scheduler = m["DdpmWuerstchenScheduler"]([1.0 - i / decoder_steps for i in range(decoder_steps)] + [0.0])
        y = torch.randn((n, 4, h_b, w_b), generator=g).to(dtype)

        def decoder_loop():
            nonlocal y
            for t in scheduler.timesteps[:-1]:
                r = t.expand(n).to(dtype)
                y = scheduler.step(decoder(y, r, effnet, clip), r, y, g)
            return y

        y = part("decoder", decoder_loop)
        del decoder
        vqgan = stage("vq-decode", m["PaellaVQModel"], VQGAN)
        part("vq-decode", lambda: vqgan.decode(y * VQGAN["scale_factor"]).clamp(0, 1))
        return building

    description = f"{n} image(s) of {args.width}x{args.height}"
    return description, flops, 0.0, run, parts


def profile_shares(torch, run, top=8):
    """Share of self CPU time per aten op over one run (the rest summed as "other")."""
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    events = [(e.key, e.self_cpu_time_total) for e in prof.key_averages()]
    total = sum(t for _, t in events) or 1
    events.sort(key=lambda e: -e[1])
    shares = {k: round(t / total, 3) for k, t in events[:top]}
    shares["other"] = round(1 - sum(shares.values()), 3)
    return shares


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def run_one(args):
    """Times one stage in one dtype in this process and prints its JSON line."""
    import torch
    torch.set_num_threads(args.threads)
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    m = define_modules()
    with torch.inference_mode():
        workload = make_workload(args, m, torch, dtype)
        description, flops, build_s, run = workload[:4]
        parts = workload[4] if len(workload) > 4 else None
        print(f"{args.stage} ({args.dtype}): {description}; built in {build_s:.1f} s; {flops / 1e9:.1f} GFLOP per run", file=sys.stderr)
        warmup = args.warmup if args.warmup is not None else (0 if args.stage == "pipeline" else 1)
        reps = args.reps if args.reps is not None else (1 if args.stage == "pipeline" else 3)
        for i in range(warmup):
            start = time.perf_counter()
            building = run()
            print(f"  warm-up {i + 1}/{warmup}: {time.perf_counter() - start - building:.3f} s", file=sys.stderr)
        times = []
        for i in range(reps):
            start = time.perf_counter()
            building = run()
            times.append(time.perf_counter() - start - building)
            print(f"  run {i + 1}/{reps}: {times[-1]:.3f} s", file=sys.stderr)
        op_share = profile_shares(torch, run) if args.profile else None
    median = statistics.median(times)
    line = dict(stage=args.stage, median_s=round(median, 4), min_s=round(min(times), 4), gflops=round(flops / median / 1e9, 2),
                peak_rss_mb=round(peak_rss_mb(), 1), engine=f"torch {torch.__version__}", weights=args.dtype, compute=args.dtype,
                random_weights=True, blas=loaded_blas(), threads=torch.get_num_threads(), width=args.width, height=args.height, batch=args.batch,
                reps=reps, warmup=warmup, gflop=round(flops / 1e9, 3), build_s=round(build_s, 3), times_s=[round(t, 4) for t in times])
    if parts:
        line["parts_s"] = {k: round(v, 3) for k, v in parts.items()}
    if op_share:
        line["op_share"] = op_share
    if args.json:
        print(json.dumps(line), flush=True)
    else:
        print(f"{args.stage} ({args.dtype}): median {median:.3f} s, min {min(times):.3f} s over {reps} run(s); "
              f"{flops / 1e9:.1f} GFLOP -> {line['gflops']:.1f} GFLOP/s; peak RSS {line['peak_rss_mb']:.0f} MiB", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True, help=f"comma-separated, from: {', '.join(STAGES)}")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=1024)
    parser.add_argument("--batch", type=int, help="default: prior and clip-bigg 2 (guidance), the rest 1; pipeline: images per prompt")
    parser.add_argument("--reps", type=int, help="timed runs (default 3; pipeline 1)")
    parser.add_argument("--warmup", type=int, help="untimed runs first (default 1; pipeline 0)")
    parser.add_argument("--dtype", default="f32,bf16", help="comma-separated: f32, bf16 (weights and arithmetic)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, as `wuerstchen bench --json`")
    parser.add_argument("--blas", choices=["openblas", "system"], default="openblas",
                        help="float32 GEMM provider: OpenBLAS (default; unpacked privately if not installed) or the system's libblas.so.3")
    parser.add_argument("--profile", action="store_true",
                        help="add op_share: each aten op's share of self CPU time in one extra run (torch.profiler)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        run_one(args)
        return
    stages, dtypes = args.stage.split(","), args.dtype.split(",")
    for value, allowed, name in [(stages, STAGES, "--stage"), (dtypes, ["f32", "bf16"], "--dtype")]:
        bad = [v for v in value if v not in allowed]
        if bad:
            parser.error(f"{name}: unknown {', '.join(bad)}; expected {', '.join(allowed)}")
    ensure_torch()
    env = blas_environment(args.blas, args.threads)
    failed = False
    for stage in stages:
        for dtype in dtypes:
            batch = args.batch or (2 if stage in ("prior", "clip-bigg") else 1)
            child = [sys.executable, os.path.abspath(__file__), "--child", "--stage", stage, "--dtype", dtype,
                     "--width", str(args.width), "--height", str(args.height), "--batch", str(batch), "--threads", str(args.threads)]
            child += ["--reps", str(args.reps)] if args.reps is not None else []
            child += ["--warmup", str(args.warmup)] if args.warmup is not None else []
            child += ["--json"] if args.json else []
            child += ["--profile"] if args.profile else []
            failed |= subprocess.run(child, env=env).returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
