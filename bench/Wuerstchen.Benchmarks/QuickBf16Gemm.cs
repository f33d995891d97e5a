using System.Diagnostics;
using System.Runtime.InteropServices;
using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// `-- gemm-bf16`: the reduced-precision GEMM against the fp32 one on the models' Linear shapes, 1 and 2
/// threads, best of several rounds: fp32 with the weight prepacked (the fastest fp32 form), bf16 with the
/// weight prepacked as bf16 panels (--weights bf16 --compute reduced) and bf16 rounding fp32 B per call
/// (--compute reduced with fp32 weights).
/// </summary>
public static unsafe class QuickBf16Gemm
{
    private static readonly (string Name, int M, int N, int K)[] Shapes =
    [
        ("stage C mlp", 1152, 6144, 1536),
        ("stage B mlp", 4096, 5120, 1280),
        ("clip fc1 ×2", 154, 5120, 1280),
    ];

    public static void Run(string[] args)
    {
        int rounds = Option(args, "--rounds") is { } r ? int.Parse(r) : 10;
        int[] threadCounts = Option(args, "--threads") is { } t ? [.. t.Split(',').Select(int.Parse)] : [1, 2];
        var kernel = Option(args, "--kernel") is { } k ? Enum.Parse<Bf16KernelChoice>(k, ignoreCase: true) : Bf16KernelChoice.Auto;
        Console.WriteLine($"bf16 kernel: {(kernel == Bf16KernelChoice.Auto ? Bf16Gemm.KernelDescription : kernel.ToString())}; fp32 kernel: {GemmIsaInfo.Best}; load average: {Load()}");
        Console.WriteLine();
        Console.WriteLine($"| {"shape (C = A·Wᵀ)",-32} | threads | fp32 packed GFLOP/s | bf16 packed GFLOP/s | bf16 per-call GFLOP/s | speed-up |");
        Console.WriteLine($"|{new string('-', 34)}|---------|---------------------|---------------------|-----------------------|----------|");
        foreach (var (name, m, n, kk) in Shapes)
        {
            float* a = Allocate((long)m * kk, 1), w = Allocate((long)n * kk, 2), c = Allocate((long)m * n, 3);
            try
            {
                using var f32 = GemmPackedB.Pack(true, kk, n, w, kk);
                using var bf16 = Bf16PackedB.Pack(true, kk, n, w, kk);
                double flops = 2.0 * m * n * kk;
                foreach (int threads in threadCounts)
                {
                    Threads.Count = threads;
                    double tf = Best(rounds, () => Gemm.Sgemm(false, m, 1f, a, kk, f32, 0f, c, n));
                    double tb = Best(rounds, () => Bf16Gemm.Gemm(m, a, kk, bf16, c, n, null, kernel));
                    double tc = Best(rounds, () => Bf16Gemm.Gemm(true, m, n, kk, a, kk, w, kk, c, n, null, kernel));
                    Console.WriteLine($"| {$"{name} {m}×{n}×{kk}",-32} | {threads,7} | {flops / tf / 1e9,19:F1} | {flops / tb / 1e9,19:F1} | {flops / tc / 1e9,21:F1} | {tf / tb,7:F2}× |");
                }
            }
            finally
            {
                NativeMemory.AlignedFree(a);
                NativeMemory.AlignedFree(w);
                NativeMemory.AlignedFree(c);
            }
        }
        Console.WriteLine($"load average after: {Load()}");
    }

    private static double Best(int rounds, Action run)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < rounds; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static float* Allocate(long count, int seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        var rng = new Random(seed);
        for (long i = 0; i < count; i++) p[i] = (float)(rng.NextDouble() - 0.5);
        return p;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
