using System.Diagnostics;
using System.Runtime.InteropServices;
using Wuerstchen.Kernels;

namespace Wuerstchen.Benchmarks;

/// <summary>Operands for one <see cref="GemmShape"/> in native memory, and a timed call.</summary>
public sealed unsafe class GemmRunner : IDisposable
{
    private readonly GemmShape _shape;
    private readonly float* _a, _b, _c;
    private readonly GemmPackedB? _packed;
    private readonly GemmIsa? _isa;

    /// <summary>Operands for <paramref name="shape"/>; <paramref name="isa"/> forces a kernel (default: the best one).</summary>
    internal GemmRunner(GemmShape shape, GemmIsa? isa)
    {
        _shape = shape;
        _isa = isa;
        _a = Allocate((long)shape.M * shape.K, 1);
        _b = Allocate((long)shape.K * shape.N, 2);
        _c = Allocate((long)shape.M * shape.N, 3);
        if (shape.Packed) _packed = GemmPackedB.Pack(shape.TransB, shape.K, shape.N, _b, shape.TransB ? shape.K : shape.N, isa ?? GemmIsaInfo.Best);
    }

    public GemmRunner(GemmShape shape) : this(shape, null) { }

    private static float* Allocate(long count, int seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        var rng = new Random(seed);
        for (long i = 0; i < count; i++) p[i] = (float)(rng.NextDouble() - 0.5);
        return p;
    }

    public void Run()
    {
        var s = _shape;
        if (_packed is not null) Gemm.Sgemm(false, s.M, 1f, _a, s.K, _packed, 0f, _c, s.N);
        else if (_isa is null) Gemm.Sgemm(false, s.TransB, s.M, s.N, s.K, 1f, _a, s.K, _b, s.TransB ? s.K : s.N, 0f, _c, s.N);
        else Gemm.Run(new GemmProblem(false, s.TransB, s.M, s.N, s.K, 1f, _a, s.K, _b, s.TransB ? s.K : s.N, 0f, _c, s.N, null, null),
            new GemmOptions(_isa));
    }

    /// <summary>
    /// Fastest wall-clock and fastest CPU seconds per call over <paramref name="rounds"/> rounds of at least
    /// <paramref name="minSeconds"/> (at least one call) each, after a warm-up call. Many short rounds
    /// are the best estimate on a shared machine: the minimum comes from the rounds nobody interrupted.
    /// </summary>
    public (double Wall, double Cpu) BestSeconds(int rounds, double minSeconds)
    {
        Run();
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            int calls = 0;
            double cpu0 = CpuClock.Seconds();
            var sw = Stopwatch.StartNew();
            do { Run(); calls++; } while (sw.Elapsed.TotalSeconds < minSeconds);
            double wall = sw.Elapsed.TotalSeconds / calls;
            double cpu = (CpuClock.Seconds() - cpu0) / calls;
            bestWall = Math.Min(bestWall, wall);
            bestCpu = Math.Min(bestCpu, cpu);
        }
        return (bestWall, bestCpu);
    }

    public void Dispose()
    {
        _packed?.Dispose();
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }
}
