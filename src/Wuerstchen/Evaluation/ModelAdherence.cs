using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Evaluation;

/// <summary>
/// Prompt adherence of a whole model: generates one image per prompt of the fixed set with the combined pipeline
/// (each prompt's own seed, the model's <c>defaults.json</c> settings) and scores the pictures. This is how the
/// shipped default model's score in docs is measured, so anyone can reproduce it. With a <paramref name="probe"/>,
/// each prompt's prior latent is also read by it (<see cref="PromptResult.Probe"/>).
/// </summary>
public static class ModelAdherence
{
    public static AdherenceReport Run(DefaultModel model, IReadOnlyList<AdherencePrompt>? prompts = null, string? imageFolder = null,
        IProgress<int>? progress = null, EmbeddingShapeProbe? probe = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        prompts ??= AdherencePromptSet.Default;
        using var pipeline = WuerstchenCombinedPipeline.FromPretrained(model.PriorFolder, model.DecoderFolder);
        var s = model.Settings;
        var readings = new Dictionary<int, ProbeReading>();
        var report = AdherenceEvaluation.Run(prompts, prompt =>
        {
            using var result = pipeline.Run(new CombinedRequest
            {
                Prompts = [prompt.Text],
                Width = s.Width,
                Height = s.Height,
                PriorNumInferenceSteps = s.PriorNumInferenceSteps,
                PriorTimesteps = s.PriorTimesteps,
                PriorGuidanceScale = s.PriorGuidanceScale,
                DecoderNumInferenceSteps = s.DecoderNumInferenceSteps,
                DecoderTimesteps = s.DecoderTimesteps,
                DecoderGuidanceScale = s.DecoderGuidanceScale,
            }, new TorchGenerator(prompt.Seed));
            var images = result.Images ?? throw new InvalidOperationException("The pipeline returned no images.");
            if (probe is not null) readings[prompt.Index] = probe.Read(result.ImageEmbeddings);
            return images.Clone();
        }, imageFolder, progress);
        return probe is null ? report : new AdherenceReport([.. report.Results.Select(r => r with { Probe = readings[r.Prompt.Index] })]);
    }
}
