using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// How one forward pass runs: evaluation (BatchNorm with running statistics, no stochastic depth) or training
/// (batch statistics and running-statistic updates, and stochastic depth when a generator is given).
/// </summary>
internal sealed class EfficientNetPass
{
    public static EfficientNetPass Eval { get; } = new(false, null);

    private readonly TorchGenerator? _stochasticDepth;

    public bool Training { get; }

    private EfficientNetPass(bool training, TorchGenerator? stochasticDepth)
    {
        Training = training;
        _stochasticDepth = stochasticDepth;
    }

    public static EfficientNetPass Train(TorchGenerator? stochasticDepth) => new(true, stochasticDepth);

    /// <summary>
    /// torchvision <c>StochasticDepth(p, "row")</c> on a residual branch [B, …]: in training each sample's branch is
    /// kept with probability 1 − p and then scaled by 1/(1 − p), else zeroed; the identity otherwise. Returns
    /// <paramref name="branch"/> itself when nothing changes (the caller keeps ownership), else a new tensor.
    /// </summary>
    public Tensor DropPath(Tensor branch, double p)
    {
        if (!Training || _stochasticDepth is null || p <= 0) return branch;
        int batch = branch.Size(0);
        double survival = 1 - p;
        var keep = new float[batch];
        for (int b = 0; b < batch; b++)
            keep[b] = _stochasticDepth.NextDouble() < survival ? (float)(1 / survival) : 0f;
        var shape = new int[branch.Rank];
        Array.Fill(shape, 1);
        shape[0] = batch;
        using var mask = Tensor.FromArray(keep, shape);
        return Ops.Mul(branch, mask);
    }
}
