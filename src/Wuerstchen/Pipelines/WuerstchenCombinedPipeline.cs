using Wuerstchen.Rng;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Text → image with both stages (diffusers <c>WuerstchenCombinedPipeline</c>, SPEC §5.4): the prior pipeline, then
/// the decoder pipeline on its image embeddings, with one generator whose stream runs on from the prior's last step
/// into the decoder's initial noise (SPEC §5.5).
/// </summary>
public sealed class WuerstchenCombinedPipeline(WuerstchenPriorPipeline prior, WuerstchenDecoderPipeline decoder) : IDisposable
{
    public WuerstchenPriorPipeline PriorPipeline { get; } = prior;
    public WuerstchenDecoderPipeline DecoderPipeline { get; } = decoder;

    /// <summary>
    /// Both pipelines from their folders (diffusers' combined pipeline takes the same two repositories:
    /// warp-ai/wuerstchen-prior and warp-ai/wuerstchen). Models load when their stage runs.
    /// </summary>
    public static WuerstchenCombinedPipeline FromPretrained(string priorPath, string decoderPath, PipelineLoadOptions? options = null)
    {
        var prior = WuerstchenPriorPipeline.FromPretrained(priorPath, options);
        try { return new WuerstchenCombinedPipeline(prior, WuerstchenDecoderPipeline.FromPretrained(decoderPath, options)); }
        catch { prior.Dispose(); throw; }
    }

    /// <summary>Image size rules of this prior + decoder pair.</summary>
    public ImageSizeRules SizeRules => DecoderPipeline.SizeRules(PriorPipeline.Constants.ResolutionMultiple);

    public CombinedResult Run(CombinedRequest request, TorchGenerator? generator = null, PipelineCallbacks? callbacks = null,
        CancellationToken cancellation = default)
    {
        callbacks ??= PipelineCallbacks.None;
        generator ??= PipelineRandom.NewGenerator();
        // Reject sizes Stage B cannot decode before spending time on the prior.
        SizeRules.CheckDecodable(request.Height, request.Width);

        var prior = PriorPipeline.Run(new PriorRequest
        {
            Prompts = request.Prompts,
            NegativePrompts = request.NegativePrompts,
            PromptEmbeds = request.PromptEmbeds,
            NegativePromptEmbeds = request.NegativePromptEmbeds,
            Height = request.Height,
            Width = request.Width,
            NumInferenceSteps = request.PriorNumInferenceSteps,
            Timesteps = request.PriorTimesteps,
            GuidanceScale = request.PriorGuidanceScale,
            NumImagesPerPrompt = request.NumImagesPerPrompt,
            Latents = request.Latents,
            Loras = request.PriorLoras,
        }, generator, callbacks.WithTensorPrefix("prior."), cancellation);

        try
        {
            // diffusers forwards neither num_images_per_prompt (the prior already made B·n embeddings) nor latents.
            var decoded = DecoderPipeline.Run(new DecoderRequest
            {
                ImageEmbeddings = prior.ImageEmbeddings,
                Prompts = request.Prompts ?? [""],
                NegativePrompts = request.NegativePrompts,
                NumInferenceSteps = request.DecoderNumInferenceSteps,
                Timesteps = request.DecoderTimesteps,
                GuidanceScale = request.DecoderGuidanceScale,
                OutputType = request.OutputType,
            }, generator, callbacks.WithTensorPrefix("decoder."), cancellation);
            return new CombinedResult(prior.ImageEmbeddings, decoded.Images, decoded.Latents);
        }
        catch
        {
            prior.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        PriorPipeline.Dispose();
        DecoderPipeline.Dispose();
    }
}
