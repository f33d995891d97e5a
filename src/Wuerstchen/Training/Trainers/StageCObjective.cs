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

/// <summary>
/// Stage C (the prior) per SPEC §7.2 / §7.5. Per batch, with draws in the authors' order:
/// <code>
/// captions ← "" for the whole batch with p = 0.05        (authors' recipe only)
/// c  = text_encoder(captions).last_hidden_state           (frozen unless trained jointly)
/// x0 = (compressor(images) + latent_std) / latent_mean  (frozen semantic compressor; 42 and 1 as released)
/// t  ~ authors' sampler | U[0, 1);  ε ~ N(0, I);  x_t = √ᾱ x0 + √(1 − ᾱ) ε
/// loss = p2-weighted ε loss | MSE(prior(x_t, t, c), ε)
/// </code>
/// The export is a <c>WuerstchenPriorPipeline</c> folder: prior, text_encoder, tokenizer, scheduler, model_index.json.
/// </summary>
public sealed class StageCObjective : ITrainingObjective
{
    private readonly TrainedComponent _prior, _textEncoder;
    private readonly TextConditioning _text;
    private readonly ISemanticCompressor _compressor;
    private readonly DdpmWuerstchenScheduler _scheduler = new();

    public WuerstchenPrior Prior { get; }
    public DiffusionRecipe Recipe { get; }
    public double CaptionDropout { get; }

    /// <summary>
    /// <see cref="DiffusionLossWeighting.P2"/> (default): the recipe's loss (P2-weighted for the authors', plain MSE for
    /// diffusers'); <see cref="DiffusionLossWeighting.V"/>: each sample's ε loss weighted by 1/ᾱ(t) under either recipe;
    /// <see cref="DiffusionLossWeighting.Uniform"/>: the per-sample ε losses unweighted (the plain MSE) under either recipe.
    /// </summary>
    public DiffusionLossWeighting LossWeighting { get; init; } = DiffusionLossWeighting.P2;

    /// <summary>
    /// The latent the prior learns: <c>(features + Std) / Mean</c>, written to the export's model_index.json as
    /// latent_mean / latent_std. <see cref="StageCLatentScale.Released"/> (42, 1) suits the released compressor;
    /// a compressor trained from scratch (unit-variance BatchNorm output) needs <see cref="StageCLatentScale.Identity"/>.
    /// </summary>
    public StageCLatentScale LatentScale { get; init; } = StageCLatentScale.Released;

    public string Name => "stage-c";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of the models.</summary>
    public StageCObjective(WuerstchenPrior prior, TextConditioning text, ISemanticCompressor compressor,
        DiffusionRecipe recipe = DiffusionRecipe.Authors, double captionDropout = 0.05)
        : this(prior, text, compressor, recipe, captionDropout, trainPrior: true)
    {
    }

    /// <summary><paramref name="trainPrior"/> false: the prior is frozen (LoRA trains adapters attached to it).</summary>
    internal StageCObjective(WuerstchenPrior prior, TextConditioning text, ISemanticCompressor compressor,
        DiffusionRecipe recipe, double captionDropout, bool trainPrior)
    {
        if (compressor.LatentChannels != prior.Config.CIn)
            throw new ArgumentException($"The semantic compressor gives {compressor.LatentChannels} channels, the prior's c_in is {prior.Config.CIn}.", nameof(compressor));
        if (text.TextEncoder.Config.HiddenSize != prior.Config.CCond)
            throw new ArgumentException($"The text encoder's hidden size is {text.TextEncoder.Config.HiddenSize}, the prior's c_cond is {prior.Config.CCond}.", nameof(text));
        if (captionDropout is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(captionDropout), captionDropout, "Caption dropout must be a probability.");
        Prior = prior;
        _text = text;
        _compressor = compressor;
        Recipe = recipe;
        CaptionDropout = captionDropout;
        _prior = new TrainedComponent("prior", prior, ConfigJsonWriter.ToJson(prior.Config), ComponentFolder.DiffusersWeights, trainPrior);
        _textEncoder = new TrainedComponent("text_encoder", text.TextEncoder, ConfigJsonWriter.ToJson(text.TextEncoder.Config), ComponentFolder.TransformersWeights, text.Train);
        Parameters = [.. _prior.Parameters, .. _textEncoder.Parameters];
        Buffers = [.. _prior.Buffers, .. _textEncoder.Buffers];
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        var draws = context.Draws;
        bool authors = Recipe == DiffusionRecipe.Authors;
        bool dropCaptions = authors && draws.DropCaptions(CaptionDropout);
        var captions = dropCaptions ? Enumerable.Repeat("", batch.Count).ToArray() : batch.Captions;

        var x0 = Latents.Of(batch);
        using (x0)
        using (var tape = Tape.Record())
        {
            using var c = _text.Encode(captions);
            var t = authors ? draws.AuthorsTimesteps(batch.Count) : draws.UniformTimesteps(batch.Count);
            using var noise = draws.Noise(x0.Shape.ToArray());
            using var noised = _scheduler.AddNoise(x0, noise, t);
            using var r = Tensor.FromArray(t, t.Length);
            using var prediction = Prior.Forward(noised, r, c);
            using var loss = LossWeighting != DiffusionLossWeighting.P2 || authors
                ? DiffusionLoss.P2Weighted(prediction, noise, DiffusionLoss.Weights(LossWeighting, _scheduler, t))
                : DiffusionLoss.Mse(prediction, noise);
            tape.Backward(loss);
            return new StepResult(loss.Item(), new Dictionary<string, double> { ["captions_dropped"] = dropCaptions ? 1 : 0 });
        }
    }

    /// <summary>
    /// The frozen half of a step as a <see cref="LatentEncoder"/> for a <see cref="LatentCache"/>: images → x0.
    /// <paramref name="compressorIdentity"/> must name the compressor's weights (e.g. a fingerprint of its files).
    /// </summary>
    public LatentEncoder CacheEncoder(string compressorIdentity) => Latents.CacheEncoder(compressorIdentity);

    /// <summary>The x0 this run learns (the compressor under <see cref="LatentScale"/>, an init property, hence built on use).</summary>
    private StageCLatents Latents => new(_compressor, LatentScale);

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        _prior.Folder(weightOf).Write(folder, dtype);
        _textEncoder.Folder(weightOf).Write(folder, dtype);
        PipelineIndex.CopyFiles(_text.TokenizerFolder, Path.Combine(folder, "tokenizer"));
        PipelineIndex.ForPrior(LatentScale, PipelineIndex.ResolutionMultiple(_compressor.Stride)).Write(folder);
    }

    public void Dispose()
    {
        Prior.Dispose();
        _text.Dispose();
        _compressor.Dispose();
    }
}
