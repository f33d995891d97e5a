using System.Diagnostics;
using System.Globalization;
using Wuerstchen.Kernels;
using Wuerstchen.Models;
using Wuerstchen.Models.Weights;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// `-- stage prior|decoder`: forwards of a real-size model with random weights, each reported with what the
/// wall clock hides on a shared machine: process CPU seconds, the thread pool's counters (regions, polling time,
/// blocking waits), managed bytes allocated and the storage pool's cached bytes. The first forward warms the
/// JIT and the pool; the later ones show a steady-state denoising step.
/// </summary>
public static class QuickStage
{
    public static void Run(string[] args)
    {
        string stage = args.Length > 0 ? args[0] : "prior";
        int reps = 3, side = 1024;
        for (int i = 1; i < args.Length - 1; i++)
            if (args[i] == "--threads") Threads.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--reps") reps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--size") side = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        var inputs = new TorchGenerator(0);
        int hC = (int)Math.Ceiling(side / 42.67), hB = (int)(10.67 * hC);
        Func<Tensor> forward;
        IDisposable[] owned;
        var build = Stopwatch.StartNew();
        using (var ws = WeightSource.Random(0))
        {
            if (stage == "prior")
            {
                var config = PriorPipelineConfig.WarpAi.Prior;
                var model = new WuerstchenPrior(config, ws.Scope("prior"));
                var x = inputs.Randn(2, config.CIn, hC, hC);
                var r = Tensor.Full(0.5f, 2);
                var c = inputs.Randn(2, 77, config.CCond);
                forward = () => model.Forward(x, r, c);
                owned = [model, x, r, c];
            }
            else if (stage == "decoder")
            {
                var config = DecoderPipelineConfig.WarpAi.Decoder;
                var model = new WuerstchenDiffNeXt(config, ws.Scope("decoder"));
                var x = inputs.Randn(1, config.CIn, hB, hB);
                var r = Tensor.Full(0.5f, 1);
                var effnet = inputs.Randn(1, config.EffnetEmbd, hC, hC);
                var clip = inputs.Randn(1, 77, config.ClipEmbd);
                forward = () => model.Forward(x, r, effnet, clip);
                owned = [model, x, r, effnet, clip];
            }
            else throw new ArgumentException($"stage must be prior or decoder, got '{stage}'.");
        }
        Console.WriteLine($"{stage} at {side}², {Threads.Count} threads, built in {build.Elapsed.TotalSeconds:F1} s");
        for (int rep = 0; rep <= reps; rep++)
        {
            var stats0 = Threads.Statistics;
            long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            double cpu0 = CpuClock.Seconds();
            long t0 = Stopwatch.GetTimestamp();
            forward().Dispose();
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds, cpu = CpuClock.Seconds() - cpu0;
            long alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
            var s = Threads.Statistics - stats0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(rep == 0 ? "warm-up" : $"run {rep}"),-8} {wall,7:F2} s wall {cpu,7:F2} CPU-s | {s.Regions} regions, " +
                $"worker polling {s.WorkerWaitSeconds:F2} s, caller waiting {s.CallerWaitSeconds:F2} s + blocked {s.CallerBlockedSeconds:F2} s, blocks {s.WorkerBlocks}+{s.CallerBlocks}, " +
                $"revoked {s.Revoked} | managed {alloc / 1e6:F1} MB | pool {StoragePool.CachedBytes / 1e6:F0} MB cached | peak RSS {PeakRssMb()} MB"));
        }
        foreach (var d in owned) d.Dispose();
    }

    private static long PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        return -1;
    }
}
