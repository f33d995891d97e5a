using System.CommandLine;

namespace Wuerstchen.Cli.Commands;

/// <summary>The options of <c>wuerstchen bench</c>.</summary>
public sealed class BenchOptions
{
    public Option<string> Stage { get; } = CreateStage();

    public Option<int> Width { get; } = new("--width")
    {
        Description = "Image width in pixels; the stage's shapes follow from it as in a generation (decoder side: 128-pixel steps).",
        DefaultValueFactory = _ => GenerateCommand.DefaultSize,
    };

    public Option<int> Height { get; } = new("--height")
    {
        Description = "Image height in pixels.",
        DefaultValueFactory = _ => GenerateCommand.DefaultSize,
    };

    public Option<int?> Batch { get; } = new("--batch")
    {
        Description = "Batch of one forward (default: as in a generation with guidance 4 — prior and clip-bigg 2, the rest 1); for pipeline, images per prompt.",
    };

    public Option<int?> Reps { get; } = new("--reps") { Description = "Timed runs after the warm-up (default 3; pipeline 1)." };

    public Option<int?> Warmup { get; } = new("--warmup")
    {
        Description = "Untimed runs first (default 1; pipeline 0, whose 41 forwards already amortise the first one's JIT and page faults).",
    };

    public Option<string> Weights { get; } = CreateChoice("--weights",
        "Linear / 1×1-convolution weight storage: f32, or bf16 (half the memory; widened for f32 compute, used directly by reduced).", "f32", "bf16");

    public Option<string> Compute { get; } = CreateChoice("--compute",
        "GEMM arithmetic: f32, or reduced (Linear / 1×1 convolutions / matmul with bf16 operands and float32 accumulation; AVX512_BF16 when available).", "f32", "reduced");

    public Option<bool> RandomWeights { get; } = new("--random-weights")
    {
        Description = "Build the models with deterministic random weights instead of loading them: no model files needed. " +
            "Configs come from --prior/--decoder when given, else the compiled-in warp-ai ones.",
    };

    public Option<string> Prior { get; } = new("--prior")
    {
        Description = "Prior pipeline folder (warp-ai/wuerstchen-prior layout): weights and configs of prior, clip-bigg (only configs with --random-weights).",
    };

    public Option<string> Decoder { get; } = new("--decoder")
    {
        Description = "Decoder pipeline folder (warp-ai/wuerstchen layout): weights and configs of decoder, vq-*, clip-h (only configs with --random-weights).",
    };

    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: all logical processors)." };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object per line: stage, median_s, min_s, gflops, peak_rss_mb and the run's parameters.",
    };

    public IEnumerable<Option> All =>
        [Stage, Width, Height, Batch, Reps, Warmup, Weights, Compute, RandomWeights, Prior, Decoder, Threads, Json];

    private static Option<string> CreateStage()
    {
        var option = new Option<string>("--stage")
        {
            Description = "prior (Stage C), decoder (Stage B), vq-decode / vq-encode (Stage A), clip-bigg / clip-h (text encoders), or pipeline (a whole image).",
            Required = true,
        };
        option.AcceptOnlyFromAmong([.. BenchStageNames.All]);
        return option;
    }

    private static Option<string> CreateChoice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => values[0] };
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}
