using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// The machine's fp32 FMA peak: 24 independent Vector512 FMA chains (enough to hide the FMA latency on any
/// core with one or two 512-bit pipes), timed on 1..n threads. The GEMM figures are quoted against this.
/// </summary>
public static class FmaPeak
{
    public const long DefaultIterations = 4_000_000;

    /// <summary>Flops one thread performs in <paramref name="iterations"/> iterations of the loop (24 FMAs of 16 lanes).</summary>
    public static double FlopsPerThread(long iterations) => iterations * 24.0 * 2 * Vector512<float>.Count;

    /// <summary>Best-of-<paramref name="repeats"/> GFLOP/s with <paramref name="threads"/> threads each running the loop.</summary>
    public static double Measure(int threads, int repeats = 30, long iterations = DefaultIterations)
    {
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            if (threads == 1) Chains(iterations);
            else
            {
                var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => Chains(iterations))).ToArray();
                foreach (var w in workers) w.Start();
                foreach (var w in workers) w.Join();
            }
            double seconds = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, threads * FlopsPerThread(iterations) / seconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations)
    {
        var a = Vector512.Create(1.0000001f);
        var b = Vector512.Create(0.9999999f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f),
            c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f),
            c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f),
            c12 = Vector512.Create(12f), c13 = Vector512.Create(13f), c14 = Vector512.Create(14f), c15 = Vector512.Create(15f),
            c16 = Vector512.Create(16f), c17 = Vector512.Create(17f), c18 = Vector512.Create(18f), c19 = Vector512.Create(19f),
            c20 = Vector512.Create(20f), c21 = Vector512.Create(21f), c22 = Vector512.Create(22f), c23 = Vector512.Create(23f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, b, c0); c1 = Vector512.FusedMultiplyAdd(a, b, c1);
            c2 = Vector512.FusedMultiplyAdd(a, b, c2); c3 = Vector512.FusedMultiplyAdd(a, b, c3);
            c4 = Vector512.FusedMultiplyAdd(a, b, c4); c5 = Vector512.FusedMultiplyAdd(a, b, c5);
            c6 = Vector512.FusedMultiplyAdd(a, b, c6); c7 = Vector512.FusedMultiplyAdd(a, b, c7);
            c8 = Vector512.FusedMultiplyAdd(a, b, c8); c9 = Vector512.FusedMultiplyAdd(a, b, c9);
            c10 = Vector512.FusedMultiplyAdd(a, b, c10); c11 = Vector512.FusedMultiplyAdd(a, b, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b, c12); c13 = Vector512.FusedMultiplyAdd(a, b, c13);
            c14 = Vector512.FusedMultiplyAdd(a, b, c14); c15 = Vector512.FusedMultiplyAdd(a, b, c15);
            c16 = Vector512.FusedMultiplyAdd(a, b, c16); c17 = Vector512.FusedMultiplyAdd(a, b, c17);
            c18 = Vector512.FusedMultiplyAdd(a, b, c18); c19 = Vector512.FusedMultiplyAdd(a, b, c19);
            c20 = Vector512.FusedMultiplyAdd(a, b, c20); c21 = Vector512.FusedMultiplyAdd(a, b, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b, c22); c23 = Vector512.FusedMultiplyAdd(a, b, c23);
        }
        // Sum the chains so the loop is not dead code.
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
            + c12 + c13 + c14 + c15 + c16 + c17 + c18 + c19 + c20 + c21 + c22 + c23);
    }
}
