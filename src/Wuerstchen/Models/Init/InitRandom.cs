using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Init;

/// <summary>
/// torch.nn.init's initialisers over one seeded <see cref="TorchGenerator"/>, in place on a parameter. Uniform
/// draws are torch.rand's float32 [0, 1) stream mapped to [−b, b); normals are torch.randn's. The values follow
/// torch's formulas (fans as <c>_calculate_fan_in_and_fan_out</c>: fan_in = size(1)·receptive field, fan_out =
/// size(0)·receptive field); they are not bit-identical to a torch run, whose draw order over modules differs.
/// </summary>
public static class InitRandom
{
    /// <summary>(fan_in, fan_out) of a weight of shape <paramref name="shape"/> as torch computes them.</summary>
    public static (int FanIn, int FanOut) Fans(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2) throw new ArgumentException($"Fan in and fan out need a tensor of rank ≥ 2, got rank {shape.Length}.");
        int receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>nn.init.xavier_uniform_: U(−b, b), b = gain·√(6 / (fan_in + fan_out)); fans may be overridden (a stacked in-projection).</summary>
    public static void XavierUniform(Tensor weight, TorchGenerator generator, double gain = 1.0, (int FanIn, int FanOut)? fans = null)
    {
        var (fanIn, fanOut) = fans ?? Fans(weight.Shape);
        Uniform(weight, generator, gain * Math.Sqrt(6.0 / (fanIn + fanOut)));
    }

    /// <summary>nn.init.kaiming_uniform_(a=√5), torch's default for Conv/Linear weights: U(−b, b), b = 1/√fan_in.</summary>
    public static void KaimingUniformDefault(Tensor weight, TorchGenerator generator, int? fanIn = null) =>
        Uniform(weight, generator, 1.0 / Math.Sqrt(fanIn ?? Fans(weight.Shape).FanIn));

    /// <summary>
    /// torch's default initialisation of a module made of Conv/Linear layers, in state-dict order: every weight
    /// Kaiming-uniform (a = √5), every bias U(±1/√fan_in) of its weight.
    /// </summary>
    public static void TorchDefaults(Wuerstchen.Models.Nn.Module module, TorchGenerator generator)
    {
        var state = module.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, p) in state)
        {
            if (key.EndsWith(".bias", StringComparison.Ordinal))
                Uniform(p, generator, 1.0 / Math.Sqrt(Fans(state[key[..^".bias".Length] + ".weight"].Shape).FanIn));
            else
                KaimingUniformDefault(p, generator);
        }
    }

    /// <summary>U(−<paramref name="bound"/>, <paramref name="bound"/>).</summary>
    public static void Uniform(Tensor t, TorchGenerator generator, double bound)
    {
        var span = Span(t);
        generator.RandInto(span);
        float lo = (float)-bound, width = (float)(2 * bound);
        for (int i = 0; i < span.Length; i++) span[i] = lo + width * span[i];
    }

    /// <summary>N(0, <paramref name="std"/>²).</summary>
    public static void Normal(Tensor t, TorchGenerator generator, double std)
    {
        var span = Span(t);
        generator.RandnInto(span);
        float s = (float)std;
        for (int i = 0; i < span.Length; i++) span[i] *= s;
    }

    public static void Fill(Tensor t, float value) => Span(t).Fill(value);

    public static void Scale(Tensor t, double factor)
    {
        var span = Span(t);
        float f = (float)factor;
        for (int i = 0; i < span.Length; i++) span[i] *= f;
    }

    private static Span<float> Span(Tensor t)
    {
        if (!t.IsContiguous) throw new ArgumentException($"Initialisation needs a contiguous tensor, got {t}.");
        return t.AsSpan();
    }
}
