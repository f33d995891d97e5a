using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Objectives;

/// <summary>
/// The ε-prediction losses of the diffusion stages (SPEC §7.1–§7.3, §7.5), as differentiable tensor expressions:
/// under a recording tape the returned loss backpropagates into the prediction (and through it into the model).
/// <list type="bullet">
/// <item>the authors' recipe (Stage C, Stage B): per sample mean over C, H, W of (ε̂ − ε)², weighted by the P2 weight
/// w(t) = (1 + ᾱ/(1 − ᾱ))⁻¹ and averaged over the batch — <see cref="P2Weighted(Tensor, Tensor, ReadOnlySpan{float})"/>;</item>
/// <item>diffusers' fine-tuning scripts: plain <c>F.mse_loss(ε̂, ε)</c> over all elements — <see cref="Mse"/>.</item>
/// </list>
/// Gradient accumulation divides the loss by the number of micro-batches outside (<see cref="GradientAccumulation"/>).
/// </summary>
public static class DiffusionLoss
{
    /// <summary>mean over every dim but the first of (pred − target)², one value per sample [B].</summary>
    public static Tensor PerSample(Tensor pred, Tensor target)
    {
        CheckSameShape(pred, target, nameof(PerSample));
        if (pred.Rank < 2) throw new ArgumentException($"DiffusionLoss.PerSample: pred must be [B, ...], got {pred}.", nameof(pred));
        using var diff = Ops.Sub(pred, target);
        using var squared = Ops.Square(diff);
        return Ops.Mean(squared, Enumerable.Range(1, pred.Rank - 1).ToArray());
    }

    /// <summary>
    /// mean over every dim but the first of m · (pred − target)², one value per sample [B], for pixel weights
    /// <paramref name="pixelWeights"/> [B, 1, H, W] (broadcast over channels; not differentiated).
    /// </summary>
    public static Tensor PerSample(Tensor pred, Tensor target, Tensor pixelWeights)
    {
        CheckSameShape(pred, target, nameof(PerSample));
        if (pred.Rank != 4 || pixelWeights.Rank != 4 || pixelWeights.Size(0) != pred.Size(0) || pixelWeights.Size(1) != 1 ||
            pixelWeights.Size(2) != pred.Size(2) || pixelWeights.Size(3) != pred.Size(3))
            throw new ArgumentException($"DiffusionLoss.PerSample: pixel weights must be [B, 1, H, W] for {pred}, got {pixelWeights}.", nameof(pixelWeights));
        using var diff = Ops.Sub(pred, target);
        using var squared = Ops.Square(diff);
        using var weighted = Ops.Mul(squared, pixelWeights);
        return Ops.Mean(weighted, [1, 2, 3]);
    }

    /// <summary>The authors' loss mean_b(loss_b · w_b) for per-sample weights <paramref name="weights"/> (the P2 weights).</summary>
    public static Tensor P2Weighted(Tensor pred, Tensor eps, ReadOnlySpan<float> weights)
    {
        var loss = P2Weighted(pred, eps, weights, out var perSample);
        perSample.Dispose();
        return loss;
    }

    /// <inheritdoc cref="P2Weighted(Tensor, Tensor, ReadOnlySpan{float})"/>
    /// <param name="perSample">the unweighted per-sample losses [B] (for logging; part of the graph under a tape)</param>
    /// <param name="pixelWeights">optional [B, 1, H, W] weights inside each sample's mean (<see cref="PerSample(Tensor, Tensor, Tensor)"/>)</param>
    public static Tensor P2Weighted(Tensor pred, Tensor eps, ReadOnlySpan<float> weights, out Tensor perSample, Tensor? pixelWeights = null)
    {
        CheckSameShape(pred, eps, nameof(P2Weighted));
        if (weights.Length != pred.Size(0))
            throw new ArgumentException($"DiffusionLoss.P2Weighted: {weights.Length} weights for a batch of {pred.Size(0)} ({pred}).", nameof(weights));
        perSample = pixelWeights is null ? PerSample(pred, eps) : PerSample(pred, eps, pixelWeights);
        using var w = Tensor.FromSpan(weights, weights.Length);
        using var weighted = Ops.Mul(perSample, w);
        return Ops.Mean(weighted, []);
    }

    /// <summary>diffusers' <c>F.mse_loss(pred, target)</c>: the mean of (pred − target)² over all elements.</summary>
    public static Tensor Mse(Tensor pred, Tensor target)
    {
        CheckSameShape(pred, target, nameof(Mse));
        using var diff = Ops.Sub(pred, target);
        using var squared = Ops.Square(diff);
        return Ops.Mean(squared, []);
    }

    /// <summary>The P2 weight of each time step: ᾱ(t) from <paramref name="scheduler"/> (float32, as torch), then (1 + ᾱ/(1 − ᾱ))⁻¹.</summary>
    public static float[] P2Weights(DdpmWuerstchenScheduler scheduler, ReadOnlySpan<float> timesteps)
    {
        var w = new float[timesteps.Length];
        for (int i = 0; i < w.Length; i++) w[i] = DiffusionTrainingDraws.P2Weight(scheduler.AlphaCumprod(timesteps[i]));
        return w;
    }

    /// <summary>
    /// Per-sample weights of the ε loss under <paramref name="weighting"/>: <see cref="DiffusionLossWeighting.P2"/> as
    /// <see cref="P2Weights"/>; <see cref="DiffusionLossWeighting.V"/> 1/ᾱ(t), which makes the weighted ε loss the
    /// v-prediction loss ‖v̂ − v‖² (v̂ − v = (ε̂ − ε)/√ᾱ for the v implied by ε̂); <see cref="DiffusionLossWeighting.Uniform"/> 1.
    /// </summary>
    public static float[] Weights(DiffusionLossWeighting weighting, DdpmWuerstchenScheduler scheduler, ReadOnlySpan<float> timesteps)
    {
        if (weighting == DiffusionLossWeighting.P2) return P2Weights(scheduler, timesteps);
        var w = new float[timesteps.Length];
        if (weighting == DiffusionLossWeighting.Uniform) Array.Fill(w, 1f);
        else for (int i = 0; i < w.Length; i++) w[i] = 1f / scheduler.AlphaCumprod(timesteps[i]);
        return w;
    }

    private static void CheckSameShape(Tensor pred, Tensor target, string op)
    {
        if (!pred.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"DiffusionLoss.{op}: prediction {pred} and target {target} differ in shape.");
    }
}

/// <summary>How the per-sample ε losses are weighted over t.</summary>
public enum DiffusionLossWeighting
{
    /// <summary>The authors' P2 weight 1 − ᾱ(t) (SPEC §7.1): high-noise samples count fully, low-noise ones hardly.</summary>
    P2,

    /// <summary>
    /// 1/ᾱ(t), i.e. the v-prediction loss. Near t = 1 an ε error δ means an x0 error δ·√((1 − ᾱ)/ᾱ) (100× at
    /// ᾱ = 10⁻⁴), which the P2 loss barely sees; this weighting makes the high-noise steps learn x0 from the
    /// conditioning. Sampling is unchanged (the model still predicts ε).
    /// </summary>
    V,

    /// <summary>
    /// 1 for every sample: the plain ε-MSE (DDPM's "simple" loss). Against P2 it gives the low-noise steps, which draw
    /// edges and clean flat areas, their full share.
    /// </summary>
    Uniform,
}
