using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// The semantic compressor (SPEC §2.13), diffusers' training-example <c>EfficientNetEncoder</c>: an EfficientNetV2
/// backbone (torchvision <c>features</c>, keys <c>backbone.*</c>) and a mapper (<c>mapper.0</c> 1×1 conv
/// c_cond → c_latent without bias, <c>mapper.1</c> BatchNorm). It defines Stage C's latent space and conditions
/// Stage B. NCHW in and out.
/// <code>
/// backbone.0          3×3 conv stride 2 (3 → stem) + BN + SiLU
/// backbone.1 … n      stages of FusedMBConv / MBConv blocks (backbone.{s}.{j}.block.*)
/// backbone.n+1        1×1 conv (last stage → c_cond) + BN + SiLU
/// mapper              1×1 conv (c_cond → c_latent) + BN(eps 1e-5)           → total stride 32
/// </code>
/// <see cref="Forward"/> runs in evaluation mode; <see cref="ForwardTrain"/> uses batch statistics and updates the
/// running ones, as <c>model.train()</c> does. Every op records autograd under a tape.
/// </summary>
public sealed class EfficientNetEncoder : Module
{
    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";

    /// <summary>torchvision's ImageNet normalisation, applied by <see cref="Normalize"/>.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>The compressor sees images downscaled by 3/4 (1024² → 768² → 24² latents: 42.67 pixels per latent).</summary>
    public const int StageCDownscaleNumerator = 3, StageCDownscaleDenominator = 4;

    private readonly ConvBnAct _stem;
    private readonly Module[] _blocks;
    private readonly ConvBnAct _head;
    private readonly Conv2d _mapperConv;
    private readonly BatchNorm _mapperNorm;

    public EfficientNetConfig Config { get; }

    /// <summary>Training passes run so far (saved as every BatchNorm's <c>num_batches_tracked</c>).</summary>
    public long TrainingPasses { get; private set; }

    public EfficientNetEncoder(EfficientNetConfig config, WeightSource ws)
    {
        config.Validate();
        Config = config;
        var backbone = ws.Scope("backbone");
        float eps = config.BatchNormEps;
        _stem = Own(new ConvBnAct(backbone.Scope("0"), 3, config.StemChannels, 3, 2, eps));
        var blocks = new List<Module>();
        for (int s = 0; s < config.Stages.Count; s++)
        {
            var stage = config.Stages[s];
            for (int j = 0; j < stage.Layers; j++)
            {
                // torchvision ramps the drop probability linearly with the block's index over the whole backbone.
                double dropProb = (double)config.StochasticDepthProb * blocks.Count / config.TotalBlocks;
                var scope = backbone.Scope($"{s + 1}.{j}");
                blocks.Add(stage.Block == EfficientNetBlockType.FusedMBConv
                    ? Own(new FusedMBConvBlock(scope, stage, j, eps, dropProb))
                    : Own(new MBConvBlock(scope, stage, j, eps, dropProb)));
            }
        }
        _blocks = [.. blocks];
        _head = Own(new ConvBnAct(backbone.Scope($"{config.Stages.Count + 1}"), config.LastStageChannels, config.CCond, 1, 1, eps));
        _mapperConv = Own(new Conv2d(ws.Scope("mapper.0"), config.CCond, config.CLatent, 1, bias: false));
        _mapperNorm = Own(new BatchNorm(ws.Scope("mapper.1"), config.CLatent, EfficientNetConfig.MapperBatchNormEps));
    }

    /// <summary>Loads <c>config.json</c> and the safetensors weights of an <c>effnet</c> folder; every stored tensor must be used.</summary>
    /// <param name="writable">copy the weights into owned memory, for training</param>
    public static EfficientNetEncoder FromPretrained(string folder, string? variant = null, bool writable = false)
    {
        var config = EfficientNetConfig.Load(folder);
        return Pretrained.Load(folder, variant, EfficientNetConfig.ClassName, ws => new EfficientNetEncoder(config, ws), writable);
    }

    /// <summary>
    /// A freshly initialised encoder for training from scratch, with torchvision's EfficientNet initialisation:
    /// conv weights ~ N(0, 2/fan_out) (Kaiming, fan-out mode), conv biases 0, BatchNorm weight 1 / bias 0 / running
    /// mean 0 / running var 1; the mapper conv keeps torch's default U(±1/√fan_in). The distributions are torch's, the
    /// draws (from <paramref name="seed"/>) are not.
    /// </summary>
    public static EfficientNetEncoder CreateForTraining(EfficientNetConfig config, ulong seed)
    {
        using var ws = WeightSource.Random(seed);
        var model = new EfficientNetEncoder(config, ws);
        var generator = new TorchGenerator(seed);
        foreach (var (key, tensor) in model.StateDict())
        {
            var values = tensor.AsSpan();
            string name = key[(key.LastIndexOf('.') + 1)..];
            if (name is "running_mean" or "bias") values.Clear();
            else if (name == "running_var" || (name == "weight" && tensor.Rank == 1)) values.Fill(1f);
            else if (key.StartsWith("mapper.", StringComparison.Ordinal))
            {
                double bound = 1 / Math.Sqrt(tensor.Numel / tensor.Size(0));
                for (int i = 0; i < values.Length; i++) values[i] = (float)((generator.NextDouble() * 2 - 1) * bound);
            }
            else
            {
                long fanOut = tensor.Size(0) * (long)tensor.Size(2) * tensor.Size(3);
                generator.RandnInto(values);
                float std = (float)Math.Sqrt(2.0 / fanOut);
                for (int i = 0; i < values.Length; i++) values[i] *= std;
            }
        }
        return model;
    }

