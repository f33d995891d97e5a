using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Wuerstchen.Benchmarks;

/// <summary>BenchmarkDotNet view of the same GEMMs as `-- gemm`: every standard shape on 1 and 2 threads, with a GFLOP/s column.</summary>
[Config(typeof(Config))]
public class GemmBenchmarks
{
    private GemmRunner? _runner;

    public static IEnumerable<GemmShape> Shapes => GemmShape.Standard;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.Standard[0];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Kernels.Threads.Count = Threads;
        _runner = new GemmRunner(Shape);
    }

    [GlobalCleanup]
    public void Cleanup() => _runner?.Dispose();

    [Benchmark]
    public void Sgemm() => _runner!.Run();

    internal sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new GflopsColumn());
            SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(48);
        }
    }
}

/// <summary>The FMA peak loop of <see cref="FmaPeak"/> under BenchmarkDotNet, with a GFLOP/s column.</summary>
[Config(typeof(GemmBenchmarks.Config))]
public class FmaPeakBenchmarks
{
    [Params(1, 2)]
    public int Threads { get; set; }

    [Benchmark]
    public double Peak() => FmaPeak.Measure(Threads, repeats: 1, FmaPeak.DefaultIterations);
}

/// <summary>GFLOP/s from the GemmShape parameter (or the FMA loop's thread count) and the measured mean time.</summary>
internal sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "2·M·N·K / mean time";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var values = benchmarkCase.Parameters.Items.Select(p => p.Value).ToArray();
        double? flops = values.OfType<GemmShape>().FirstOrDefault()?.Flops;
        if (flops is null && benchmarkCase.Descriptor.Type == typeof(FmaPeakBenchmarks))
            flops = values.OfType<int>().First() * FmaPeak.FlopsPerThread(FmaPeak.DefaultIterations);
        var report = summary[benchmarkCase];
        if (flops is null || report?.ResultStatistics is null) return "-";
        return (flops.Value / (report.ResultStatistics.Mean * 1e-9) / 1e9).ToString("F1");
    }
}
