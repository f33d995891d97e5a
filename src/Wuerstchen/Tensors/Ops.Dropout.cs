using Wuerstchen.Autograd;
using Wuerstchen.Rng;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout (torch.nn.functional.dropout): each element is zeroed with probability <paramref name="p"/>
    /// and the survivors are scaled by 1/(1 − p), so the expectation is unchanged; a copy of x when
    /// <paramref name="training"/> is false or p = 0, zeros when p = 1. The mask takes one 53-bit uniform per element
    /// of <paramref name="generator"/> in row-major order (kept when u &lt; 1 − p: torch's CPU bernoulli without MKL;
    /// MKL builds of torch draw differently, so masks are reproducible per seed here, not bit-identical with torch).
    /// </summary>
    public static unsafe Tensor Dropout(Tensor x, float p, TorchGenerator generator, bool training = true)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability {p} is outside [0, 1].");
        if (!training || p == 0) return x.Clone();

        float scale = p == 1 ? 0f : 1f / (1f - p);
        double keep = 1.0 - p;
        var mask = Tensor.Empty(x.Shape);
        float* mp = mask.Data;
        for (long i = 0; i < mask.Numel; i++) mp[i] = generator.NextDouble() < keep ? scale : 0f;
        using var src = Dense.Of(x);
        var y = Tensor.Empty(x.Shape);
        float* xp = src.Data, yp = y.Data;
        for (long i = 0; i < y.Numel; i++) yp[i] = xp[i] * mp[i];
        using (mask)
            return Recorder.Dropout(y, x, mask);
    }
}
