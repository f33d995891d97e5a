using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// The diffusion losses of SPEC §7.1 and §7.5 over recorded ops (so they back-propagate): the authors'
/// p2-weighted ε loss, mean_b(mean_CHW((ε̂ − ε)²)·w(t_b)) with w = (1 + ᾱ/(1 − ᾱ))⁻¹, and diffusers' plain
/// MSE over every element. Also the forward process applied to tensors that carry gradients (noised effnet
/// conditioning in Stage B).
/// </summary>
internal static class EpsilonLoss
{
    public static Tensor P2Weighted(Tensor prediction, Tensor noise, ReadOnlySpan<float> t, DdpmWuerstchenScheduler scheduler)
    {
        var weights = new float[t.Length];
        for (int b = 0; b < t.Length; b++) weights[b] = DiffusionTrainingDraws.P2Weight(scheduler.AlphaCumprod(t[b]));
        using var diff = Ops.Sub(prediction, noise);
        using var squared = Ops.Square(diff);
        using var perSample = Ops.Mean(squared, AllButFirst(squared.Rank));
        using var w = Tensor.FromArray(weights, t.Length);
        using var weighted = Ops.Mul(perSample, w);
        return Ops.Mean(weighted, [0]);
    }

    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        using var diff = Ops.Sub(prediction, target);
        using var squared = Ops.Square(diff);
        return Ops.Mean(squared, All(squared.Rank));
    }

    public static Tensor L1(Tensor prediction, Tensor target)
    {
        using var diff = Ops.Sub(prediction, target);
        using var magnitude = Ops.Abs(diff);
        return Ops.Mean(magnitude, All(magnitude.Rank));
    }

    /// <summary>√ᾱ(t_b)·x + √(1 − ᾱ(t_b))·ε per row b, as recorded ops (gradients reach <paramref name="x"/>).</summary>
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

    private static int[] All(int rank) => Enumerable.Range(0, rank).ToArray();
    private static int[] AllButFirst(int rank) => Enumerable.Range(1, rank - 1).ToArray();
}
