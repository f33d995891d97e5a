using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Tests.Training.Trainers;

/// <summary>
/// A stand-in semantic compressor for trainer tests: bilinear downscale by <c>factor</c>, then a 1×1 conv 3 → C
/// with seeded random weights. Differentiable, so Stage B can train it jointly.
/// </summary>
internal sealed class TestCompressor : Module, ISemanticCompressor
{
    private readonly PointwiseConv _mapper;
    private readonly int _factor;

    public TestCompressor(int channels, int factor, ulong seed = 5)
    {
        LatentChannels = channels;
        _factor = factor;
        _mapper = Own(new PointwiseConv(WeightSource.Random(seed).Scope("mapper"), 3, channels));
    }

    public int LatentChannels { get; }
    public int Stride { get; init; } = 32;
    public Module Module => this;
    public string InputSignature => $"bilinear-1/{_factor}";
    public string ConfigJson => $"{{\"_class_name\": \"TestCompressor\", \"c_latent\": {LatentChannels}}}";

    public Tensor Encode(Tensor images, bool training)
    {
        using var small = Ops.Interpolate(images, images.Size(2) / _factor, images.Size(3) / _factor, InterpolationMode.Bilinear);
        using var last = Ops.ToChannelsLast(small);
        using var mapped = _mapper.Forward(last);
        return Ops.ToChannelsFirst(mapped);
    }
}
