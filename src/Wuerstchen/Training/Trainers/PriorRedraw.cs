using System.Globalization;
using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>How <see cref="PriorRedraw"/> re-draws each picture's embedding.</summary>
/// <param name="MinStrength">lowest t the true latent is noised to (per batch, uniform in [min, max], snapped to the step grid)</param>
/// <param name="MaxStrength">highest such t; 1 would discard the picture entirely</param>
/// <param name="Steps">the prior's step grid over [0, 1] (inference's 60); a batch at strength s runs s · Steps of them</param>
/// <param name="Guidance">the prior's classifier-free guidance, as at inference</param>
/// <param name="Count">re-draw only the first <c>Count</c> samples (null: all)</param>
public sealed record PriorRedrawOptions(float MinStrength = 0.4f, float MaxStrength = 0.8f, int Steps = 60, float Guidance = 4f,
    ulong Seed = 0, int BatchSize = 16, int ShardSize = 1024, int? Count = null)
{
    public void Validate()
    {
        if (!(MinStrength > 0f && MinStrength <= MaxStrength && MaxStrength <= 1f))
            throw new ArgumentException($"Strengths must satisfy 0 < min ≤ max ≤ 1, got {MinStrength} and {MaxStrength}.", nameof(MinStrength));
        if (Steps <= 0) throw new ArgumentException($"Steps must be positive, got {Steps}.", nameof(Steps));
        if (BatchSize <= 0) throw new ArgumentException($"Batch size must be positive, got {BatchSize}.", nameof(BatchSize));
        if (ShardSize <= 0) throw new ArgumentException($"Shard size must be positive, got {ShardSize}.", nameof(ShardSize));
        if (Count is <= 0) throw new ArgumentException($"Count must be positive, got {Count}.", nameof(Count));
    }

    /// <summary>The descending timesteps from the grid point nearest <paramref name="strength"/> (never 0) to 0.</summary>
    public float[] Timesteps(double strength)
    {
        int first = Math.Clamp((int)Math.Round((1 - strength) * Steps), 0, Steps - 1);
        return Enumerable.Range(first, Steps - first + 1).Select(k => (float)(1.0 - (double)k / Steps)).ToArray();
    }

    /// <summary>What the options change in the output, for the bank's identity.</summary>
    public string Signature => string.Create(CultureInfo.InvariantCulture,
        $"strength={MinStrength:R}..{MaxStrength:R};steps={Steps};guidance={Guidance:R};seed={Seed};batch={BatchSize}");
}

