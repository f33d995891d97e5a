using Wuerstchen.Models.Configs;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Constants of a decoder folder: model_index.json <c>latent_dim_scale</c>, and the Stage B latent multiple
/// implied by decoder/config.json (<c>patch_size · 2^(len(c_hidden) − 1)</c>, 16 for the released model).
/// </summary>
public sealed record DecoderConstants(double LatentDimScale = ImageSizeRules.DefaultLatentDimScale, int LatentMultiple = 16)
{
    public static DecoderConstants From(ModelFolder folder)
    {
        double scale = folder.GetConstant("latent_dim_scale", ImageSizeRules.DefaultLatentDimScale);
        var config = WuerstchenDiffNeXtConfig.Load(folder.ComponentPath("decoder"));
        return new DecoderConstants(scale, config.PatchSize << (config.Levels - 1));
    }
}

/// <summary>
/// Stage B + Stage A: image embeddings (+ text) → images (diffusers <c>WuerstchenDecoderPipeline</c>, SPEC §5.3).
/// The text encoder, decoder and VQGAN are each loaded for their stage and released afterwards unless kept.
/// </summary>
public sealed class WuerstchenDecoderPipeline : IDisposable
{
    public const string PipelineClassName = "WuerstchenDecoderPipeline";

    private readonly ComponentSlot<IPromptEncoder> _textEncoder;
    private readonly ComponentSlot<IDecoderModel> _decoder;
    private readonly ComponentSlot<IVqDecoder> _vqgan;
    private readonly Func<DdpmWuerstchenScheduler> _createScheduler;

    public WuerstchenDecoderPipeline(
        ComponentSlot<IPromptEncoder> textEncoder,
        ComponentSlot<IDecoderModel> decoder,
        ComponentSlot<IVqDecoder> vqgan,
        Func<DdpmWuerstchenScheduler> createScheduler,
        DecoderConstants? constants = null)
    {
        _textEncoder = textEncoder;
        _decoder = decoder;
        _vqgan = vqgan;
        _createScheduler = createScheduler;
        Constants = constants ?? new DecoderConstants();
    }

    public DecoderConstants Constants { get; }

    /// <summary>
    /// A decoder pipeline over a <c>WuerstchenDecoderPipeline</c> folder (e.g. warp-ai/wuerstchen). Only the JSON
    /// files are read here; the text encoder, decoder and VQGAN are loaded when their stage runs.
    /// </summary>
    public static WuerstchenDecoderPipeline FromPretrained(string path, PipelineLoadOptions? options = null)
    {
        options ??= new PipelineLoadOptions();
        var folder = ModelFolder.Open(path, PipelineClassName);
        foreach (var component in new[] { "tokenizer", "text_encoder", "decoder", "vqgan", "scheduler" }) folder.ComponentPath(component);
        var schedulerConfig = DdpmWuerstchenSchedulerConfig.Load(folder.ComponentPath("scheduler"));
        return new WuerstchenDecoderPipeline(
            new ComponentSlot<IPromptEncoder>("text_encoder", () => ClipPromptEncoder.Load(folder, options.Variant), options.KeepModelsLoaded),
            new ComponentSlot<IDecoderModel>("decoder", () => WuerstchenDiffNeXtAdapter.Load(folder, options.Variant), options.KeepModelsLoaded),
            new ComponentSlot<IVqDecoder>("vqgan", () => PaellaVQAdapter.Load(folder, options.Variant), options.KeepModelsLoaded),
            () => new DdpmWuerstchenScheduler(schedulerConfig),
            DecoderConstants.From(folder));
    }

    public ComponentSlot<IPromptEncoder> TextEncoder => _textEncoder;
    public ComponentSlot<IDecoderModel> Decoder => _decoder;
    public ComponentSlot<IVqDecoder> VqGan => _vqgan;

    /// <summary>A fresh scheduler as this pipeline samples with (e.g. to noise latents for a run that starts part-way).</summary>
    public DdpmWuerstchenScheduler CreateScheduler() => _createScheduler();

    /// <summary>The size rules with this decoder's scale and latent multiple (and a prior's resolution multiple).</summary>
    public ImageSizeRules SizeRules(double resolutionMultiple = ImageSizeRules.DefaultResolutionMultiple) =>
        new(resolutionMultiple, Constants.LatentDimScale, Constants.LatentMultiple);

