using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// Stage A, diffusers <c>PaellaVQModel</c> (SPEC §2.10): a VQGAN with pixels in [0, 1] and a 4-channel latent
/// at 1/4 resolution (released config). Inference decodes <b>without</b> quantisation. Inputs and outputs are
/// NCHW like diffusers; the residual blocks and 1×1 convs run channels-last, the strided 4×4 convs on NCHW.
/// <code>
/// encode: PixelUnshuffle · 1×1 conv · per level [k4 s2 conv] Mix · 1×1 conv (no bias) · BatchNorm (running stats)
/// decode: [quantise] · 1×1 conv · Mix × bottleneck_blocks · per shallower level (k4 s2 conv-transpose, Mix) · 1×1 conv · PixelShuffle
/// </code>
/// </summary>
public sealed class PaellaVQModel : Module
{
    private const float BatchNormEps = 1e-5f, BatchNormMomentum = 0.1f;

    private readonly PointwiseConv _inBlock;
    private readonly Module[] _downBlocks;
    private readonly PointwiseConv _latentConv;
    private readonly Tensor _bnWeight, _bnBias, _bnMean, _bnVar;
    private readonly Tensor _codebook;
    private readonly PointwiseConv _upIn;
    private readonly Module[] _upBlocks;
    private readonly PointwiseConv _outBlock;

    public PaellaVQConfig Config { get; }

    /// <summary>
    /// torch's <c>model.train()</c> for the encoder's BatchNorm (the model's only mode-dependent layer; dropout has none):
    /// when true, <see cref="Encode"/> normalises with the batch statistics and updates the running ones (momentum 0.1,
    /// unbiased variance). False (eval, the default) uses the running statistics, as inference and diffusers do.
    /// </summary>
    public bool Training { get; set; }

    /// <summary>The VQ codebook <c>vquantizer.embedding.weight</c> [num_vq_embeddings, latent_channels] (trained with the VQ loss).</summary>
    public Tensor Codebook => _codebook;

    /// <summary>Pixel size divisor: the latent is 1/<see cref="DownscaleFactor"/> of the image per side.</summary>
    public int DownscaleFactor => Config.UpDownScaleFactor << (Config.Levels - 1);

    public PaellaVQModel(PaellaVQConfig config, WeightSource ws)
    {
        config.Validate();
        Config = config;
        var c = config.CLevels;
        int f = config.UpDownScaleFactor, n = config.Levels;

        _inBlock = Own(new PointwiseConv(ws.Scope("in_block.1"), config.InChannels * f * f, c[0]));

        var down = new List<Module>();
        for (int i = 0; i < n; i++)
        {
            if (i > 0) down.Add(Own(new Conv2d(ws.Scope($"down_blocks.{down.Count}"), c[i - 1], c[i], 4, stride: 2, padding: 1)));
            down.Add(Own(new MixingResidualBlock(ws.Scope($"down_blocks.{down.Count}"), c[i], 4 * c[i])));
        }
        _downBlocks = [.. down];
        var latent = ws.Scope($"down_blocks.{down.Count}");
        _latentConv = Own(new PointwiseConv(latent.Scope("0"), c[n - 1], config.LatentChannels, bias: false));
        var bn = latent.Scope("1");
        _bnWeight = LoadWeight(bn, "weight", config.LatentChannels);
        _bnBias = LoadWeight(bn, "bias", config.LatentChannels);
        _bnMean = LoadWeight(bn, "running_mean", config.LatentChannels);
        _bnVar = LoadWeight(bn, "running_var", config.LatentChannels);

        _codebook = LoadWeight(ws, "vquantizer.embedding.weight", config.NumVqEmbeddings, config.LatentChannels);

        _upIn = Own(new PointwiseConv(ws.Scope("up_blocks.0.0"), config.LatentChannels, c[n - 1]));
        var up = new List<Module>();
        for (int i = 0; i < n; i++)
        {
            int level = n - 1 - i;
            for (int j = 0; j < (i == 0 ? config.BottleneckBlocks : 1); j++)
                up.Add(Own(new MixingResidualBlock(ws.Scope($"up_blocks.{up.Count + 1}"), c[level], 4 * c[level])));
            if (i < n - 1)
                up.Add(Own(new ConvTranspose2d(ws.Scope($"up_blocks.{up.Count + 1}"), c[level], c[level - 1], 4, stride: 2, padding: 1)));
        }
        _upBlocks = [.. up];
        _outBlock = Own(new PointwiseConv(ws.Scope("out_block.0"), c[0], config.OutChannels * f * f));
    }

    /// <summary>Loads <c>config.json</c> and the safetensors weights of a <c>vqgan</c> folder.</summary>
    public static PaellaVQModel FromPretrained(string folder, string? variant = null, bool writable = false)
    {
        var config = PaellaVQConfig.Load(folder);
        return Pretrained.Load(folder, variant, PaellaVQConfig.ClassName, ws => new PaellaVQModel(config, ws), writable);
    }

