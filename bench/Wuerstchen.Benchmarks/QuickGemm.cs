using Wuerstchen.Kernels;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// `-- gemm`: the FMA peak on 1 and 2 threads, then GFLOP/s and % of that peak for every standard shape.
/// Each figure is the best of several rounds, because other processes share the cores.
/// </summary>
public static class QuickGemm
{
    public static void Run(string[] args)
    {
        int repeats = IntOption(args, "--rounds", 20);
        double minSeconds = IntOption(args, "--min-ms", 0) / 1000.0;
        string? only = StringOption(args, "--only");
        int[] threadCounts = StringOption(args, "--threads") is { } t ? [.. t.Split(',').Select(int.Parse)] : [1, 2];

        GemmIsa? isa = StringOption(args, "--isa") is { } name ? Enum.Parse<GemmIsa>(name, ignoreCase: true) : null;
        Console.WriteLine($"GEMM kernel: {isa ?? GemmIsaInfo.Best}; load average: {LoadAverage()}");
        var peak = threadCounts.ToDictionary(n => n, n => FmaPeak.Measure(n));
        foreach (var (n, gflops) in peak) Console.WriteLine($"FMA peak, {n} thread(s): {gflops:F1} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine($"| {"shape",-44} | threads | {"ms",8} | GFLOP/s | % peak | GFLOP/CPU-s |");
        Console.WriteLine($"|{new string('-', 46)}|---------|{new string('-', 10)}|---------|--------|-------------|");
        var shapes = StringOption(args, "--shape") is { } custom ? [GemmShape.Parse(custom)] : GemmShape.Standard;
        foreach (var shape in shapes)
        {
            if (only is not null && !shape.ToString().Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            using var runner = new GemmRunner(shape, isa);
            foreach (int threads in threadCounts)
            {
                Threads.Count = threads;
                var (seconds, cpuSeconds) = runner.BestSeconds(repeats, minSeconds);
                double gflops = shape.Flops / seconds / 1e9;
                Console.WriteLine($"| {shape,-44} | {threads,7} | {seconds * 1e3,8:F2} | {gflops,7:F1} | {100 * gflops / peak[threads],5:F1}% | {shape.Flops / cpuSeconds / 1e9,11:F1} |");
            }
        }
        Console.WriteLine($"load average after: {LoadAverage()}");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int IntOption(string[] args, string name, int fallback) =>
        StringOption(args, name) is { } v ? int.Parse(v) : fallback;

    private static string? StringOption(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
