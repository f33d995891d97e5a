using System.Globalization;
using System.Text.Json;
using Wuerstchen.Kernels.Bf16;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>The measurement of one stage: per-run seconds (model building excluded), FLOPs and peak memory.</summary>
public sealed record BenchResult
{
    public required BenchStage Stage { get; init; }
    public required IReadOnlyList<double> Seconds { get; init; }
    public required long Flops { get; init; }
    public required double BuildSeconds { get; init; }

    /// <summary>Peak resident set of the process (VmHWM) in MiB; null where /proc is not available.</summary>
    public double? PeakRssMb { get; init; }

    /// <summary>Resident set (VmRSS) in MiB right after the model was built: weights and runtime, before any activation.</summary>
    public double? BuiltRssMb { get; init; }

    public required int Threads { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int Batch { get; init; }
    public required int Warmup { get; init; }
    public required bool RandomWeights { get; init; }
    public WeightPrecision Weights { get; init; } = WeightPrecision.F32;
    public ComputePrecision Compute { get; init; } = ComputePrecision.F32;

    /// <summary>Seconds per pipeline part (clip-bigg, prior, clip-h, decoder, vq-decode, other) of the last run; pipeline only.</summary>
    public IReadOnlyDictionary<string, double>? Parts { get; init; }

    public double MedianSeconds
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            int m = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        }
    }

    public double MinSeconds => Seconds.Min();

    /// <summary>Achieved arithmetic rate at the median time: FLOPs / median seconds / 10⁹.</summary>
    public double Gflops => Flops / MedianSeconds / 1e9;

    /// <summary>
    /// One JSON object: the fields <c>stage, median_s, min_s, gflops, peak_rss_mb</c> that scripts/bench_compare.sh
    /// reads (the same as scripts/bench_torch.py prints), then the run's parameters.
    /// </summary>
    public string ToJsonLine()
    {
        var fields = new Dictionary<string, object?>
        {
            ["stage"] = Stage.Name(),
            ["median_s"] = Round(MedianSeconds, 6),      // µs: gflops, from the exact median, must agree with it even for ms forwards
            ["min_s"] = Round(MinSeconds, 6),
            ["gflops"] = Round(Gflops, 2),
            ["peak_rss_mb"] = PeakRssMb is double rss ? Round(rss, 1) : null,
            ["engine"] = "wuerstchen.net",
            ["weights"] = Weights == WeightPrecision.Bf16 ? "bf16" : "f32",
            ["compute"] = Compute == ComputePrecision.Reduced ? "reduced" : "f32",
            ["random_weights"] = RandomWeights,
            ["threads"] = Threads,
            ["width"] = Width,
            ["height"] = Height,
            ["batch"] = Batch,
            ["reps"] = Seconds.Count,
            ["warmup"] = Warmup,
            ["gflop"] = Round(Flops / 1e9, 3),
            ["build_s"] = Round(BuildSeconds, 3),
            ["built_rss_mb"] = BuiltRssMb is double built ? Round(built, 1) : null,
            ["times_s"] = Seconds.Select(t => Round(t, 6)).ToArray(),
        };
        if (Parts != null) fields["parts_s"] = Parts.ToDictionary(p => p.Key, p => Round(p.Value, 3));
        return JsonSerializer.Serialize(fields);
    }

    /// <summary>"weights f32, compute f32", naming the bf16 kernel when reduced compute runs.</summary>
    public static string PrecisionText(WeightPrecision weights, ComputePrecision compute) =>
        $"weights {(weights == WeightPrecision.Bf16 ? "bf16" : "f32")}, compute " +
        (compute == ComputePrecision.Reduced ? $"reduced: {Bf16Gemm.KernelDescription}" : "f32");

    /// <summary>Human-readable lines.</summary>
    public IEnumerable<string> ToText()
    {
        var c = CultureInfo.InvariantCulture;
        string built = BuiltRssMb is double b ? " (" + b.ToString("F0", c) + " MiB once built)" : "";
        yield return string.Create(c, $"{Stage.Name()}: median {MedianSeconds:F3} s, min {MinSeconds:F3} s over {Seconds.Count} run(s); " +
            $"{Flops / 1e9:F1} GFLOP → {Gflops:F1} GFLOP/s; peak RSS {(PeakRssMb is double rss ? rss.ToString("F0", c) + " MiB" : "n/a")}{built}");
        if (Parts != null)
            yield return "  parts: " + string.Join(", ", Parts.Select(p => string.Create(c, $"{p.Key} {p.Value:F2} s")));
    }

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    /// <summary>VmHWM of /proc/self/status (the kernel's high-water mark of the resident set) in MiB, or null.</summary>
    public static double? ReadPeakRssMb() => ReadStatusMb("VmHWM:");

    /// <summary>VmRSS of /proc/self/status (the resident set now) in MiB, or null.</summary>
    public static double? ReadRssMb() => ReadStatusMb("VmRSS:");

    private static double? ReadStatusMb(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
        {
            // "VmHWM:   123456 kB"
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
                return kb / 1024.0;
        }
        return null;
    }
}