    /// <summary>
    /// Writes <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> (F32, torch key names, with every
    /// BatchNorm's <c>num_batches_tracked</c>) into <paramref name="folder"/>, each file atomically.
    /// </summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var writer = new SafeTensorsWriter();
        foreach (var (key, tensor) in StateDict())
        {
            writer.Add(key, tensor);
            const string meanSuffix = "running_mean";
            if (key.EndsWith(meanSuffix, StringComparison.Ordinal))
                writer.Add(key[..^meanSuffix.Length] + "num_batches_tracked", [TrainingPasses], []);
        }
        writer.Save(Path.Combine(folder, WeightsFileName));
        Config.Save(Path.Combine(folder, "config.json"));
    }

    /// <summary>Mapper output [B, c_latent, ⌈H/32⌉, ⌈W/32⌉] of an ImageNet-normalised image [B, 3, H, W], evaluation mode.</summary>
    public Tensor Forward(Tensor normalized) => Run(normalized, EfficientNetPass.Eval);

    /// <summary>
    /// Training-mode forward (torch <c>model.train()</c>): BatchNorm with batch statistics, updating the running
    /// statistics (momentum 0.1), and stochastic depth drawn from <paramref name="stochasticDepth"/> (none when null).
    /// </summary>
    public Tensor ForwardTrain(Tensor normalized, TorchGenerator? stochasticDepth = null)
    {
        var output = Run(normalized, EfficientNetPass.Train(stochasticDepth));
        TrainingPasses++;
        return output;
    }

    /// <summary>The backbone's features [B, c_cond, ⌈H/32⌉, ⌈W/32⌉] (evaluation mode), before the mapper.</summary>
    public Tensor Features(Tensor normalized) => Backbone(normalized, EfficientNetPass.Eval);

    private Tensor Run(Tensor normalized, EfficientNetPass pass)
    {
        using var features = Backbone(normalized, pass);
        using var mapped = _mapperConv.Forward(features);
        return _mapperNorm.Forward(mapped, pass.Training);
    }

    private Tensor Backbone(Tensor x, EfficientNetPass pass)
    {
        if (x.Rank != 4 || x.Size(1) != 3)
            throw new ArgumentException($"EfficientNetEncoder: the input must be an RGB image batch [B, 3, H, W], got {x}.", nameof(x));
        var h = _stem.Forward(x, pass);
        foreach (var block in _blocks)
        {
            using var previous = h;
            h = block switch
            {
                FusedMBConvBlock fused => fused.Forward(previous, pass),
                MBConvBlock mb => mb.Forward(previous, pass),
                _ => throw new InvalidOperationException($"Unexpected block {block.GetType().Name}."),
            };
        }
        using (h) return _head.Forward(h, pass);
    }

    /// <summary>Mapper output of an RGB image batch in [0, 1]: <see cref="Normalize"/> then <see cref="Forward"/> (or <see cref="ForwardTrain"/>).</summary>
    public Tensor Encode(Tensor image, bool training = false, TorchGenerator? stochasticDepth = null)
    {
        using var normalized = Normalize(image);
        return training ? ForwardTrain(normalized, stochasticDepth) : Forward(normalized);
    }

    /// <summary>
    /// The Stage C latent of an RGB image batch in [0, 1] (SPEC §7.2): downscaled by 3/4, encoded in evaluation mode,
    /// then scaled by <paramref name="scale"/> (the prior's latent_mean / latent_std). A 1024² image gives [B, c_latent, 24, 24].
    /// </summary>
    public Tensor EncodeStageC(Tensor image, StageCLatentScale scale)
    {
        using var small = DownscaleForStageC(image);
        using var mapped = Encode(small);
        return scale.ToLatent(mapped);
    }

    /// <summary>torchvision <c>Normalize(ImageNet mean, std)</c> of an RGB batch in [0, 1]: <c>(x − mean_c) / std_c</c> (differentiable).</summary>
    public static Tensor Normalize(Tensor image)
    {
        if (image.Rank != 4 || image.Size(1) != 3)
            throw new ArgumentException($"EfficientNetEncoder: images must be RGB batches [B, 3, H, W] in [0, 1], got {image}.", nameof(image));
        using var mean = Tensor.FromArray(ImageNetMean, 1, 3, 1, 1);
        using var std = Tensor.FromArray(ImageNetStd, 1, 3, 1, 1);
        using var centered = Ops.Sub(image, mean);
        return Ops.Div(centered, std);
    }

    /// <summary>The compressor's input size for an H×W image: ⌊3H/4⌋ × ⌊3W/4⌋ (interpolate's size for scale factor 0.75).</summary>
    public static (int Height, int Width) StageCInputSize(int height, int width) =>
        (height * StageCDownscaleNumerator / StageCDownscaleDenominator, width * StageCDownscaleNumerator / StageCDownscaleDenominator);

    /// <summary>The image downscaled by 3/4 with antialiased bilinear filtering (PIL/torchvision <c>Resize</c>), as the compressor sees it.</summary>
    public static Tensor DownscaleForStageC(Tensor image)
    {
        if (image.Rank != 4)
            throw new ArgumentException($"EfficientNetEncoder: images must be batches [B, C, H, W], got {image}.", nameof(image));
        var (h, w) = StageCInputSize(image.Size(2), image.Size(3));
        if (h < 1 || w < 1)
            throw new ArgumentException($"EfficientNetEncoder: image {image} is too small to downscale by 3/4.", nameof(image));
        return Ops.Interpolate(image, h, w, InterpolationMode.Bilinear, alignCorners: false, antialias: true);
    }
}
