using Wuerstchen.Models;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>Constants of a prior folder's model_index.json (SPEC §3), with diffusers' defaults.</summary>
public sealed record PriorConstants(
    double LatentMean = 42.0,
    double LatentStd = 1.0,
    double ResolutionMultiple = ImageSizeRules.DefaultResolutionMultiple)
{
    public static PriorConstants From(ModelFolder folder) => new(
        folder.GetConstant("latent_mean", 42.0),
        folder.GetConstant("latent_std", 1.0),
        folder.GetConstant("resolution_multiple", ImageSizeRules.DefaultResolutionMultiple));

    /// <summary>latent_mean and latent_std: how the prior's latents map to image embeddings.</summary>
    public StageCLatentScale LatentScale => new(LatentMean, LatentStd);
}

/// <summary>
/// Stage C: text → image embeddings (diffusers <c>WuerstchenPriorPipeline</c>, SPEC §5.2). The text encoder and
/// the prior are loaded for their stage and released afterwards unless their slots keep them.
/// </summary>
public sealed class WuerstchenPriorPipeline : IDisposable
{
    public const string PipelineClassName = "WuerstchenPriorPipeline";

    private readonly ComponentSlot<IPromptEncoder> _textEncoder;
    private readonly ComponentSlot<IPriorModel> _prior;
    private readonly Func<DdpmWuerstchenScheduler> _createScheduler;

    public WuerstchenPriorPipeline(
        ComponentSlot<IPromptEncoder> textEncoder,
        ComponentSlot<IPriorModel> prior,
        Func<DdpmWuerstchenScheduler> createScheduler,
        PriorConstants? constants = null)
    {
        _textEncoder = textEncoder;
        _prior = prior;
        _createScheduler = createScheduler;
        Constants = constants ?? new PriorConstants();
    }

    public PriorConstants Constants { get; }

    /// <summary>
    /// A prior pipeline over a <c>WuerstchenPriorPipeline</c> folder (e.g. warp-ai/wuerstchen-prior). Only the JSON
    /// files are read here; the text encoder and prior are loaded when their stage runs.
    /// </summary>
    public static WuerstchenPriorPipeline FromPretrained(string path, PipelineLoadOptions? options = null)
    {
        options ??= new PipelineLoadOptions();
        var folder = ModelFolder.Open(path, PipelineClassName);
        foreach (var component in new[] { "tokenizer", "text_encoder", "prior", "scheduler" }) folder.ComponentPath(component);
        var schedulerConfig = DdpmWuerstchenSchedulerConfig.Load(folder.ComponentPath("scheduler"));
        return new WuerstchenPriorPipeline(
            new ComponentSlot<IPromptEncoder>("text_encoder", () => ClipPromptEncoder.Load(folder, options.Variant), options.KeepModelsLoaded),
            new ComponentSlot<IPriorModel>("prior", () => WuerstchenPriorAdapter.Load(folder, options.Variant), options.KeepModelsLoaded),
            () => new DdpmWuerstchenScheduler(schedulerConfig),
            PriorConstants.From(folder));
    }

    public ComponentSlot<IPromptEncoder> TextEncoder => _textEncoder;
    public ComponentSlot<IPriorModel> Prior => _prior;

    /// <summary>A fresh scheduler of the pipeline's configuration (e.g. to noise a latent for a partial run).</summary>
    public DdpmWuerstchenScheduler CreateScheduler() => _createScheduler();

