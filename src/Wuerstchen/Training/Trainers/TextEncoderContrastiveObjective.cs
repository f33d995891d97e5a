using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// Pre-trains a text encoder from scratch as a tiny CLIP whose image tower is the frozen semantic compressor
/// (<c>train text-encoder</c>). Würstchen conditions its prior on a CLIP text encoder that already knows what
/// captions say about images; a text encoder trained only through the prior's diffusion loss learns that slowly,
/// since at the noise levels where the caption matters the loss weighs little. Per batch:
/// <code>
/// h  = text_encoder(captions).last_hidden_state                 [B, 77, d]
/// t  = normalise(text_projection(mean of h over the caption's tokens))
/// x0 = (compressor(images) + latent_std) / latent_mean          the prior's latent, frozen (cacheable)
/// i  = normalise(image_head(flatten(x0)))
/// logits = t iᵀ / τ;  loss = ½ (CE(logits, Y) + CE(logitsᵀ, Y))
/// </code>
/// Y is the row-normalised "same caption" matrix: captions that repeat within a batch are all right answers. The
/// mean over tokens (not CLIP's end token) is pooled because the prior reads every token's state.
/// The export is <c>text_encoder/</c> + <c>tokenizer/</c> (what <c>--text-encoder</c> takes) and <c>contrastive_heads/</c>.
/// </summary>
public sealed class TextEncoderContrastiveObjective : ITrainingObjective
{
    /// <summary>Folder of the heads in checkpoints and exports (read back by <c>--init</c>).</summary>
    public const string HeadsFolder = "contrastive_heads";

    private readonly TrainedComponent _textEncoder, _heads;
    private readonly TextConditioning _text;
    private readonly StageCLatents _latents;

    public ContrastiveHeads Heads { get; }
    public float Temperature { get; }

