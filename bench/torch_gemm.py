#!/usr/bin/env python3
"""PyTorch's fp32 CPU GEMM on the shapes of `Wuerstchen.Benchmarks -- gemm`, for comparison.

    /usr/bin/python3 bench/torch_gemm.py [--threads 1,2] [--rounds 20]

Square: torch.matmul(a, b). Linear shapes: torch.nn.functional.linear(x, w) with w stored [N, K], as the
models call it. Like the C# benchmark, each figure is the fastest of several rounds (wall clock) and
GFLOP/CPU-s divides by the process CPU time of the fastest-CPU round, since other work shares the cores.
"""
import argparse
import time

import torch
import torch.nn.functional as F

SHAPES = [  # name, M, N, K, B stored as a Linear weight [N, K]
    ("square", 2048, 2048, 2048, False),
    ("stage C mlp", 1152, 6144, 1536, True),
    ("stage B mlp", 4096, 5120, 1280, True),
    ("clip fc1 ×1", 77, 5120, 1280, True),
    ("clip fc1 ×2", 154, 5120, 1280, True),
    ("clip fc2 ×1", 77, 1280, 5120, True),
    ("clip fc2 ×2", 154, 1280, 5120, True),
]


def best_seconds(fn, rounds):
    fn()
    wall, cpu = float("inf"), float("inf")
    for _ in range(rounds):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    blas = next((l.split("BLAS_INFO=")[1].split(",")[0] for l in torch.__config__.show().splitlines() if "BLAS_INFO=" in l), "?")
    print(f"torch {torch.__version__}, BLAS_INFO={blas}; {torch.__config__.parallel_info().splitlines()[0]}")
    print(f"| {'shape':<36} | threads | {'ms':>8} | GFLOP/s | GFLOP/CPU-s |")
    print(f"|{'-' * 38}|---------|{'-' * 10}|---------|-------------|")
    for name, m, n, k, linear in SHAPES:
        a = torch.rand(m, k) - 0.5
        b = torch.rand(n, k) - 0.5 if linear else torch.rand(k, n) - 0.5
        fn = (lambda: F.linear(a, b)) if linear else (lambda: torch.matmul(a, b))
        for threads in [int(t) for t in args.threads.split(",")]:
            torch.set_num_threads(threads)
            wall, cpu = best_seconds(fn, args.rounds)
            flops = 2.0 * m * n * k
            label = f"{name} M={m} N={n} K={k}{' ·Wᵀ' if linear else ''}"
            print(flush=True, end="")
            print(f"| {label:<36} | {threads:>7} | {wall * 1e3:8.2f} | {flops / wall / 1e9:7.1f} | {flops / cpu / 1e9:11.1f} |")


if __name__ == "__main__":
    main()
