using Wuerstchen.Data.Shapes;
using Wuerstchen.Pipelines;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Rng;

namespace Wuerstchen.Evaluation;

/// <summary>
/// Stage B's share of a model's adherence score: every prompt of the set is drawn by the model's decoder (Stage B and
/// Stage A, its <c>defaults.json</c> settings, the prompt's seed) from the compressor's embedding of a dataset picture
/// that shows what the prompt asks, instead of from the prior's latent. A perfect prior could do no better than this
/// score, so the gap between it and <see cref="ModelAdherence"/>'s score is the prior's, and the gap between it and
/// the analyser's score on the pictures themselves is Stage B's.
/// </summary>
public static class TrueEmbeddingAdherence
{
    /// <summary>
    /// Decodes each prompt from the embedding of <see cref="PickSample"/>'s picture in <paramref name="datasetFolder"/>
    /// (a <c>make-dataset shapes</c> folder; pictures of the model's size) and scores the decoded pictures (saved
    /// to <paramref name="imageFolder"/> when given).
    /// </summary>
    public static AdherenceReport Run(DefaultModel model, SemanticCodec compressor, string datasetFolder, ShapeSize preferredSize,
        IReadOnlyList<AdherencePrompt>? prompts = null, string? imageFolder = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(compressor);
        prompts ??= AdherencePromptSet.Default;
        var s = model.Settings;
        if (s.DecoderTimesteps is not null)
            throw new InvalidOperationException($"{model.Root}: defaults.json sets decoder_timesteps; decoding true embeddings takes a step count (num_inference_steps) only.");
        var metadata = ShapesMetadata.ReadAll(Path.Combine(datasetFolder, ShapesDatasetWriter.MetadataFileName));
        var samples = prompts.ToDictionary(p => p.Index, p => PickSample(metadata, p, preferredSize));
        using var decoder = WuerstchenDecoderPipeline.FromPretrained(model.DecoderFolder);
        var options = new SemanticDecodeOptions(Steps: s.DecoderNumInferenceSteps, Guidance: s.DecoderGuidanceScale);
        return AdherenceEvaluation.Run(prompts, prompt =>
        {
            var sample = samples[prompt.Index];
            using var picture = ImageFiles.ReadRgb(Path.Combine(datasetFolder, sample.FileName));
            if (picture.Size(2) != s.Height || picture.Size(3) != s.Width)
                throw new InvalidDataException($"{Path.Combine(datasetFolder, sample.FileName)}: {picture.Size(3)}×{picture.Size(2)} pixels, but the model draws {s.Width}×{s.Height}.");
            using var result = compressor.Reconstruct(decoder, picture, options, new TorchGenerator(prompt.Seed));
            var images = result.Images ?? throw new InvalidOperationException("The decoder returned no images.");
            return images.Clone();
        }, imageFolder, progress);
    }

    /// <summary>
    /// The first sample (in dataset order) with the prompt's colour, shape and background and a single object;
    /// among those, a plain background and an object of <paramref name="preferredSize"/> come first.
    /// </summary>
    public static ShapesMetadata PickSample(IReadOnlyList<ShapesMetadata> metadata, AdherencePrompt prompt, ShapeSize preferredSize)
    {
        ShapesMetadata? best = null;
        int bestRank = int.MaxValue;
        foreach (var m in metadata)
        {
            if (m.Count != 1 || m.Shape != prompt.Shape || m.Color != prompt.Color || m.Background != prompt.Background) continue;
            int rank = (m.BackgroundFill == BackgroundFill.Plain ? 0 : 2) + (m.Size == preferredSize ? 0 : 1);
            if (rank < bestRank) { best = m; bestRank = rank; }
            if (rank == 0) break;
        }
        return best ?? throw new InvalidDataException(
            $"the dataset has no picture of a single {prompt.Color.Name} {prompt.Shape.ToString().ToLowerInvariant()} on a {prompt.Background.Name} background, which prompt {prompt.Index} ('{prompt.Text}') needs.");
    }
}