/// <summary>
/// Prior-like image embeddings of real pictures, for Stage B's <see cref="StageBAugmentation.Redrawn"/> augmentation.
/// Per batch of pictures: their true Stage C latent x0 (the frozen compressor), noised to t = s, is denoised by the
/// prior from the pictures' captions with guidance, exactly as at inference from that point on:
/// <code>
/// s ~ U(min, max), snapped to the step grid;   x_s = √ᾱ(s) x0 + √(1 − ᾱ(s)) ε
/// x̂0 = prior sampling loop over [s, …, 0] (captions, guidance)   →   embedding = x̂0 · latent_mean − latent_std
/// </code>
/// The result keeps the picture's layout (decided above t ≈ s) but carries the prior's own rendering of the detail:
/// the kind of embedding Stage B is given at generation time, with the picture it should become as the target. Not
/// in SPEC §7.3 (a decoder trained on true embeddings only follows the prior's loose outlines: models/README.md).
/// Deterministic per batch (seeded by the options' seed and the batch's first index), so a rerun keeps finished shards.
/// </summary>
public static class PriorRedraw
{
    /// <summary>
    /// Writes an <see cref="EmbeddingBank"/> into <paramref name="folder"/> for the first samples of
    /// <paramref name="dataset"/> (in name order). <paramref name="modelsIdentity"/> must name the prior's and the
    /// compressor's weights; shards of the same build already there are kept, shards past the last one deleted. Returns the bank's identity.
    /// <paramref name="progress"/> receives the number of samples done.
    /// </summary>
    public static string Build(ImageCaptionDataset dataset, ISemanticCompressor compressor, WuerstchenPriorPipeline prior,
        PriorRedrawOptions options, string folder, string modelsIdentity, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(compressor);
        ArgumentNullException.ThrowIfNull(prior);
        options.Validate();
        Directory.CreateDirectory(folder);
        string identity = $"{modelsIdentity};prior-redraw;{options.Signature};compressor-input={compressor.InputSignature};{dataset.PreprocessSignature}";
        int total = Math.Min(options.Count ?? dataset.Count, dataset.Count);
        for (int first = 0, shard = 0; first < total; first += options.ShardSize, shard++)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(options.ShardSize, total - first);
            var path = Path.Combine(folder, EmbeddingBank.ShardFileName(shard));
            var ids = Enumerable.Range(first, count).Select(i => dataset.Entries[i].Id).ToArray();
            if (!EmbeddingBank.IsComplete(path, identity, ids)) WriteShard(dataset, compressor, prior, options, path, identity, first, count, cancellation);
            progress?.Report(first + count);
        }
        EmbeddingBank.DeleteShardsFrom(folder, (total + options.ShardSize - 1) / options.ShardSize);
        return identity;
    }

    private static void WriteShard(ImageCaptionDataset dataset, ISemanticCompressor compressor, WuerstchenPriorPipeline prior,
        PriorRedrawOptions options, string path, string identity, int first, int count, CancellationToken cancellation)
    {
        var done = new List<(string Id, Tensor Embedding)>();
        var strengths = new Dictionary<string, float>(StringComparer.Ordinal);
        try
        {
            for (int start = first; start < first + count; start += options.BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(options.BatchSize, first + count - start)).ToArray();
                var pixels = dataset.LoadImages(batch, [.. batch.Select(_ => SampleAugmentation.None)]);   // broken ones: null, per the policy
                var indices = batch.Where((_, k) => pixels[k] != null).ToList();
                if (indices.Count == 0) continue;
                using var images = dataset.StackImages(pixels.OfType<float[]>().ToArray());
                var rng = SplitMix64.Derive(options.Seed, (ulong)start);
                var timesteps = options.Timesteps(rng.NextDouble(options.MinStrength, options.MaxStrength));
                var generator = new TorchGenerator(rng.NextUInt64());
                using var embeddings = Redraw(compressor, prior, images, indices.Select(i => dataset.Entries[i].Caption).ToArray(),
                    timesteps, options.Guidance, generator, cancellation);
                for (int k = 0; k < indices.Count; k++)
                {
                    var id = dataset.Entries[indices[k]].Id;
                    done.Add((id, embeddings.Select(0, k).Clone()));
                    strengths[id] = timesteps[0];
                }
            }
            EmbeddingBank.WriteShard(path, identity, done, new Dictionary<string, string> { ["strengths"] = JsonText.Write(w =>
            {
                w.WriteStartObject();
                foreach (var (id, t) in strengths) w.WriteNumber(id, t);
                w.WriteEndObject();
            }) });
        }
        finally
        {
            foreach (var (_, e) in done) e.Dispose();
        }
    }

    /// <summary>
    /// The re-drawing of one batch: <paramref name="images"/> [B, 3, S, S] with their <paramref name="captions"/>,
    /// noised to <c>timesteps[0]</c> with the generator's first draw, then denoised over <paramref name="timesteps"/>.
    /// Returns image embeddings [B, c, h, w].
    /// </summary>
    public static Tensor Redraw(ISemanticCompressor compressor, WuerstchenPriorPipeline prior, Tensor images, IReadOnlyList<string> captions,
        float[] timesteps, float guidance, TorchGenerator generator, CancellationToken cancellation = default)
    {
        using var _ = Tape.NoGrad();
        using var truth = compressor.Encode(images, training: false);
        using var x0 = prior.Constants.LatentScale.ToLatent(truth);
        using var noise = generator.Randn(x0.Shape.ToArray());
        using var start = prior.CreateScheduler().AddNoise(x0, noise, [timesteps[0]]);
        var request = new PriorRequest
        {
            Prompts = captions,
            Height = images.Size(2),
            Width = images.Size(3),
            Latents = start,
            Timesteps = timesteps,
            GuidanceScale = guidance,
        };
        PriorResult result;
        try { result = prior.Run(request, generator, cancellation: cancellation); }
        catch (ArgumentException e) when (e.ParamName == "Latents")
        {
            throw new ArgumentException($"The compressor gives latents {start} for {images.Size(3)}×{images.Size(2)} pictures, which the prior does not sample ({e.Message}).", nameof(compressor), e);
        }
        using (result) return result.ImageEmbeddings.Clone();
    }
}