    /// <summary>
    /// Decodes image embeddings. Random draws (initial latents, then one per step) continue on
    /// <paramref name="generator"/>, a freshly seeded one when null.
    /// </summary>
    public DecoderResult Run(DecoderRequest request, TorchGenerator? generator = null, PipelineCallbacks? callbacks = null,
        CancellationToken cancellation = default)
    {
        callbacks ??= PipelineCallbacks.None;
        generator ??= PipelineRandom.NewGenerator();
        var embeddings = request.ImageEmbeddings;
        Validate(request);
        bool guided = ClassifierFreeGuidance.IsEnabled(request.GuidanceScale);
        int perEmbedding = request.NumImagesPerPrompt;
        int samples = embeddings.Size(0) * perEmbedding;

        // Row k of the batch decodes image embedding k / n with prompt k / (rows per prompt): for one prompt this is
        // diffusers' repeat_interleave(Be·n); for several it is the alignment diffusers intends (SPEC §5.3).
        var rowToEmbedding = BatchRows.RepeatInterleave(embeddings.Size(0), perEmbedding);
        var rowToPrompt = BatchRows.RepeatInterleave(request.Prompts.Count, samples / request.Prompts.Count);

        // Latent shape (int(hC · 10.67) in Python doubles) and timesteps first, so that bad arguments fail before any
        // model is loaded.
        var sizes = SizeRules();
        sizes.CheckDecodableLatent(embeddings.Size(2), embeddings.Size(3));
        int latentHeight = sizes.DecoderLatentSide(embeddings.Size(2));
        int latentWidth = sizes.DecoderLatentSide(embeddings.Size(3));
        var scheduler = _createScheduler();
        var timesteps = SchedulerTimesteps.Set(scheduler, request.Timesteps, request.NumInferenceSteps);

        // 1. Text conditioning [cond; uncond] and effnet [image_embeddings; zeros] under guidance.
        using var textHiddenStates = EncodePrompts(request, guided, rowToPrompt, callbacks, cancellation);
        callbacks.Show("text_encoder_hidden_states", textHiddenStates);
        using var effnet = EffnetConditioning(embeddings, rowToEmbedding, guided);
        callbacks.Show("effnet", effnet);

        // 2. Initial latents and the sampling loop, then 3. Stage A.
        Tensor latents;
        using (var decoder = _decoder.Acquire())
        {
            int[] shape = [samples, decoder.Component.LatentChannels, latentHeight, latentWidth];
            latents = PipelineRandom.InitialLatents(shape, request.Latents, generator, "Latents");
            callbacks.Show("initial_latents", latents);
            using var conditioned = decoder.Component.Condition(effnet, textHiddenStates);
            latents = DenoisingLoop.Run(latents, timesteps, request.GuidanceScale, conditioned.Forward,
                scheduler, generator, PipelineStage.Decoder, callbacks, cancellation);
        }
        if (request.OutputType == DecoderOutputType.Latent) return new DecoderResult(null, latents);

        try
        {
            var images = DecodeLatents(latents, callbacks, cancellation);
            callbacks.Show("output", images);
            return new DecoderResult(images, latents);
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }

    private Tensor EncodePrompts(DecoderRequest request, bool guided, int[] rowToPrompt, PipelineCallbacks callbacks, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        callbacks.Report(PipelineStage.DecoderTextEncoder, 0, 1);
        using var encoder = _textEncoder.Acquire();
        var hidden = PromptConditioning.Build(encoder.Component, request.Prompts, null,
            request.NegativePrompts, null, guided, rowToPrompt, callbacks.Warn);
        callbacks.Report(PipelineStage.DecoderTextEncoder, 1, 1);
        return hidden;
    }

    /// <summary>The effnet input: the image embeddings per row, followed under guidance by zeros (the unconditional half).</summary>
    private static Tensor EffnetConditioning(Tensor imageEmbeddings, int[] rowToEmbedding, bool guided)
    {
        var rows = BatchRows.Take(imageEmbeddings, rowToEmbedding);
        if (!guided) return rows;
        using (rows)
        using (var zeros = Tensor.Zeros(rows.Shape))
            return BatchRows.Concat(rows, zeros);
    }

    /// <summary>Stage A: <c>clamp(vqgan.decode(scale_factor · latents), 0, 1)</c>.</summary>
    private Tensor DecodeLatents(Tensor latents, PipelineCallbacks callbacks, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        callbacks.Report(PipelineStage.VqGan, 0, 1);
        using var vqgan = _vqgan.Acquire();
        using var scaled = Ops.Mul(latents, vqgan.Component.ScaleFactor);
        using var decoded = vqgan.Component.Decode(scaled);
        var images = Ops.Clamp(decoded, 0f, 1f);
        callbacks.Report(PipelineStage.VqGan, 1, 1);
        return images;
    }

    private static void Validate(DecoderRequest request)
    {
        var embeddings = request.ImageEmbeddings ?? throw new ArgumentException("ImageEmbeddings are required.", nameof(request));
        if (embeddings.Rank != 4 || embeddings.Size(0) < 1)
            throw new ArgumentException($"ImageEmbeddings must be [B, C, h, w] with B ≥ 1; got {embeddings}.", nameof(request));
        if (request.Prompts == null || request.Prompts.Count < 1)
            throw new ArgumentException("Give at least one prompt (\"\" for none).", nameof(request));
        PromptConditioning.NegativePrompts(request.Prompts.Count, request.NegativePrompts);
        if (embeddings.Size(0) % request.Prompts.Count != 0)
            throw new ArgumentException(
                $"{embeddings.Size(0)} image embeddings cannot be split evenly among {request.Prompts.Count} prompts; " +
                "give one prompt, or the same number of embeddings for every prompt (in prompt order).", nameof(request));
        PipelineArguments.CheckPositive(request.NumImagesPerPrompt, "NumImagesPerPrompt");
        PipelineArguments.CheckGuidance(request.GuidanceScale, "GuidanceScale");
    }

    public void Dispose()
    {
        _textEncoder.Dispose();
        _decoder.Dispose();
        _vqgan.Dispose();
    }
}
