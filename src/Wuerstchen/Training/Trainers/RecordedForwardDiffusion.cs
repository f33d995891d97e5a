using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// The forward process √ᾱ(t_b)·x + √(1 − ᾱ(t_b))·ε per row b as recorded ops, for an <paramref name="x"/> that
/// carries gradients: Stage B's effnet conditioning is noised this way while the compressor trains jointly
/// (the scheduler's AddNoise is a plain kernel that records nothing). Same float32 arithmetic per element.
/// </summary>
internal static class RecordedForwardDiffusion
{
    public static Tensor AddNoise(Tensor x, Tensor noise, ReadOnlySpan<float> t, DdpmWuerstchenScheduler scheduler)
    {
        int batch = x.Size(0);
        var signal = new float[batch];
        var spread = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            float ac = scheduler.AlphaCumprod(t[b]);
            signal[b] = MathF.Sqrt(ac);
            spread[b] = MathF.Sqrt(1f - ac);
        }
        var shape = new int[x.Rank];
        Array.Fill(shape, 1);
        shape[0] = batch;
        using var s = Tensor.FromArray(signal, shape);
        using var n = Tensor.FromArray(spread, shape);
        using var scaledX = Ops.Mul(x, s);
        using var scaledNoise = Ops.Mul(noise, n);
        return Ops.Add(scaledX, scaledNoise);
    }
}
