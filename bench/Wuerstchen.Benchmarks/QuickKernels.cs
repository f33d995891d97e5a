using System.Diagnostics;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// `-- kernels`: the non-GEMM kernels on the shapes of the real models (1024² image): depthwise 3×3 (Stage C,
/// NCHW and channels-last), Stage A's strided 4×4 convolution (NCHW route and channels-last), Stage B's 4096-token and
/// Stage C's 576-token attention (float32 and bf16), layer norm, GELU, GRN. Best of N rounds, with
/// GFLOP/s where the op is arithmetic-bound and GB/s (bytes read + written) where it is memory-bound, per wall
/// second and per CPU second of the process (the latter is what a loaded machine cannot distort).
/// </summary>
public static class QuickKernels
{
    public static void Run(string[] args)
    {
        int rounds = 5;
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--threads") Threads.Count = int.Parse(args[i + 1]);
            else if (args[i] == "--rounds") rounds = int.Parse(args[i + 1]);
        Console.WriteLine($"threads {Threads.Count}, best of {rounds} rounds");
        var rng = new System.Random(1);

        using (var x = Fill(rng, 2, 1536, 24, 24))
        using (var w = Fill(rng, 1536, 1, 3, 3))
        using (var b = Fill(rng, 1536))
        {
            double flops = 2.0 * 2 * 1536 * 24 * 24 * 9;
            Report("depthwise 3×3 NCHW [2,1536,24,24]", rounds, () => Ops.Conv2d(x, w, b, padding: (1, 1), groups: 1536), flops, 0);
            using var xl = Ops.ToChannelsLast(x);
            Report("depthwise 3×3 NHWC [2,24,24,1536]", rounds, () => Ops.DepthwiseConv2dChannelsLast(xl, w, b, 1, PadMode.Zeros), flops, 0);
        }

        using (var x = Fill(rng, 1, 256, 512, 192))
        using (var w = Fill(rng, 384, 192, 4, 4))
        using (var b = Fill(rng, 384))
        {
            // Stage A's encoder downsampler, 4×4 stride 2, 192 → 384 channels, on half of a 1024² image's 512² level.
            double flops = 2.0 * 128 * 256 * 384 * 192 * 16;
            Report("conv 4×4 s2 via NCHW [1,256,512,192]", Math.Min(rounds, 3), () =>
            {
                using var nchw = Ops.ToChannelsFirst(x);
                using var y = Ops.Conv2d(nchw, w, b, stride: (2, 2), padding: (1, 1));
                return Ops.ToChannelsLast(y);
            }, flops, 0);
            Report("conv 4×4 s2 channels-last", Math.Min(rounds, 3), () => Ops.Conv2dChannelsLast(x, w, b, 2, 1), flops, 0);
        }

        using (var q = Fill(rng, 1, 4096, 640))
        using (var kv = Fill(rng, 1, 4096 + 77, 640))
        {
            // Stage B level 1 at 1024²: 64² = 4096 query tokens, keys/values = 4096 image + 77 text tokens, 10 heads × 64.
            double flops = 2.0 * 2 * 10 * 4096.0 * (4096 + 77) * 64;
            Report("attention 4096×4173, 10 heads × 64", rounds, () => Ops.ScaledDotProductAttention(q, kv, kv, heads: 10), flops, 0);
            using (Precision.Use(ComputePrecision.Reduced))
                Report("  bf16 (--compute reduced)", rounds, () => Ops.ScaledDotProductAttention(q, kv, kv, heads: 10), flops, 0);
        }

        using (var q = Fill(rng, 2, 576, 1536))
        using (var kv = Fill(rng, 2, 576 + 77, 1536))
        {
            // Stage C at 1024², batch 2 (guidance): 24² = 576 query tokens, keys/values = 576 + 77 text tokens, 24 heads × 64.
            double flops = 2.0 * 2 * 2 * 24 * 576.0 * (576 + 77) * 64;
            Report("attention 2×576×653, 24 heads × 64", rounds, () => Ops.ScaledDotProductAttention(q, kv, kv, heads: 24), flops, 0);
            using (Precision.Use(ComputePrecision.Reduced))
                Report("  bf16 (--compute reduced)", rounds, () => Ops.ScaledDotProductAttention(q, kv, kv, heads: 24), flops, 0);
        }

        using (var h = Fill(rng, 4096, 1280))
        {
            double bytes = 2.0 * 4 * h.Numel;
            Report("layer norm [4096,1280]", rounds, () => Ops.LayerNorm(h, null, null, 1e-6f), 0, bytes);
        }
        using (var g = Fill(rng, 4096, 5120))
        {
            double bytes = 2.0 * 4 * g.Numel;
            Report("GELU (erf) [4096,5120]", rounds, () => Ops.Gelu(g), 0, bytes);
            Report("ReLU [4096,5120] (memory-bound reference)", rounds, () => Ops.Relu(g), 0, bytes);
            using var gamma = Fill(rng, 1, 1, 1, 5120);
            using var beta = Fill(rng, 1, 1, 1, 5120);
            using var grnIn = g.Reshape(1, 64, 64, 5120);
            Report("GRN [1,64,64,5120]", rounds, () => Ops.GlobalResponseNorm(grnIn, gamma, beta), 0, 3.0 * 4 * g.Numel);
        }
    }

    private static Tensor Fill(System.Random rng, params int[] shape)
    {
        var t = Tensor.Empty(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static void Report(string name, int rounds, Func<Tensor> op, double flops, double bytes)
    {
        // Warm-up: the JIT compiles hot methods twice (quick code first, optimised code in the background after 30
        // calls and a 100 ms quiet period), so a kernel timed on its first calls measures the quick code.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 40 && warm.Elapsed.TotalSeconds < 1.5; i++) op().Dispose();
        Thread.Sleep(300);
        op().Dispose();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            double c0 = CpuClock.Seconds();
            long t0 = Stopwatch.GetTimestamp();
            op().Dispose();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            bestCpu = Math.Min(bestCpu, CpuClock.Seconds() - c0);
        }
        string rate = flops > 0 ? $"{flops / best / 1e9,8:F1} GFLOP/s" : $"{bytes / best / 1e9,8:F1} GB/s";
        // CPU seconds of the process (all threads): under load the wall clock counts other jobs' time, this does not.
        string cpuRate = flops > 0 ? $"{flops / bestCpu / 1e9,8:F1} GFLOP/CPU-s" : $"{bytes / bestCpu / 1e9,8:F1} GB/CPU-s";
        Console.WriteLine($"{name,-40} {best * 1e3,9:F2} ms {rate}  {bestCpu * 1e3,9:F2} CPU-ms {cpuRate}");
    }
}
