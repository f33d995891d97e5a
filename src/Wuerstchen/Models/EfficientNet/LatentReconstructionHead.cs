using System.Globalization;
using Wuerstchen.Models.Init;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// A small convolutional decoder from the semantic compressor's features [B, c_latent, h, w] back to Stage A's latent
/// [B, c_out, H, W], used only while pre-training a compressor from scratch (<c>train effnet</c>): reconstructing the
/// image's latent through the 16 × h × w bottleneck forces the features to carry what the image shows (colours,
/// shapes, where they are), the job the released EfficientNet's ImageNet training does for Würstchen. A compressor
/// trained only through Stage B's diffusion loss learns little of it: at low noise the decoder reads the details
/// from its noisy input, at high noise the loss barely weighs them. Not part of any pipeline.
/// <code>
/// conv_in 3×3 (c_latent → width), SiLU, mid 3×3, SiLU                 at h × w
/// bilinear to (H/4, W/4); up1.0 3×3, SiLU, up1.1 3×3, SiLU
/// bilinear to (H, W);     up2 3×3 (width → width/2), SiLU, conv_out 3×3 (width/2 → c_out)
/// </code>
/// </summary>
public sealed class LatentReconstructionHead : Module
{
    private readonly Conv2d _in, _mid, _up1a, _up1b, _up2, _out;

    public int InChannels { get; }
    public int Width { get; }
    public int OutChannels { get; }

    public LatentReconstructionHead(WeightSource ws, int inChannels, int width, int outChannels)
    {
        if (inChannels < 1 || outChannels < 1 || width < 2 || width % 2 != 0)
            throw new ArgumentException($"LatentReconstructionHead: channels must be positive and the width even, got in {inChannels}, width {width}, out {outChannels}.");
        InChannels = inChannels;
        Width = width;
        OutChannels = outChannels;
        _in = Own(new Conv2d(ws.Scope("conv_in"), inChannels, width, 3, padding: 1));
        _mid = Own(new Conv2d(ws.Scope("mid"), width, width, 3, padding: 1));
        _up1a = Own(new Conv2d(ws.Scope("up1.0"), width, width, 3, padding: 1));
        _up1b = Own(new Conv2d(ws.Scope("up1.1"), width, width, 3, padding: 1));
        _up2 = Own(new Conv2d(ws.Scope("up2"), width, width / 2, 3, padding: 1));
        _out = Own(new Conv2d(ws.Scope("conv_out"), width / 2, outChannels, 3, padding: 1));
    }

    /// <summary>A new head with torch's default Conv2d initialisation (Kaiming-uniform a = √5, biases U(±1/√fan_in)) drawn from <paramref name="seed"/>.</summary>
    public static LatentReconstructionHead Create(int inChannels, int width, int outChannels, ulong seed)
    {
        using var ws = WeightSource.Random(seed);
        var head = new LatentReconstructionHead(ws, inChannels, width, outChannels);
        InitRandom.TorchDefaults(head, new TorchGenerator(seed));
        return head;
    }

    /// <summary>Loads a head written with <see cref="ConfigJson"/> and its weights (writable, to go on training).</summary>
    public static LatentReconstructionHead FromPretrained(string folder)
    {
        var config = Pretrained.IntConfig(folder);
        return Pretrained.Load(folder, null, nameof(LatentReconstructionHead),
            ws => new LatentReconstructionHead(ws, config("in_channels"), config("width"), config("out_channels")), writable: true);
    }

    /// <summary>The <c>config.json</c> of the head's component folder.</summary>
    public string ConfigJson => string.Create(CultureInfo.InvariantCulture,
        $"{{\n  \"_class_name\": \"LatentReconstructionHead\",\n  \"in_channels\": {InChannels},\n  \"width\": {Width},\n  \"out_channels\": {OutChannels}\n}}\n");

    /// <summary>The latent [B, c_out, <paramref name="height"/>, <paramref name="width"/>] the head reads from <paramref name="features"/> [B, c_latent, h, w].</summary>
    public Tensor Forward(Tensor features, int height, int width)
    {
        if (features.Rank != 4 || features.Size(1) != InChannels)
            throw new ArgumentException($"LatentReconstructionHead: expected features [B, {InChannels}, h, w], got {features}.", nameof(features));
        var h = ConvSilu(_in, features);
        h = Then(h, x => ConvSilu(_mid, x));
        h = Then(h, x => Ops.Interpolate(x, Math.Max(1, height / 4), Math.Max(1, width / 4), InterpolationMode.Bilinear));
        h = Then(h, x => ConvSilu(_up1a, x));
        h = Then(h, x => ConvSilu(_up1b, x));
        h = Then(h, x => Ops.Interpolate(x, height, width, InterpolationMode.Bilinear));
        h = Then(h, x => ConvSilu(_up2, x));
        return Then(h, _out.Forward);
    }

    private static Tensor ConvSilu(Conv2d conv, Tensor x)
    {
        using var y = conv.Forward(x);
        return Ops.Silu(y);
    }

    private static Tensor Then(Tensor x, Func<Tensor, Tensor> f)
    {
        using (x) return f(x);
    }
}
