using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>torch LayerNorm over the last dim (biased variance); weight/bias optional (affine).</summary>
    public static unsafe Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        if (x.Rank == 0) throw new ArgumentException("LayerNorm: needs at least one dim.");
        int n = x.Shape[^1];
        RequireVector(weight, n, "LayerNorm", "weight");
        RequireVector(bias, n, "LayerNorm", "bias");
        using var src = Dense.Of(x);
        using var w = Dense.Of(weight);
        using var b = Dense.Of(bias);
        var y = Tensor.Empty(x.Shape);
        Normalization.LayerNormRows(src.Data, y.Data, n == 0 ? 0 : x.Numel / n, n, w.Data, b.Data, eps);
        return Recorder.LayerNorm(y, x, weight, bias, eps);
    }

    /// <summary>Würstchen's LayerNorm2d on NCHW: per pixel, over C, no affine.</summary>
    public static unsafe Tensor LayerNorm2d(Tensor x, float eps)
    {
        if (x.Rank != 4) throw new ArgumentException($"LayerNorm2d: expects NCHW, got {Show(x)}.");
        using var src = Dense.Of(x);
        var y = Tensor.Empty(x.Shape);
        Normalization.LayerNormChannels(src.Data, y.Data, x.Shape[0], x.Shape[1], (long)x.Shape[2] * x.Shape[3], eps);
        return Recorder.LayerNorm2d(y, x, eps);
    }

    /// <summary>ConvNeXt-V2 GRN on channels-last x[B,H,W,D]: y = γ·(x·N) + β + x, N = ‖x‖₂(H,W) / (mean_D ‖x‖₂ + 1e-6).</summary>
    public static unsafe Tensor GlobalResponseNorm(Tensor x, Tensor gamma, Tensor beta)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalResponseNorm: expects channels-last [B, H, W, D], got {Show(x)}.");
        int d = x.Shape[3];
        RequireVector(gamma, d, "GlobalResponseNorm", "gamma");
        RequireVector(beta, d, "GlobalResponseNorm", "beta");
        using var src = Dense.Of(x);
        using var g = Dense.Of(gamma);
        using var b = Dense.Of(beta);
        var y = Tensor.Empty(x.Shape);
        Normalization.GlobalResponseNorm(src.Data, y.Data, x.Shape[0], (long)x.Shape[1] * x.Shape[2], d, g.Data, b.Data);
        return Recorder.GlobalResponseNorm(y, x, gamma, beta);
    }

    /// <summary>
    /// <see cref="GlobalResponseNorm"/> overwriting its contiguous input, for inference (refused under a recording tape,
    /// which needs x): the reduction finishes before any row is rewritten, so the result is the same.
    /// </summary>
    public static unsafe void GlobalResponseNormInPlace(Tensor x, Tensor gamma, Tensor beta)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalResponseNormInPlace: expects channels-last [B, H, W, D], got {Show(x)}.");
        if (!x.IsContiguous) throw new ArgumentException($"GlobalResponseNormInPlace: {Show(x)} must be contiguous.");
        if (Tape.ShouldRecord(x, gamma, beta)) throw new InvalidOperationException("GlobalResponseNormInPlace: not differentiable; use GlobalResponseNorm under a tape.");
        int d = x.Shape[3];
        RequireVector(gamma, d, "GlobalResponseNormInPlace", "gamma");
        RequireVector(beta, d, "GlobalResponseNormInPlace", "beta");
        using var g = Dense.Of(gamma);
        using var b = Dense.Of(beta);
        Normalization.GlobalResponseNorm(x.Data, x.Data, x.Shape[0], (long)x.Shape[1] * x.Shape[2], d, g.Data, b.Data);
    }

    /// <summary>BatchNorm2d in inference mode (running statistics) on NCHW.</summary>
    public static unsafe Tensor BatchNorm2d(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, float eps)
    {
        if (x.Rank != 4) throw new ArgumentException($"BatchNorm2d: expects NCHW, got {Show(x)}.");
        int c = x.Shape[1];
        RequireVector(runningMean, c, "BatchNorm2d", "running mean");
        RequireVector(runningVar, c, "BatchNorm2d", "running var");
        RequireVector(weight, c, "BatchNorm2d", "weight");
        RequireVector(bias, c, "BatchNorm2d", "bias");
        using var src = Dense.Of(x);
        using var m = Dense.Of(runningMean);
        using var v = Dense.Of(runningVar);
        using var w = Dense.Of(weight);
        using var b = Dense.Of(bias);
        var y = Tensor.Empty(x.Shape);
        Normalization.BatchNormPlanes(src.Data, y.Data, x.Shape[0], c, (long)x.Shape[2] * x.Shape[3], m.Data, v.Data, w.Data, b.Data, eps);
        return Recorder.BatchNorm2d(y, x, runningMean, runningVar, weight, bias, eps);
    }

    /// <summary>Checks that an optional parameter holds exactly <paramref name="n"/> values (any shape, e.g. [1,1,1,n]).</summary>
    private static void RequireVector(Tensor? t, int n, string op, string what)
    {
        if (t != null && t.Numel != n)
            throw new ArgumentException($"{op}: {what} has shape {Show(t)} ({t.Numel} values) but the normalised dim has {n}.");
    }
}