    /// <summary>
    /// Generates image embeddings. Random draws (initial latents, then one per step) come from
    /// <paramref name="generator"/>, a freshly seeded one when null.
    /// </summary>
    public PriorResult Run(PriorRequest request, TorchGenerator? generator = null, PipelineCallbacks? callbacks = null,
        CancellationToken cancellation = default)
    {
        callbacks ??= PipelineCallbacks.None;
        generator ??= PipelineRandom.NewGenerator();
        int promptCount = Validate(request);
        bool guided = ClassifierFreeGuidance.IsEnabled(request.GuidanceScale);
        int samples = promptCount * request.NumImagesPerPrompt;

        // Latent shape and timesteps first, so that bad arguments fail before any model is loaded.
        var sizes = new ImageSizeRules(ResolutionMultiple: Constants.ResolutionMultiple);
        int latentHeight = sizes.PriorLatentSide(request.Height);
        int latentWidth = sizes.PriorLatentSide(request.Width);
        var scheduler = _createScheduler();
        var timesteps = SchedulerTimesteps.Set(scheduler, request.Timesteps, request.NumInferenceSteps);

        // 1. Text conditioning: prompt rows p0,p0,…,p1,p1,… (repeat_interleave), then the negatives in the same order.
        using var textHiddenStates = EncodePrompts(request, promptCount, guided, callbacks, cancellation);
        callbacks.Show("text_encoder_hidden_states", textHiddenStates);

        using var prior = _prior.Acquire();
        using var loras = PriorLoras.Attach(prior.Component, request.Loras);
        int[] shape = [samples, prior.Component.LatentChannels, latentHeight, latentWidth];

        // 2. Initial latents (the generator's first draw) and 3. the sampling loop.
        var latents = PipelineRandom.InitialLatents(shape, request.Latents, generator, "Latents");
        callbacks.Show("initial_latents", latents);
        // The text's share of every step (its mapping, and each attention block's keys and values) is computed once.
        using var conditioned = prior.Component.Condition(textHiddenStates);
        latents = DenoisingLoop.Run(latents, timesteps, request.GuidanceScale,
            conditioned.Forward,
            scheduler, generator, PipelineStage.Prior, callbacks, cancellation);

        // 4. De-normalise as diffusers writes it: latents·latent_mean − latent_std (not (x − mean)/std).
        using (latents)
        {
            var imageEmbeddings = Constants.LatentScale.ToEmbeddings(latents);
            callbacks.Show("output", imageEmbeddings);
            return new PriorResult(imageEmbeddings);
        }
    }

    private Tensor EncodePrompts(PriorRequest request, int promptCount, bool guided, PipelineCallbacks callbacks, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        bool needsEncoder = request.PromptEmbeds == null || (guided && request.NegativePromptEmbeds == null);
        callbacks.Report(PipelineStage.PriorTextEncoder, 0, 1);
        ComponentSlot<IPromptEncoder>.Lease? encoder = needsEncoder ? _textEncoder.Acquire() : null;
        try
        {
            var rows = BatchRows.RepeatInterleave(promptCount, request.NumImagesPerPrompt);
            var hidden = PromptConditioning.Build(encoder?.Component, request.Prompts, request.PromptEmbeds,
                request.NegativePrompts, request.NegativePromptEmbeds, guided, rows, callbacks.Warn);
            callbacks.Report(PipelineStage.PriorTextEncoder, 1, 1);
            return hidden;
        }
        finally
        {
            encoder?.Dispose();
        }
    }

    /// <summary>Checks the arguments as diffusers does (and a few it leaves to a later crash); returns the prompt count B.</summary>
    private static int Validate(PriorRequest request)
    {
        if (request.Prompts == null && request.PromptEmbeds == null)
            throw new ArgumentException("Give Prompts or PromptEmbeds.", nameof(request));
        if (request.Prompts != null && request.PromptEmbeds != null)
            throw new ArgumentException("Give either Prompts or PromptEmbeds, not both.", nameof(request));
        if (request.NegativePrompts != null && request.NegativePromptEmbeds != null)
            throw new ArgumentException("Give either NegativePrompts or NegativePromptEmbeds, not both.", nameof(request));
        int promptCount = request.Prompts?.Count ?? request.PromptEmbeds!.Size(0);
        if (promptCount < 1) throw new ArgumentException("At least one prompt is needed.", nameof(request));
        PromptConditioning.NegativePrompts(promptCount, request.NegativePrompts);
        PipelineArguments.CheckPositive(request.Height, "Height");
        PipelineArguments.CheckPositive(request.Width, "Width");
        PipelineArguments.CheckPositive(request.NumImagesPerPrompt, "NumImagesPerPrompt");
        PipelineArguments.CheckGuidance(request.GuidanceScale, "GuidanceScale");
        PriorLoras.Validate(request.Loras, "Loras");
        return promptCount;
    }

    public void Dispose()
    {
        _textEncoder.Dispose();
        _prior.Dispose();
    }
}
