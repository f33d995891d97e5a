using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>How Stage B turns image embeddings back into images (the decoder pipeline's arguments that matter here).</summary>
/// <param name="Prompt">Stage B's text condition; "" (the default) reconstructs from the image embedding alone.</param>
/// <param name="Steps">Stage B steps, uniform in t (12 as diffusers).</param>
/// <param name="Guidance">Classifier-free guidance against zero embeddings; off for ≤ 1 (the default 0).</param>
/// <param name="NumImages">Decodes per embedding, each from its own noise: variations of one image.</param>
/// <param name="Strength">
/// Where in t Stage B starts: 1 (the default) from pure noise; below 1 from the image's own Stage A latent noised to
/// t = Strength (image-to-image at Stage B: the lower, the closer to the image), over ⌈Steps · Strength⌉ steps.
/// </param>
public sealed record SemanticDecodeOptions(string Prompt = "", int Steps = 12, float Guidance = 0f, int NumImages = 1, float Strength = 1f)
{
    /// <summary>Whether Stage B starts part-way, from the image's noised Stage A latent.</summary>
    public bool StartsFromImage => Strength < 1f;

    /// <summary>Throws for steps ≤ 0 or a strength outside (0, 1], naming the argument.</summary>
    public void Validate()
    {
        if (Steps <= 0) throw new ArgumentException($"Steps must be positive, got {Steps}.", nameof(Steps));
        if (!(Strength > 0f && Strength <= 1f)) throw new ArgumentException($"Strength must be in (0, 1], got {Strength}.", nameof(Strength));
    }

    /// <summary>The schedule from t = Strength down to 0 in ⌈Steps · Strength⌉ uniform steps.</summary>
    public float[] PartialTimesteps()
    {
        int n = Math.Max(1, (int)Math.Ceiling(Steps * (double)Strength - 1e-6));
        return Enumerable.Range(0, n + 1).Select(i => (float)(Strength * (1.0 - (double)i / n))).ToArray();
    }
}

/// <summary>
/// The semantic compressor as an image codec — the paper's reconstruction path: image → 3/4 downscale →
/// <see cref="EfficientNetEncoder"/> → image embedding (what Stage C generates) → Stage B → Stage A → image.
/// Stage B samples, so the result is a re-drawing of the image at the compressor's 42:1 semantic resolution, not a
/// copy; different seeds give variations.
/// </summary>
public sealed class SemanticCodec(EfficientNetEncoder effnet) : IDisposable
{
    public const string ComponentName = "effnet";

    public EfficientNetEncoder Model { get; } = effnet;

    /// <summary>
    /// Loads the compressor in <paramref name="path"/>: an <c>effnet</c> component folder (config.json of an
    /// EfficientNetEncoder + safetensors), or a folder with an <c>effnet</c> subfolder.
    /// </summary>
    public static SemanticCodec FromFolder(string path, string? variant = null)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: folder not found.");
        string component = Path.Combine(path, ComponentName);
        if (!File.Exists(Path.Combine(path, "config.json")) && Directory.Exists(component)) path = component;
        return new SemanticCodec(EfficientNetEncoder.FromPretrained(path, variant));
    }

    /// <summary>The embedding size of an H×W image: the 3/4 downscale, then ⌈n/2⌉ per stride-2 conv (padding (k − 1)/2).</summary>
    public (int Height, int Width) EmbeddingSize(int height, int width)
    {
        var (h, w) = EfficientNetEncoder.StageCInputSize(height, width);
        int halvings = 1 + Model.Config.Stages.Count(s => s.Stride == 2);
        for (int i = 0; i < halvings; i++) { h = (h + 1) / 2; w = (w + 1) / 2; }
        return (h, w);
    }

    /// <summary>
    /// Throws unless Stage B can decode the embedding of an H×W image under <paramref name="rules"/> (for the
    /// released scales: sides in steps of 128 pixels), naming sizes that work.
    /// </summary>
    public void CheckDecodable(int height, int width, ImageSizeRules rules)
    {
        var (h, w) = EmbeddingSize(height, width);
        if (rules.IsDecodableLatentSide(h) && rules.IsDecodableLatentSide(w)) return;
        int step = Enumerable.Range(1, 256).FirstOrDefault(rules.IsDecodableLatentSide);
        if (step == 0)
            throw new ArgumentException($"the image is {width}×{height}, which gives a {w}×{h} image embedding; the decoder's size rules ({rules}) decode no embedding side up to 256.");
        int pixels = PixelsFor(step);
        throw new ArgumentException(
            $"the image is {width}×{height}, which gives a {w}×{h} image embedding; Stage B decodes embeddings whose sides are multiples of {step} " +
            $"(images in steps of {pixels} pixels, e.g. {Math.Max(pixels, width / pixels * pixels)}×{Math.Max(pixels, height / pixels * pixels)}).");
    }

    /// <summary>The smallest image side whose embedding side is <paramref name="side"/>.</summary>
    private int PixelsFor(int side)
    {
        int stride = Model.Config.Stride;
        return side * stride * EfficientNetEncoder.StageCDownscaleDenominator / EfficientNetEncoder.StageCDownscaleNumerator;
    }

    /// <summary>The image embedding (mapper output, what Stage B consumes) of images [B, 3, H, W] in [0, 1].</summary>
    public Tensor ImageEmbeddings(Tensor images)
    {
        using var small = EfficientNetEncoder.DownscaleForStageC(images);
        return Model.Encode(small);
    }

    /// <summary>The <see cref="LatentSpace.StageC"/> latent of images in [0, 1]: <c>(embedding + latent_std) / latent_mean</c>.</summary>
    public Tensor EncodeStageC(Tensor images, StageCLatentScale scale) => Model.EncodeStageC(images, scale);

    /// <summary>
    /// Image → embedding → Stage B → Stage A: the reconstruction (or, with several images, variations). With
    /// <see cref="SemanticDecodeOptions.StartsFromImage"/>, Stage B starts from the image's Stage A latent (encoded by
    /// <paramref name="stageA"/>, which must then be given) noised to t = strength, its noise drawn first from
    /// <paramref name="generator"/>.
    /// </summary>
    public DecoderResult Reconstruct(WuerstchenDecoderPipeline decoder, Tensor images, SemanticDecodeOptions options,
        TorchGenerator generator, PipelineCallbacks? callbacks = null, CancellationToken cancellation = default, StageACodec? stageA = null)
    {
        options.Validate();
        CheckDecodable(images.Size(2), images.Size(3), decoder.SizeRules());
        using var embeddings = ImageEmbeddings(images);
        if (!options.StartsFromImage) return Decode(decoder, embeddings, options, generator, callbacks, cancellation);
        if (stageA == null)
            throw new ArgumentException($"a strength below 1 ({options.Strength}) starts Stage B from the image's Stage A latent: give the Stage A codec.", nameof(stageA));

        using var latents = stageA.Encode(images);
        var rules = decoder.SizeRules();
        int height = rules.DecoderLatentSide(embeddings.Size(2)), width = rules.DecoderLatentSide(embeddings.Size(3));
        if (latents.Size(2) != height || latents.Size(3) != width)
            throw new ArgumentException(
                $"Stage A encodes this {images.Size(3)}×{images.Size(2)} image to a {latents.Size(3)}×{latents.Size(2)} latent, but Stage B samples " +
                $"{width}×{height} latents from its {embeddings.Size(3)}×{embeddings.Size(2)} embedding, so it cannot start from the image; use strength 1.");
        using var repeated = BatchRows.Take(latents, BatchRows.RepeatInterleave(latents.Size(0), options.NumImages));
        using var noise = generator.Randn(repeated.Shape);
        var timesteps = options.PartialTimesteps();
        using var start = decoder.CreateScheduler().AddNoise(repeated, noise, [timesteps[0]]);
        return decoder.Run(Request(embeddings, options) with { Latents = start, Timesteps = timesteps }, generator, callbacks, cancellation);
    }

    /// <summary>Stage B + Stage A from image embeddings (e.g. <see cref="StageCLatentScale.ToEmbeddings"/> of a <see cref="LatentSpace.StageC"/> latent file).</summary>
    public static DecoderResult Decode(WuerstchenDecoderPipeline decoder, Tensor imageEmbeddings, SemanticDecodeOptions options,
        TorchGenerator generator, PipelineCallbacks? callbacks = null, CancellationToken cancellation = default) =>
        decoder.Run(Request(imageEmbeddings, options), generator, callbacks, cancellation);

    private static DecoderRequest Request(Tensor imageEmbeddings, SemanticDecodeOptions options) => new()
    {
        ImageEmbeddings = imageEmbeddings,
        Prompts = [options.Prompt],
        NumInferenceSteps = options.Steps,
        GuidanceScale = options.Guidance,
        NumImagesPerPrompt = options.NumImages,
    };

    /// <summary>The image-embedding channels the decoder of a <c>WuerstchenDecoderPipeline</c> folder expects (<c>effnet_embd</c>, 16 released).</summary>
    public static int DecoderEmbeddingChannels(string decoderPipelineFolder)
    {
        var folder = ModelFolder.Open(decoderPipelineFolder, WuerstchenDecoderPipeline.PipelineClassName);
        return WuerstchenDiffNeXtConfig.Load(folder.ComponentPath("decoder")).EffnetEmbd;
    }

    public void Dispose() => Model.Dispose();
}
