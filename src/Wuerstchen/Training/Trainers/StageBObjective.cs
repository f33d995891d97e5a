using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Objectives;

namespace Wuerstchen.Training.Trainers;

/// <summary>Stage B's conditioning augmentation (SPEC §7.3), all per batch.</summary>
/// <param name="CaptionDropout">every caption → "" with this probability</param>
/// <param name="EffnetDropout">effnet features zeroed (the decoder's unconditional input)</param>
/// <param name="EffnetNoise">otherwise, features noised by the forward process at t ~ U(0, <paramref name="EffnetNoiseMaxT"/>) per sample</param>
/// <param name="EffnetCoarsen">
/// otherwise (before any noising), features blurred spatially with this probability: resized down by
/// <paramref name="EffnetCoarsenFactor"/> (antialiased bilinear, i.e. area-like) and back up (bilinear). Not in
/// SPEC §7.3 (0, its default, draws nothing, so the recipe is unchanged): a generated Stage C latent carries the
/// object's class in its features but draws its outline loosely, and a decoder that only ever saw sharp outlines
/// follows the outline; blurred ones are meant to make it read the shape from the features and the caption (on the
/// default model, 3,000 updates at 0.5 did not yet: models/README.md).
/// </param>
/// <param name="Redrawn">
/// first of all, each sample's features are replaced with this probability by its entry in the objective's
/// <see cref="EmbeddingBank"/> of prior re-drawings (<see cref="PriorRedraw"/>), when the bank has one. Not in SPEC §7.3
/// (0, its default, draws nothing): it shows the decoder the prior's rendering of a picture's layout with the picture
/// itself as the target, so that it learns to draw clean shapes from generated embeddings.
/// </param>
public sealed record StageBAugmentation(double CaptionDropout = 0.05, double EffnetDropout = 0.05, double EffnetNoise = 0.3, float EffnetNoiseMaxT = 0.5f,
    DiffusionLossWeighting LossWeighting = DiffusionLossWeighting.P2, double EffnetCoarsen = 0, int EffnetCoarsenFactor = 2, double Redrawn = 0)
{
    /// <summary>
    /// <paramref name="features"/> [B, C, h, w] resized to ⌈h / f⌉ × ⌈w / f⌉ (antialiased bilinear) and back to h × w
    /// (bilinear); recorded, so a trained compressor gets its gradient through it.
    /// </summary>
    public Tensor Coarsen(Tensor features)
    {
        int f = EffnetCoarsenFactor, h = features.Size(2), w = features.Size(3);
        using var small = Ops.Interpolate(features, (h + f - 1) / f, (w + f - 1) / f, InterpolationMode.Bilinear, antialias: true);
        return Ops.Interpolate(small, h, w, InterpolationMode.Bilinear);
    }
}

/// <summary>
/// Stage B (the decoder) per SPEC §7.3. Per batch, draws in this order:
/// <code>
/// captions ← "" with p = 0.05
/// x0 = vqgan.encode(images) / scale_factor                 (frozen Stage A, un-quantised latents)
/// e  = compressor(images)                                  (trained jointly, or frozen)
/// [only with a bank of re-drawn embeddings and Redrawn &gt; 0: per sample, e[b] ← bank[id] with p = Redrawn]
/// e  ← 0 with p = 0.05, else [only if EffnetCoarsen &gt; 0: blurred with p = EffnetCoarsen, then]
///      with p = 0.3: √ᾱ(s) e + √(1 − ᾱ(s)) ε′, s ~ U(0, 0.5) per sample
/// t  ~ authors' sampler; ε ~ N(0, I); x_t = √ᾱ x0 + √(1 − ᾱ) ε
/// loss = p2-weighted ε loss of decoder(x_t, t, e, clip(captions))   [per pixel weighted towards objects: ObjectLossWeighting]
/// </code>
/// With a frozen compressor, x0 and e can come from a <see cref="LatentCache"/> built with <see cref="CacheEncoder"/>
/// (the draws are the same, so the updates are too); that skips Stage A's encoder, which costs more than the
/// decoder's forward pass at the default model's size.
/// The export is a <c>WuerstchenDecoderPipeline</c> folder (decoder, text_encoder, tokenizer, vqgan, scheduler,
/// model_index.json) plus <c>effnet/</c>, the compressor Stage C is then trained against.
/// </summary>
public sealed class StageBObjective : ITrainingObjective
{
    private readonly TrainedComponent _decoder, _vqgan, _textEncoder, _effnet;
    private readonly TextConditioning _text;
    private readonly ISemanticCompressor _compressor;
    private readonly DdpmWuerstchenScheduler _scheduler = new();
    private (int[] Latent, int[] Features)? _cacheLayout;   // per-sample shapes of a cached batch, set by CacheEncoder
    private readonly EmbeddingBank? _redrawn;