    public string Name => "text-encoder";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of the models; <paramref name="text"/> must be trainable.</summary>
    public TextEncoderContrastiveObjective(TextConditioning text, ContrastiveHeads heads, StageCLatents latents, float temperature = 0.07f)
    {
        if (!text.Train) throw new ArgumentException("The text encoder is what this objective trains: it must be trainable.", nameof(text));
        if (heads.TextDim != text.TextEncoder.Config.HiddenSize)
            throw new ArgumentException($"The heads read {heads.TextDim} text features, the text encoder's hidden size is {text.TextEncoder.Config.HiddenSize}.", nameof(heads));
        if (heads.LatentChannels != latents.Compressor.LatentChannels)
            throw new ArgumentException($"The heads read {heads.LatentChannels} latent channels, the compressor gives {latents.Compressor.LatentChannels}.", nameof(heads));
        if (!(temperature > 0) || !float.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        _text = text;
        _latents = latents;
        Heads = heads;
        Temperature = temperature;
        _textEncoder = new TrainedComponent("text_encoder", text.TextEncoder, ConfigJsonWriter.ToJson(text.TextEncoder.Config), ComponentFolder.TransformersWeights, trained: true);
        _heads = new TrainedComponent(HeadsFolder, heads, heads.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        Parameters = [.. _textEncoder.Parameters, .. _heads.Parameters];
        Buffers = [.. _textEncoder.Buffers, .. _heads.Buffers];
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        using var x0 = _latents.Of(batch);
        using var tape = Tape.Record();
        using var hidden = _text.Encode(batch.Captions, out var mask);
        using var pooled = MeanOverTokens(hidden, mask);
        using var textRaw = Heads.EmbedText(pooled);
        using var imageRaw = Heads.EmbedImage(x0);
        using var target = SameCaptionTargets(batch.Captions);
        var (loss, textLogits) = ContrastiveLoss(textRaw, imageRaw, target, Temperature);
        using (loss)
        using (textLogits)
        {
            tape.Backward(loss);
            return new StepResult(loss.Item(), new Dictionary<string, double> { ["match_accuracy"] = MatchAccuracy(textLogits, batch.Captions) });
        }
    }

    /// <summary>
    /// The symmetric contrastive loss of raw text and image embeddings [B, E] against targets [B, B] (symmetric: the
    /// same-caption matrix), and the text → image logits t iᵀ / τ (for the accuracy). The image → text logits are
    /// their transpose, so that direction is the log-softmax down the columns.
    /// </summary>
    internal static (Tensor Loss, Tensor TextLogits) ContrastiveLoss(Tensor textRaw, Tensor imageRaw, Tensor target, float temperature)
    {
        using var textEmbedding = Normalise(textRaw);
        using var imageEmbedding = Normalise(imageRaw);
        using var similarity = Ops.Linear(textEmbedding, imageEmbedding);   // t iᵀ
        var logits = Ops.Mul(similarity, 1f / temperature);
        using var textLoss = SoftCrossEntropy(logits, target, dim: 1);
        using var imageLoss = SoftCrossEntropy(logits, target, dim: 0);
        using var sum = Ops.Add(textLoss, imageLoss);
        return (Ops.Mul(sum, 0.5f), logits);
    }

    /// <summary>Mean of <paramref name="hidden"/> [B, L, d] over each row's real tokens (attention mask 1) → [B, d].</summary>
    internal static Tensor MeanOverTokens(Tensor hidden, int[] mask)
    {
        int b = hidden.Size(0), length = hidden.Size(1);
        if (mask.Length != b * length) throw new ArgumentException($"{mask.Length} mask entries for [{b}, {length}] tokens.", nameof(mask));
        var weights = new float[b * length];
        for (int n = 0; n < b; n++)
        {
            int count = 0;
            for (int j = 0; j < length; j++) count += mask[n * length + j] != 0 ? 1 : 0;
            if (count == 0) throw new ArgumentException($"Row {n} has no tokens.", nameof(mask));
            for (int j = 0; j < length; j++) weights[n * length + j] = mask[n * length + j] != 0 ? 1f / count : 0f;
        }
        using var w = Tensor.FromArray(weights, b, length, 1);
        using var weighted = Ops.Mul(hidden, w);
        return Ops.Sum(weighted, [1]);
    }

    /// <summary>x / ‖x‖ along the last dim of [B, E] (ε 1e-12 under the root, as no real embedding is that small).</summary>
    internal static Tensor Normalise(Tensor x)
    {
        using var squares = Ops.Square(x);
        using var sum = Ops.Sum(squares, [1], keepDim: true);
        using var safe = Ops.Add(sum, 1e-12f);
        using var norm = Ops.Sqrt(safe);
        return Ops.Div(x, norm);
    }

    /// <summary>[B, B]: row r spreads 1 evenly over the columns whose caption equals caption r.</summary>
    internal static Tensor SameCaptionTargets(IReadOnlyList<string> captions)
    {
        int b = captions.Count;
        var target = new float[b * b];
        for (int r = 0; r < b; r++)
        {
            int same = 0;
            for (int c = 0; c < b; c++) same += captions[r] == captions[c] ? 1 : 0;
            for (int c = 0; c < b; c++) target[r * b + c] = captions[r] == captions[c] ? 1f / same : 0f;
        }
        return Tensor.FromArray(target, b, b);
    }

    /// <summary>−Σ Y ⊙ log_softmax(logits, <paramref name="dim"/>) of [B, B] logits, averaged over the B distributions.</summary>
    internal static Tensor SoftCrossEntropy(Tensor logits, Tensor target, int dim)
    {
        using var logProbabilities = Ops.LogSoftmax(logits, dim);
        using var picked = Ops.Mul(logProbabilities, target);
        using var total = Ops.Sum(picked, []);
        return Ops.Mul(total, -1f / logits.Size(0));
    }

    /// <summary>Share of captions whose best-scoring image carries the same caption.</summary>
    private static double MatchAccuracy(Tensor logits, IReadOnlyList<string> captions)
    {
        int b = captions.Count;
        var values = logits.ToArray();
        int right = 0;
        for (int r = 0; r < b; r++)
        {
            int best = 0;
            for (int c = 1; c < b; c++)
                if (values[r * b + c] > values[r * b + best]) best = c;
            if (captions[best] == captions[r]) right++;
        }
        return (double)right / b;
    }

    /// <summary>The same mapping as the prior's, so a Stage C latent cache serves both.</summary>
    public LatentEncoder CacheEncoder(string compressorIdentity) => _latents.CacheEncoder(compressorIdentity);

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        _textEncoder.Folder(weightOf).Write(folder, dtype);
        _heads.Folder(weightOf).Write(folder, dtype);
        PipelineIndex.CopyFiles(_text.TokenizerFolder, Path.Combine(folder, "tokenizer"));
    }

    public void Dispose()
    {
        _text.Dispose();
        Heads.Dispose();
        _latents.Compressor.Dispose();
    }
}