    /// <summary>
    /// Un-quantised latents [B, latent_channels, H/f, W/f] of an image [B, in_channels, H, W] in [0, 1]
    /// (diffusers <c>encode(x).latents</c>: the BatchNorm output, not divided by scale_factor).
    /// </summary>
    public Tensor Encode(Tensor image)
    {
        if (image.Rank != 4 || image.Size(1) != Config.InChannels)
            throw new ArgumentException($"PaellaVQModel.Encode: image must be [B, {Config.InChannels}, H, W], got {image}.", nameof(image));
        if (image.Size(2) % DownscaleFactor != 0 || image.Size(3) % DownscaleFactor != 0)
            throw new ArgumentException($"PaellaVQModel.Encode: H and W must be multiples of {DownscaleFactor}, got {image}.", nameof(image));

        Tensor h;
        using (var patches = Ops.PixelUnshuffle(image, Config.UpDownScaleFactor))
        using (var patchesLast = Ops.ToChannelsLast(patches))
            h = _inBlock.Forward(patchesLast);                                   // NHWC from here on
        foreach (var block in _downBlocks)
        {
            using var previous = h;
            h = block switch
            {
                MixingResidualBlock mix => mix.Forward(previous),
                Conv2d conv => conv.ForwardChannelsLast(previous),
                _ => throw new InvalidOperationException($"Unexpected encoder block {block.GetType().Name}."),
            };
        }
        using (h)
        {
            using var projectedLast = _latentConv.Forward(h);
            using var projected = Ops.ToChannelsFirst(projectedLast);
            return Training
                ? Ops.BatchNorm2dTrain(projected, _bnWeight, _bnBias, _bnMean, _bnVar, BatchNormMomentum, BatchNormEps)
                : Ops.BatchNorm2d(projected, _bnMean, _bnVar, _bnWeight, _bnBias, BatchNormEps);
        }
    }

    /// <summary>Runs an NCHW convolution on channels-last data (the transposed 4×4 convs of the decoder).</summary>
    private static Tensor ChannelsLastConv(Func<Tensor, Tensor> conv, Tensor x)
    {
        using var nchw = Ops.ToChannelsFirst(x);
        using var y = conv(nchw);
        return Ops.ToChannelsLast(y);
    }

    /// <summary>
    /// Nearest codebook entry per latent pixel (Euclidean distance, first index on ties, as torch's argmin of
    /// cdist). Returns z_q [B, C, h, w] — exactly the codebook rows; the straight-through <c>z + (z_q − z)</c> of
    /// training changes nothing else — and the indices flattened in (b, y, x) order.
    /// </summary>
    public (Tensor Quantized, int[] Indices) Quantize(Tensor latents)
    {
        int d = Config.LatentChannels;
        if (latents.Rank != 4 || latents.Size(1) != d)
            throw new ArgumentException($"PaellaVQModel.Quantize: latents must be [B, {d}, h, w], got {latents}.", nameof(latents));
        int batch = latents.Size(0), height = latents.Size(2), width = latents.Size(3), pixels = height * width;
        using var z = Ops.ToChannelsLast(latents);                               // [B, h, w, d]
        var zq = Tensor.Empty(batch, height, width, d);
        var indices = new int[batch * pixels];
        var codebook = _codebook.ToArray();
        int k = Config.NumVqEmbeddings;
        unsafe
        {
            float* zp = z.Data, qp = zq.Data;
            Kernels.Threads.For(batch * height, row =>
            {
                for (int x = 0; x < width; x++)
                {
                    long p = (long)row * width + x;
                    float* v = zp + p * d;
                    // Squared distances in double: the argmin is then exact for float32 inputs of this size.
                    int best = 0;
                    double bestDistance = double.PositiveInfinity;
                    for (int e = 0; e < k; e++)
                    {
                        double distance = 0;
                        for (int j = 0; j < d; j++)
                        {
                            double diff = (double)v[j] - codebook[e * d + j];
                            distance += diff * diff;
                        }
                        if (distance < bestDistance) { bestDistance = distance; best = e; }
                    }
                    indices[p] = best;
                    for (int j = 0; j < d; j++) qp[p * d + j] = codebook[best * d + j];
                }
            });
        }
        using (zq)
            return (Ops.ToChannelsFirst(zq), indices);
    }

    /// <summary>
    /// Image [B, out_channels, h·f, w·f] from latents [B, latent_channels, h, w]. The pipelines call this with
    /// <c>0.3764 · latents</c> and the default <paramref name="forceNotQuantize"/> = true (no quantisation), then clamp to [0, 1].
    /// </summary>
    public Tensor Decode(Tensor latents, bool forceNotQuantize = true)
    {
        if (latents.Rank != 4 || latents.Size(1) != Config.LatentChannels)
            throw new ArgumentException($"PaellaVQModel.Decode: latents must be [B, {Config.LatentChannels}, h, w], got {latents}.", nameof(latents));
        Tensor? quantized = null;
        if (!forceNotQuantize) quantized = Quantize(latents).Quantized;
        Tensor h;
        using (quantized)
        using (var latentsLast = Ops.ToChannelsLast(quantized ?? latents))
            h = _upIn.Forward(latentsLast);                                      // NHWC from here on
        foreach (var block in _upBlocks)
        {
            using var previous = h;
            h = block switch
            {
                MixingResidualBlock mix => mix.Forward(previous),
                ConvTranspose2d conv => ChannelsLastConv(conv.Forward, previous),
                _ => throw new InvalidOperationException($"Unexpected decoder block {block.GetType().Name}."),
            };
        }
        using (h)
        {
            using var pixelsLast = _outBlock.Forward(h);
            using var pixels = Ops.ToChannelsFirst(pixelsLast);
            return Ops.PixelShuffle(pixels, Config.UpDownScaleFactor);
        }
    }

    /// <summary>diffusers <c>forward(sample)</c>: decode(encode(sample)) without quantisation.</summary>
    public Tensor Forward(Tensor image)
    {
        using var latents = Encode(image);
        return Decode(latents);
    }
}