    public WuerstchenDiffNeXt Decoder { get; }
    public PaellaVQModel VqGan { get; }
    public ISemanticCompressor Compressor => _compressor;
    public bool TrainCompressor { get; }
    public StageBAugmentation Augmentation { get; }
    public ObjectLossWeighting? Objects { get; }

    public string Name => "stage-b";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of the models.</summary>
    /// <param name="objects">optional: the loss weighted towards the dataset's objects (<see cref="ObjectLossWeighting"/>)</param>
    /// <param name="redrawn">optional: prior re-drawings of the dataset's embeddings for <see cref="StageBAugmentation.Redrawn"/> (owned; frozen compressor only)</param>
    public StageBObjective(WuerstchenDiffNeXt decoder, PaellaVQModel vqgan, TextConditioning text, ISemanticCompressor compressor,
        bool trainCompressor, StageBAugmentation? augmentation = null, ObjectLossWeighting? objects = null, EmbeddingBank? redrawn = null)
    {
        if (redrawn != null && trainCompressor)
            throw new ArgumentException("Re-drawn embeddings stand in for a frozen compressor's features; freeze the compressor to use them.", nameof(redrawn));
        if (compressor.LatentChannels != decoder.Config.EffnetEmbd)
            throw new ArgumentException($"The semantic compressor gives {compressor.LatentChannels} channels, the decoder's effnet_embd is {decoder.Config.EffnetEmbd}.", nameof(compressor));
        if (vqgan.Config.LatentChannels != decoder.Config.CIn)
            throw new ArgumentException($"Stage A has {vqgan.Config.LatentChannels} latent channels, the decoder's c_in is {decoder.Config.CIn}.", nameof(vqgan));
        if (text.TextEncoder.Config.HiddenSize != decoder.Config.ClipEmbd)
            throw new ArgumentException($"The text encoder's hidden size is {text.TextEncoder.Config.HiddenSize}, the decoder's clip_embd is {decoder.Config.ClipEmbd}.", nameof(text));
        Decoder = decoder;
        VqGan = vqgan;
        _text = text;
        _compressor = compressor;
        TrainCompressor = trainCompressor;
        Augmentation = augmentation ?? new StageBAugmentation();
        Objects = objects;
        _redrawn = redrawn;
        _decoder = new TrainedComponent("decoder", decoder, ConfigJsonWriter.ToJson(decoder.Config), ComponentFolder.DiffusersWeights, trained: true);
        _vqgan = new TrainedComponent("vqgan", vqgan, ConfigJsonWriter.ToJson(vqgan.Config), ComponentFolder.DiffusersWeights, trained: false);
        _textEncoder = new TrainedComponent("text_encoder", text.TextEncoder, ConfigJsonWriter.ToJson(text.TextEncoder.Config), ComponentFolder.TransformersWeights, text.Train);
        _effnet = new TrainedComponent("effnet", compressor.Module, compressor.ConfigJson, ComponentFolder.DiffusersWeights, trainCompressor);
        Parameters = [.. _decoder.Parameters, .. _effnet.Parameters, .. _textEncoder.Parameters];
        Buffers = [.. _decoder.Buffers, .. _effnet.Buffers, .. _textEncoder.Buffers];
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        var draws = context.Draws;
        int n = batch.Count;
        bool dropCaptions = draws.DropCaptions(Augmentation.CaptionDropout);
        var captions = dropCaptions ? Enumerable.Repeat("", n).ToArray() : batch.Captions;

        // Cached: Stage A's latents and the frozen compressor's features, encoded once (CacheEncoder).
        Tensor x0;
        Tensor? images = null, frozenFeatures = null;
        if (batch.Latents is { } cached) (x0, frozenFeatures) = Unpack(cached);
        else
        {
            images = batch.Images ?? throw new ArgumentException("The batch holds neither images nor latents.", nameof(batch));
            x0 = FrozenStageA.Latents(VqGan, images);
            if (!TrainCompressor) frozenFeatures = FrozenFeatures(images);
        }
        using (x0)
        using (var tape = Tape.Record())
        {
            var features = TrainCompressor ? _compressor.Encode(images!, training: true) : frozenFeatures!;

            int redrawn = _redrawn != null && Augmentation.Redrawn > 0 ? SubstituteRedrawn(features, batch, draws) : 0;
            bool zeroed = false, coarsened = false, effnetNoised = false;
            if (draws.Generator.NextDouble() < Augmentation.EffnetDropout)
            {
                zeroed = true;
                Replace(ref features, Tensor.Zeros(features.Shape));
            }
            else
            {
                if (Augmentation.EffnetCoarsen > 0 && draws.Generator.NextDouble() < Augmentation.EffnetCoarsen)
                {
                    coarsened = true;
                    Replace(ref features, Augmentation.Coarsen(features));
                }
                if (draws.Generator.NextDouble() < Augmentation.EffnetNoise)
                {
                    effnetNoised = true;
                    var s = draws.UniformTimesteps(n);
                    for (int b = 0; b < n; b++) s[b] *= Augmentation.EffnetNoiseMaxT;
                    using var effnetNoise = draws.Noise(features.Shape.ToArray());
                    Replace(ref features, RecordedForwardDiffusion.AddNoise(features, effnetNoise, s, _scheduler));
                }
            }

            using (features)
            {
                using var clip = _text.Encode(captions);
                var t = draws.AuthorsTimesteps(n);
                using var noise = draws.Noise(x0.Shape.ToArray());
                using var noised = _scheduler.AddNoise(x0, noise, t);
                using var r = Tensor.FromArray(t, n);
                using var prediction = Decoder.Forward(noised, r, features, clip);
                using var pixelWeights = Objects?.PixelWeights(batch.Ids, batch.Flipped, x0.Size(2), x0.Size(3));
                using var loss = DiffusionLoss.P2Weighted(prediction, noise, DiffusionLoss.Weights(Augmentation.LossWeighting, _scheduler, t),
                    out var perSample, pixelWeights);
                perSample.Dispose();
                tape.Backward(loss);
                return new StepResult(loss.Item(), new Dictionary<string, double>
                {
                    ["captions_dropped"] = dropCaptions ? 1 : 0,
                    ["effnet_zeroed"] = zeroed ? 1 : 0,
                    ["effnet_noised"] = effnetNoised ? 1 : 0,
                    ["effnet_coarsened"] = coarsened ? 1 : 0,
                    ["effnet_redrawn"] = redrawn,
                });
            }
        }
    }

