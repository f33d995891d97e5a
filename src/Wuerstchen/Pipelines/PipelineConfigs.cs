using Wuerstchen.Models.Configs;
using Wuerstchen.Schedulers;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Everything a prior pipeline is built from except weights and tokenizer: the component configs and the
/// model_index.json constants. <see cref="WarpAi"/> is the released <c>warp-ai/wuerstchen-prior</c>, compiled in, so
/// the real architecture can be built (with random weights) without any file.
/// </summary>
public sealed record PriorPipelineConfig(
    ClipTextConfig TextEncoder, WuerstchenPriorConfig Prior, DdpmWuerstchenSchedulerConfig Scheduler, PriorConstants Constants)
{
    public static PriorPipelineConfig WarpAi { get; } =
        new(ClipTextConfig.WarpAiPrior, WuerstchenPriorConfig.WarpAi, new DdpmWuerstchenSchedulerConfig(), new PriorConstants());

    /// <summary>The configs of a <c>WuerstchenPriorPipeline</c> folder (JSON only; no weights are opened).</summary>
    public static PriorPipelineConfig FromFolder(string path)
    {
        var folder = ModelFolder.Open(path, WuerstchenPriorPipeline.PipelineClassName);
        return new(
            ClipTextConfig.Load(folder.ComponentPath("text_encoder")),
            WuerstchenPriorConfig.Load(folder.ComponentPath("prior")),
            DdpmWuerstchenSchedulerConfig.Load(folder.ComponentPath("scheduler")),
            PriorConstants.From(folder));
    }
}

/// <summary>
/// The decoder-side counterpart of <see cref="PriorPipelineConfig"/>; <see cref="WarpAi"/> is the released
/// <c>warp-ai/wuerstchen</c>.
/// </summary>
public sealed record DecoderPipelineConfig(
    ClipTextConfig TextEncoder, WuerstchenDiffNeXtConfig Decoder, PaellaVQConfig VqGan, DdpmWuerstchenSchedulerConfig Scheduler,
    double LatentDimScale = ImageSizeRules.DefaultLatentDimScale)
{
    public static DecoderPipelineConfig WarpAi { get; } =
        new(ClipTextConfig.WarpAiDecoder, WuerstchenDiffNeXtConfig.WarpAi, PaellaVQConfig.WarpAi, new DdpmWuerstchenSchedulerConfig());

    /// <summary>The pipeline constants, with the Stage B latent multiple implied by the decoder config.</summary>
    public DecoderConstants Constants => new(LatentDimScale, Decoder.PatchSize << (Decoder.Levels - 1));

    /// <summary>The configs of a <c>WuerstchenDecoderPipeline</c> folder (JSON only; no weights are opened).</summary>
    public static DecoderPipelineConfig FromFolder(string path)
    {
        var folder = ModelFolder.Open(path, WuerstchenDecoderPipeline.PipelineClassName);
        return new(
            ClipTextConfig.Load(folder.ComponentPath("text_encoder")),
            WuerstchenDiffNeXtConfig.Load(folder.ComponentPath("decoder")),
            PaellaVQConfig.Load(folder.ComponentPath("vqgan")),
            DdpmWuerstchenSchedulerConfig.Load(folder.ComponentPath("scheduler")),
            folder.GetConstant("latent_dim_scale", ImageSizeRules.DefaultLatentDimScale));
    }
}
