using System.Text.Json;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Training.Checkpoints;

/// <summary>
/// <c>model_index.json</c> of a pipeline folder as diffusers writes it: the pipeline class, each component as
/// <c>[library, class]</c>, and the pipeline's constants. With it (and a scheduler and tokenizer folder), a
/// checkpoint is a pipeline that <c>ModelFolder</c> and diffusers' <c>from_pretrained</c> open.
/// </summary>
public sealed record PipelineIndex(string PipelineClass, IReadOnlyList<(string Name, string Library, string Class)> Components,
    IReadOnlyList<(string Name, double Value)> Constants)
{
    /// <summary>Stage C: prior, text_encoder, tokenizer, scheduler; latent_mean 42, latent_std 1, resolution_multiple 42.67.</summary>
    public static PipelineIndex Prior { get; } = ForPrior(StageCLatentScale.Released);

    /// <summary>Stage C with the latent scaling it was trained on (<see cref="StageCLatentScale"/>) and the compressor's resolution_multiple.</summary>
    public static PipelineIndex ForPrior(StageCLatentScale scale, double resolutionMultiple = ImageSizeRules.DefaultResolutionMultiple) => new("WuerstchenPriorPipeline",
        [("prior", "wuerstchen", "WuerstchenPrior"), ("scheduler", "diffusers", "DDPMWuerstchenScheduler"),
         ("text_encoder", "transformers", "CLIPTextModel"), ("tokenizer", "transformers", "CLIPTokenizerFast")],
        [("latent_mean", scale.Mean), ("latent_std", scale.Std), ("resolution_multiple", resolutionMultiple)]);

    /// <summary>Stage B: decoder, text_encoder, tokenizer, vqgan, scheduler; latent_dim_scale 10.67.</summary>
    public static PipelineIndex Decoder { get; } = ForDecoder(ImageSizeRules.DefaultLatentDimScale);

    /// <summary>Stage B with its <c>latent_dim_scale</c> (Stage B latent cells per Stage C latent cell).</summary>
    public static PipelineIndex ForDecoder(double latentDimScale) => new("WuerstchenDecoderPipeline",
        [("decoder", "wuerstchen", "WuerstchenDiffNeXt"), ("scheduler", "diffusers", "DDPMWuerstchenScheduler"),
         ("text_encoder", "transformers", "CLIPTextModel"), ("tokenizer", "transformers", "CLIPTokenizerFast"),
         ("vqgan", "wuerstchen", "PaellaVQModel")],
        [("latent_dim_scale", latentDimScale)]);

    /// <summary>Total downscale of the released compressor (EfficientNetV2-S), for which the released constants hold.</summary>
    public const int ReleasedStride = 32;

    /// <summary>
    /// Pixels per Stage C latent cell for a compressor of total downscale <paramref name="stride"/>: the released
    /// 42.67 (a stride-32 backbone behind the 3/4 downscale, 32 · 4/3, rounded up as released) scaled by stride / 32,
    /// rounded up to two decimals so that <c>ceil(side / multiple)</c> never loses a cell (16 → 21.34: 256 px → 12).
    /// </summary>
    public static double ResolutionMultiple(int stride) => CeilHundredths(ImageSizeRules.DefaultResolutionMultiple * stride / ReleasedStride);

    /// <summary>
    /// Stage B latent cells per Stage C cell: <paramref name="resolutionMultiple"/> over Stage A's downscale, rounded
    /// up to two decimals as released (42.67 / 4 → 10.67), so that <c>int(n · scale)</c> reaches the full side.
    /// </summary>
    public static double LatentDimScale(double resolutionMultiple, int stageADownscale) => CeilHundredths(resolutionMultiple / stageADownscale);

    private static double CeilHundredths(double x) => Math.Ceiling(Math.Round(x * 100, 6)) / 100;

    public string ToJson() => ConfigJsonWriter.Write(w =>
    {
        w.WriteString("_class_name", PipelineClass);
        w.WriteString("_diffusers_version", ConfigJsonWriter.DiffusersVersion);
        var entries = Components.Select(c => (c.Name, Write: (Action)(() =>
            {
                w.WriteStartArray(c.Name);
                w.WriteStringValue(c.Library);
                w.WriteStringValue(c.Class);
                w.WriteEndArray();
            })))
            .Concat(Constants.Select(k => (k.Name, Write: (Action)(() => w.WriteNumber(k.Name, k.Value)))))
            .OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var e in entries) e.Write();
    });

    /// <summary>Writes model_index.json and the scheduler folder into <paramref name="folder"/>.</summary>
    public void Write(string folder)
    {
        ConfigJsonWriter.Save(Path.Combine(folder, "model_index.json"), ToJson());
        var scheduler = Path.Combine(folder, "scheduler");
        Directory.CreateDirectory(scheduler);
        ConfigJsonWriter.Save(Path.Combine(scheduler, "scheduler_config.json"), ConfigJsonWriter.SchedulerJson());
    }

    /// <summary>Copies a folder's files (not subfolders), e.g. a tokenizer, into <paramref name="destination"/>.</summary>
    public static void CopyFiles(string source, string destination)
    {
        if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"Folder '{source}' does not exist.");
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
    }

}
