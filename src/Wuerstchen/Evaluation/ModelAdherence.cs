using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Evaluation;

/// <summary>
/// Prompt adherence of a whole model: generates one image per prompt of the fixed set with the combined pipeline
/// (each prompt's own seed, the model's <c>defaults.json</c> settings) and scores the pictures. This is how the
/// shipped default model's score in docs is measured, so anyone can reproduce it.
/// </summary>
public static class ModelAdherence
{
    public static AdherenceReport Run(DefaultModel model, IReadOnlyList<AdherencePrompt>? prompts = null, string? imageFolder = null,
        IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        prompts ??= AdherencePromptSet.Default;
        using var pipeline = WuerstchenCombinedPipeline.FromPretrained(model.PriorFolder, model.DecoderFolder);
        var s = model.Settings;
        return AdherenceEvaluation.Run(prompts, prompt =>
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
            return images.Clone();
        }, imageFolder, progress);
    }
}
