namespace Wuerstchen.Cli.Commands;

/// <summary>
/// What <c>wuerstchen bench --stage</c> times: one model forward, or a whole image. <c>prior-step</c> is a prior
/// forward as a sampling step runs it: the text condition's share (<see cref="Wuerstchen.Models.WuerstchenPrior.PrepareCondition"/>)
/// is prepared once, untimed, as the pipeline prepares it once per image.
/// </summary>
public enum BenchStage { Prior, PriorStep, Decoder, VqDecode, VqEncode, ClipBigG, ClipH, Pipeline }

public static class BenchStageNames
{
    private static readonly (BenchStage Stage, string Name)[] Names =
    [
        (BenchStage.Prior, "prior"), (BenchStage.PriorStep, "prior-step"), (BenchStage.Decoder, "decoder"), (BenchStage.VqDecode, "vq-decode"),
        (BenchStage.VqEncode, "vq-encode"), (BenchStage.ClipBigG, "clip-bigg"), (BenchStage.ClipH, "clip-h"),
        (BenchStage.Pipeline, "pipeline"),
    ];

    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>The command-line (and JSON) name: <c>vq-decode</c>, <c>clip-bigg</c>, …</summary>
    public static string Name(this BenchStage stage) => Names.First(n => n.Stage == stage).Name;

    public static BenchStage Parse(string name) =>
        Names.FirstOrDefault(n => n.Name == name) is { Name: not null } found ? found.Stage
        : throw new CliUsageException("--stage", $"unknown stage '{name}'; expected one of {string.Join(", ", All)}.");

    /// <summary>
    /// The batch the stage runs at in a default generation: the prior and its text encoder see the conditional and
    /// the unconditional rows (guidance 4), the decoder side one image without guidance.
    /// </summary>
    public static int DefaultBatch(this BenchStage stage) => stage is BenchStage.Prior or BenchStage.PriorStep or BenchStage.ClipBigG ? 2 : 1;
}
