using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen bench</c>: times one stage at its real configuration — by default with random weights, so no model
/// files are needed — or a whole image. Builds the stage, runs the warm-up, then the timed runs, and reports the
/// median and minimum seconds, the achieved GFLOP/s (FLOPs counted analytically, <see cref="BenchFlops"/>) and the
/// process's peak resident memory.
/// </summary>
public static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var o = new BenchOptions();
        var command = new Command("bench", "Time a stage (or a whole image) at real scale; --random-weights needs no model files.");
        foreach (var option in o.All) command.Add(option);
        command.SetAction(parse => Run(context, BenchSettings.From(parse, o)));
        return command;
    }

    public static int Run(CliContext context, BenchSettings settings)
    {
        if (settings.Threads is int threads) Threads.Count = threads;
        // Scoped, not process-wide: models are built and run on this flow, and other in-process callers are unaffected.
        using var precision = Precision.Use(settings.Compute, settings.Weights);
        var log = context.Error;
        var c = CultureInfo.InvariantCulture;
        log.WriteLine(string.Create(c, $"{settings.Stage.Name()}: building ({(settings.RandomWeights ? "random weights" : "loading weights")}, {Threads.Count} threads, " +
            $"{BenchResult.PrecisionText(settings.Weights, settings.Compute)})…"));
        using var workload = BenchWorkload.Create(settings, log.WriteLine);
        double? builtRss = BenchResult.ReadRssMb();
        log.WriteLine(string.Create(c, $"{settings.Stage.Name()}: {workload.Description}; built in {workload.BuildSeconds:F1} s; {workload.Flops / 1e9:F1} GFLOP per run"));

        for (int i = 0; i < settings.Warmup; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            double seconds = TimeOnce(workload);
            log.WriteLine(string.Create(c, $"  warm-up {i + 1}/{settings.Warmup}: {seconds:F3} s"));
        }
        var times = new List<double>();
        for (int i = 0; i < settings.Reps; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            times.Add(TimeOnce(workload));
            log.WriteLine(string.Create(c, $"  run {i + 1}/{settings.Reps}: {times[^1]:F3} s"));
        }

        var result = new BenchResult
        {
            Stage = settings.Stage,
            Seconds = times,
            Flops = workload.Flops,
            BuildSeconds = workload.BuildSeconds,
            PeakRssMb = BenchResult.ReadPeakRssMb(),
            BuiltRssMb = builtRss,
            Threads = Threads.Count,
            Width = settings.Width,
            Height = settings.Height,
            Batch = settings.Batch,
            Warmup = settings.Warmup,
            RandomWeights = settings.RandomWeights,
            Parts = workload.Parts,
            Weights = settings.Weights,
            Compute = settings.Compute,
        };
        if (settings.Json) context.Output.WriteLine(result.ToJsonLine());
        else foreach (var line in result.ToText()) context.Output.WriteLine(line);
        return CliApp.ExitSuccess;
    }

    /// <summary>Wall-clock seconds of one run, less the model building inside it.</summary>
    private static double TimeOnce(BenchWorkload workload)
    {
        var clock = Stopwatch.StartNew();
        double building = workload.Run();
        return clock.Elapsed.TotalSeconds - building;
    }
}