    /// <summary>
    /// Per sample, one uniform draw; below <see cref="StageBAugmentation.Redrawn"/> its features become the bank's
    /// re-drawing (mirrored if the sample is). Returns how many were replaced.
    /// </summary>
    private int SubstituteRedrawn(Tensor features, CaptionBatch batch, DiffusionTrainingDraws draws)
    {
        int replaced = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            if (!(draws.Generator.NextDouble() < Augmentation.Redrawn) || !_redrawn!.TryGet(batch.Ids[b], out var embedding)) continue;
            using (embedding)
            using (var row = features.Select(0, b))
            {
                if (!embedding.Shape.SequenceEqual(row.Shape))
                    throw new InvalidDataException($"{_redrawn.Folder}: the embedding of '{batch.Ids[b]}' is {embedding}, the compressor's features are {row}; the bank was made for other models.");
                if (batch.Flipped[b]) MirrorWidth(embedding);
                row.CopyFrom(embedding);
            }
            replaced++;
        }
        return replaced;
    }

    private static void MirrorWidth(Tensor t)
    {
        int w = t.Size(t.Rank - 1);
        var data = t.AsSpan();
        for (int start = 0; start < data.Length; start += w) data.Slice(start, w).Reverse();
    }

    private static void Replace(ref Tensor features, Tensor replacement)
    {
        features.Dispose();
        features = replacement;
    }

    /// <summary>
    /// The frozen half of a step as a <see cref="LatentEncoder"/> for a <see cref="LatentCache"/>, valid only with a
    /// frozen compressor: per image, Stage A's latent and the compressor's features, flattened and concatenated
    /// ([B, c_in·h·w + c_e·h_e·w_e]; <see cref="Step"/> splits them again). <paramref name="resolution"/> is the
    /// dataset's image side, which fixes both shapes; <paramref name="frozenIdentity"/> must name the weights of
    /// Stage A and the compressor (e.g. a fingerprint of their files).
    /// </summary>
    public LatentEncoder CacheEncoder(string frozenIdentity, int resolution)
    {
        if (TrainCompressor)
            throw new InvalidOperationException("Stage B can cache latents only with a frozen compressor: a trained one changes its features every update.");
        using (var probe = Tensor.Zeros(1, 3, resolution, resolution))
        using (var latent = FrozenStageA.Latents(VqGan, probe))
        using (var features = FrozenFeatures(probe))
            _cacheLayout = (latent.Shape.ToArray()[1..], features.Shape.ToArray()[1..]);
        return new LatentEncoder($"{frozenIdentity};stage-b-x0+effnet;scale={VqGan.Config.ScaleFactor.ToString(System.Globalization.CultureInfo.InvariantCulture)};input={_compressor.InputSignature};side={resolution}", Pack);
    }

    private Tensor FrozenFeatures(Tensor images)
    {
        using var _ = Tape.NoGrad();
        return _compressor.Encode(images, training: false);
    }

    private Tensor Pack(Tensor images)
    {
        using var latent = FrozenStageA.Latents(VqGan, images);
        using var features = FrozenFeatures(images);
        int n = images.Size(0);
        using var flatLatent = latent.Reshape(n, -1);
        using var flatFeatures = features.Reshape(n, -1);
        return Ops.Cat([flatLatent, flatFeatures], 1);
    }

    private (Tensor Latent, Tensor Features) Unpack(Tensor packed)
    {
        var (latentShape, featureShape) = _cacheLayout
            ?? throw new InvalidOperationException("The batch holds cached latents, but this objective made no CacheEncoder to define their layout.");
        int n = packed.Size(0), a = latentShape.Aggregate(1, (p, d) => p * d), b = featureShape.Aggregate(1, (p, d) => p * d);
        if (packed.Rank != 2 || packed.Size(1) != a + b)
            throw new InvalidDataException($"A cached Stage B sample has {packed.Numel / Math.Max(n, 1)} values; Stage A's latent {string.Join('×', latentShape)} and the features {string.Join('×', featureShape)} need {a + b}. Rebuild the latent cache.");
        return (Part(0, a, latentShape), Part(a, b, featureShape));

        Tensor Part(int start, int length, int[] shape)
        {
            var part = Tensor.Empty([n, .. shape]);
            using var flat = part.Reshape(n, length);
            using var columns = packed.Narrow(1, start, length);
            flat.CopyFrom(columns);
            return part;
        }
    }

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        _decoder.Folder(weightOf).Write(folder, dtype);
        _vqgan.Folder(weightOf).Write(folder, dtype);
        _textEncoder.Folder(weightOf).Write(folder, dtype);
        // The compressor stays F32 whatever the export precision: Stage C's latents are defined by it.
        _effnet.Folder(weightOf).Write(folder);
        PipelineIndex.CopyFiles(_text.TokenizerFolder, Path.Combine(folder, "tokenizer"));
        // 10.67 for the released stride-32 compressor and 4× Stage A; what the compressor and Stage A imply otherwise.
        var resolutionMultiple = PipelineIndex.ResolutionMultiple(_compressor.Stride);
        PipelineIndex.ForDecoder(PipelineIndex.LatentDimScale(resolutionMultiple, VqGan.DownscaleFactor)).Write(folder);
    }

    public void Dispose()
    {
        Decoder.Dispose();
        VqGan.Dispose();
        _text.Dispose();
        _compressor.Dispose();
        _redrawn?.Dispose();
    }
}
