using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models.EfficientNet;

/// <summary>Small configs and encoders with varied random weights (non-trivial BatchNorm statistics) for the tests.</summary>
internal static class EfficientNetFixtures
{
    private static EfficientNetStage Fused(int e, int k, int s, int i, int o, int n) => new(EfficientNetBlockType.FusedMBConv, e, k, s, i, o, n);
    private static EfficientNetStage MB(int e, int k, int s, int i, int o, int n) => new(EfficientNetBlockType.MBConv, e, k, s, i, o, n);

    /// <summary>
    /// Every structural case once: a fused block without expansion (residual), a fused block with expansion and stride,
    /// an MBConv without expansion (its keys shift down by one), strided and residual MBConvs, a 5×5 depthwise kernel.
    /// </summary>
    public static EfficientNetConfig Small { get; } = new(4, 24, "test-small", 8,
    [
        Fused(1, 3, 1, 8, 8, 2), Fused(4, 3, 2, 8, 16, 1), MB(1, 3, 1, 16, 16, 1), MB(4, 3, 2, 16, 24, 2), MB(6, 5, 1, 24, 24, 1),
    ]);

    /// <summary>Just big enough to hold one block of each type, for finite-difference gradient checks.</summary>
    public static EfficientNetConfig Micro { get; } = new(3, 8, "test-micro", 4,
    [
        Fused(2, 3, 2, 4, 4, 1), MB(2, 3, 1, 4, 4, 1),
    ]);

    /// <summary>An encoder whose every tensor is redrawn: conv weights U(±1.5/√fan_in), BatchNorm scales and variances in [0.5, 1.5], shifts and means in ±0.3.</summary>
    public static EfficientNetEncoder Random(EfficientNetConfig config, int seed)
    {
        using var ws = WeightSource.Random((ulong)seed);
        var model = new EfficientNetEncoder(config, ws);
        var rng = new System.Random(seed);
        foreach (var (key, tensor) in model.StateDict())
        {
            var span = tensor.AsSpan();
            string name = key[(key.LastIndexOf('.') + 1)..];
            (double lo, double hi) = name switch
            {
                "running_var" => (0.5, 1.5),
                "weight" when tensor.Rank == 1 => (0.5, 1.5),
                "bias" or "running_mean" => (-0.3, 0.3),
                _ => (-1.5 / Math.Sqrt(tensor.Numel / tensor.Size(0)), 1.5 / Math.Sqrt(tensor.Numel / tensor.Size(0))),
            };
            for (int i = 0; i < span.Length; i++) span[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        }
        return model;
    }

    public static Dictionary<string, double[]> Weights64(EfficientNetEncoder model) =>
        model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray().Select(v => (double)v).ToArray());

    public static Tensor Image(System.Random rng, params int[] shape)
    {
        var t = Tensor.Empty(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 4 - 2);
        return t;
    }

    public static EfficientNetReference.Map ToMap(Tensor x) =>
        new(x.ToArray().Select(v => (double)v).ToArray(), x.Size(0), x.Size(1), x.Size(2), x.Size(3));
}
