using System.CommandLine;
using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>The validated arguments of one <c>bench</c> run; every check names the offending option.</summary>
public sealed record BenchSettings
{
    public required BenchStage Stage { get; init; }
    public int Width { get; init; } = GenerateCommand.DefaultSize;
    public int Height { get; init; } = GenerateCommand.DefaultSize;
    public required int Batch { get; init; }
    public required int Reps { get; init; }
    public required int Warmup { get; init; }
    public bool RandomWeights { get; init; }
    public string? PriorFolder { get; init; }
    public string? DecoderFolder { get; init; }
    public int? Threads { get; init; }
    public bool Json { get; init; }

    /// <summary>How Linear / 1×1-convolution weights are stored (<c>--weights</c>).</summary>
    public WeightPrecision Weights { get; init; } = WeightPrecision.F32;

    /// <summary>The GEMMs' arithmetic (<c>--compute</c>).</summary>
    public ComputePrecision Compute { get; init; } = ComputePrecision.F32;

    /// <summary>Stages built from the prior repository (Stage C and its text encoder).</summary>
    public bool NeedsPrior => Stage is BenchStage.Prior or BenchStage.PriorStep or BenchStage.ClipBigG or BenchStage.Pipeline;

    /// <summary>Stages built from the decoder repository (Stage B, Stage A, their text encoder).</summary>
    public bool NeedsDecoder => Stage is not (BenchStage.Prior or BenchStage.PriorStep or BenchStage.ClipBigG);

    public static BenchSettings From(ParseResult parse, BenchOptions o)
    {
        var stage = BenchStageNames.Parse(parse.GetValue(o.Stage)!);
        bool pipeline = stage == BenchStage.Pipeline;
        var settings = new BenchSettings
        {
            Stage = stage,
            Width = Positive(parse.GetValue(o.Width), "--width"),
            Height = Positive(parse.GetValue(o.Height), "--height"),
            Batch = Positive(parse.GetValue(o.Batch) ?? stage.DefaultBatch(), "--batch"),
            Reps = Positive(parse.GetValue(o.Reps) ?? (pipeline ? 1 : 3), "--reps"),
            Warmup = parse.GetValue(o.Warmup) is int w ? (w >= 0 ? w : throw new CliUsageException("--warmup", $"must be 0 or more, got {w}.")) : (pipeline ? 0 : 1),
            RandomWeights = parse.GetValue(o.RandomWeights),
            PriorFolder = parse.GetValue(o.Prior),
            DecoderFolder = parse.GetValue(o.Decoder),
            Threads = parse.GetValue(o.Threads) is int t ? Positive(t, "--threads") : null,
            Json = parse.GetValue(o.Json),
            Weights = Precision.ParseWeights(parse.GetValue(o.Weights)!),
            Compute = Precision.ParseCompute(parse.GetValue(o.Compute)!),
        };
        settings.CheckSources();
        return settings;
    }

    private void CheckSources()
    {
        if (RandomWeights) return;
        if (NeedsPrior && PriorFolder == null)
            throw new CliUsageException("--prior", $"stage {Stage.Name()} needs the prior pipeline folder for its weights, or --random-weights.");
        if (NeedsDecoder && DecoderFolder == null)
            throw new CliUsageException("--decoder", $"stage {Stage.Name()} needs the decoder pipeline folder for its weights, or --random-weights.");
    }

    /// <summary>Stage B and Stage A need the 128-pixel steps of a decodable size (SPEC §1.2); the prior and the text encoders run at any size.</summary>
    public void CheckDecodable(ImageSizeRules sizes)
    {
        if (Stage is BenchStage.Prior or BenchStage.ClipBigG or BenchStage.ClipH) return;
        try { sizes.CheckDecodable(Height, Width); }
        catch (ArgumentException e) { throw new CliUsageException($"--{e.ParamName}", CliMessages.WithoutParameterName(e)); }
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new CliUsageException(option, $"must be at least 1, got {value}.");
}
