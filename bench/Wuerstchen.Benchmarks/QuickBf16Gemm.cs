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
        ("stage C mlp out", 1152, 1536, 6144),
        ("stage C attention proj", 1152, 1536, 1536),
        ("stage B mlp", 4096, 5120, 1280),
        ("stage B level-0 mlp in", 16384, 1280, 320),
        ("stage B level-0 mlp out", 16384, 320, 1280),
        ("clip fc1 ×2", 154, 5120, 1280),
    ];

    public static void Run(string[] args)
    {
        int rounds = Option(args, "--rounds") is { } r ? int.Parse(r) : 10;
        int[] threadCounts = Option(args, "--threads") is { } t ? [.. t.Split(',').Select(int.Parse)] : [1, 2];
        var kernel = Option(args, "--kernel") is { } k ? Enum.Parse<Bf16KernelChoice>(k, ignoreCase: true) : Bf16KernelChoice.Auto;
        if (args.Contains("--micro")) { Micro(); return; }
        // --cold N: the bf16 packed column cycles through N copies of the weight, as a forward that reads every layer's
        // weight once (the default, one copy, keeps it in cache from the previous round).
        int copies = Option(args, "--cold") is { } cold ? int.Parse(cold) : 1;
        Console.WriteLine($"bf16 kernel: {(kernel == Bf16KernelChoice.Auto ? Bf16Gemm.KernelDescription : kernel.ToString())}; fp32 kernel: {GemmIsaInfo.Best}; load average: {Load()}");
        Console.WriteLine();
        // GFLOP/s from wall-clock time, and in brackets GFLOP per CPU-second (what the code does while it holds a core:
        // the robust figure on a loaded machine, compare it with threads × per-core peak).
        Console.WriteLine($"| {"shape (C = A·Wᵀ)",-30} | threads | {"fp32 packed",-14} | {"bf16 packed",-14} | {"bf16 per-call",-14} | speed-up (CPU) |");
        Console.WriteLine($"|{new string('-', 32)}|---------|{new string('-', 16)}|{new string('-', 16)}|{new string('-', 16)}|----------------|");
        foreach (var (name, m, n, kk) in Shapes)
        {
            float* a = Allocate((long)m * kk, 1), w = Allocate((long)n * kk, 2), c = Allocate((long)m * n, 3);
            Bf16PackedB[] bf16 = [];
            try
            {
                using var f32 = GemmPackedB.Pack(true, kk, n, w, kk);
                bf16 = [.. Enumerable.Range(0, copies).Select(_ => Bf16PackedB.Pack(true, kk, n, w, kk))];
                int next = 0;
                double flops = 2.0 * m * n * kk;
                foreach (int threads in threadCounts)
                {
                    Threads.Count = threads;
                    var tf = Best(rounds, () => Gemm.Sgemm(false, m, 1f, a, kk, f32, 0f, c, n));
                    var tb = Best(rounds, () => Bf16Gemm.Gemm(m, a, kk, bf16[next++ % copies], c, n, null, kernel));
                    var tc = Best(rounds, () => Bf16Gemm.Gemm(true, m, n, kk, a, kk, w, kk, c, n, null, kernel));
                    string Rate((double Wall, double Cpu) t) => $"{flops / t.Wall / 1e9,5:F1} ({flops / t.Cpu / 1e9,5:F1})";
                    Console.WriteLine($"| {$"{name} {m}×{n}×{kk}",-30} | {threads,7} | {Rate(tf),-14} | {Rate(tb),-14} | {Rate(tc),-14} | {tf.Wall / tb.Wall,5:F2}× ({tf.Cpu / tb.Cpu,4:F2}×) |");
                }
            }
            finally
            {
                foreach (var packed in bf16) packed.Dispose();
                NativeMemory.AlignedFree(a);
                NativeMemory.AlignedFree(w);
                NativeMemory.AlignedFree(c);
            }
        }
        Console.WriteLine($"load average after: {Load()}");
    }

    /// <summary>
    /// The 12×32 micro-kernel alone, operands in L1 (a 12×768-deep A panel and a 32×768 B panel, 36 + 96 KB… B in L2):
    /// its ceiling, against which the GEMM's figures are read.
    /// </summary>
    private static void Micro()
    {
        const int pairs = 384, calls = 2000;
        var a = (uint*)NativeMemory.AlignedAlloc(12 * pairs * 4, 64);
        var b = (uint*)NativeMemory.AlignedAlloc(32 * pairs * 4, 64);
        var c = (float*)NativeMemory.AlignedAlloc(12 * 32 * 4, 64);
        for (int i = 0; i < 12 * pairs; i++) a[i] = 0x3F80_3F80;
        for (int i = 0; i < 32 * pairs; i++) b[i] = 0x3F80_3F80;
        new Span<float>(c, 12 * 32).Clear();
        foreach (var (name, run) in new (string, Action)[]
        {
            ("jit", () => { for (int i = 0; i < calls; i++) Bf16JitKernel.Run(12, pairs, a, b, c, 32, c, 32); }),
            ("managed", () => { for (int i = 0; i < calls / 20; i++) Bf16ManagedKernel.Run(12, pairs, a, b, c, 32, c, 32); }),
        })
        {
            var (wall, cpu) = Best(10, run);
            double flops = 2.0 * 12 * 32 * 2 * pairs * (name == "jit" ? calls : calls / 20);
            Console.WriteLine($"micro-kernel {name}: {flops / wall / 1e9:F1} GFLOP/s wall, {flops / cpu / 1e9:F1} GFLOP/CPU-s");
        }
    }

    /// <summary>Fastest wall-clock and fastest CPU seconds of one call over <paramref name="rounds"/> calls, after a warm-up.</summary>
    private static (double Wall, double Cpu) Best(int rounds, Action run)
    {
        run();
        double wall = double.MaxValue, cpu = double.MaxValue;
        for (int i = 0; i < rounds; i++)
        {
            double cpu0 = CpuClock.Seconds();
            var sw = Stopwatch.StartNew();
            run();
            wall = Math.Min(wall, sw.Elapsed.TotalSeconds);
            cpu = Math.Min(cpu, CpuClock.Seconds() - cpu0);
        }
        return (wall, cpu);
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
