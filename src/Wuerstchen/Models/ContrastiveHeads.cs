using System.Globalization;
using Wuerstchen.Models.Init;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// The two projections of a tiny CLIP whose image tower is the frozen semantic compressor: a caption's pooled text
/// features and an image's Stage C latent are mapped into one embedding space, where matching pairs score highest
/// (<c>train text-encoder</c>). Used only to pre-train a text encoder from scratch before the prior; not part of any
/// pipeline.
/// <code>
/// text:  text_projection (d → E, no bias)                                           on the pooled [B, d]
/// image: flatten [B, c·h·w]; image_head.0 (c·h·w → hidden), GELU, image_head.2 (hidden → E)
/// </code>
/// The image side sees the whole latent grid (no pooling), so position words ("on the left") can be matched too.
/// </summary>
public sealed class ContrastiveHeads : Module
{
    private readonly Linear _text, _image0, _image2;

    public int TextDim { get; }
    public int LatentChannels { get; }
    public int LatentHeight { get; }
    public int LatentWidth { get; }
    public int Hidden { get; }
    public int EmbedDim { get; }

    public ContrastiveHeads(WeightSource ws, int textDim, int latentChannels, int latentHeight, int latentWidth, int hidden, int embedDim)
    {
        if (textDim < 1 || latentChannels < 1 || latentHeight < 1 || latentWidth < 1 || hidden < 1 || embedDim < 1)
            throw new ArgumentException($"ContrastiveHeads: every size must be positive, got text {textDim}, latent {latentChannels}×{latentHeight}×{latentWidth}, hidden {hidden}, embed {embedDim}.");
        TextDim = textDim;
        LatentChannels = latentChannels;
        LatentHeight = latentHeight;
        LatentWidth = latentWidth;
        Hidden = hidden;
        EmbedDim = embedDim;
        _text = Own(new Linear(ws.Scope("text_projection"), textDim, embedDim, bias: false));
        _image0 = Own(new Linear(ws.Scope("image_head.0"), latentChannels * latentHeight * latentWidth, hidden));
        _image2 = Own(new Linear(ws.Scope("image_head.2"), hidden, embedDim));
    }

    /// <summary>New heads with torch's default Linear initialisation (Kaiming-uniform a = √5, biases U(±1/√fan_in)) drawn from <paramref name="seed"/>.</summary>
    public static ContrastiveHeads Create(int textDim, int latentChannels, int latentHeight, int latentWidth, int hidden, int embedDim, ulong seed)
    {
        using var ws = WeightSource.Random(seed);
        var heads = new ContrastiveHeads(ws, textDim, latentChannels, latentHeight, latentWidth, hidden, embedDim);
        InitRandom.TorchDefaults(heads, new TorchGenerator(seed));
        return heads;
    }

    /// <summary>Loads heads written with <see cref="ConfigJson"/> and their weights (writable, to go on training).</summary>
    public static ContrastiveHeads FromPretrained(string folder)
    {
        var config = Pretrained.IntConfig(folder);
        return Pretrained.Load(folder, null, nameof(ContrastiveHeads),
            ws => new ContrastiveHeads(ws, config("text_dim"), config("latent_channels"), config("latent_height"), config("latent_width"), config("hidden"), config("embed_dim")),
            writable: true);
    }

    /// <summary>The <c>config.json</c> of the heads' component folder.</summary>
    public string ConfigJson => string.Create(CultureInfo.InvariantCulture,
        $"{{\n  \"_class_name\": \"ContrastiveHeads\",\n  \"text_dim\": {TextDim},\n  \"latent_channels\": {LatentChannels},\n  \"latent_height\": {LatentHeight},\n  \"latent_width\": {LatentWidth},\n  \"hidden\": {Hidden},\n  \"embed_dim\": {EmbedDim}\n}}\n");

    /// <summary>Text embeddings [B, E] (not normalised) of pooled text features [B, d].</summary>
    public Tensor EmbedText(Tensor pooled) => _text.Forward(pooled);

    /// <summary>Image embeddings [B, E] (not normalised) of Stage C latents [B, c, h, w].</summary>
    public Tensor EmbedImage(Tensor latents)
    {
        if (latents.Rank != 4 || latents.Size(1) != LatentChannels || latents.Size(2) != LatentHeight || latents.Size(3) != LatentWidth)
            throw new ArgumentException($"ContrastiveHeads: expected latents [B, {LatentChannels}, {LatentHeight}, {LatentWidth}], got [{string.Join(", ", latents.Shape.ToArray())}].", nameof(latents));
        using var flat = latents.Reshape(latents.Size(0), LatentChannels * LatentHeight * LatentWidth);
        using var hidden = _image0.Forward(flat);
        using var activated = Ops.Gelu(hidden);
        return _image2.Forward(activated);
    }
}
