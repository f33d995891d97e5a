using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch's BatchNorm2d in <b>training mode</b> on x [N, C, ...] (NCHW; any trailing dims): normalises each channel
    /// with the mean and the <b>biased</b> variance of the batch (over N and the trailing dims), applies the optional
    /// affine weight/bias, and — when given — updates the running statistics in place with the <b>unbiased</b>
    /// variance: <c>running = (1 − momentum)·running + momentum·batch</c>. The batch statistics are computed in
    /// double; the running statistics get no gradient (they are buffers).
    /// </summary>
    public static unsafe Tensor BatchNorm2dTrain(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar,
        float momentum, float eps)
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm2dTrain: expects [N, C, ...], got {Show(x)}.");
        int n = x.Shape[0], c = x.Shape[1];
        long pixels = c == 0 || n == 0 ? 0 : x.Numel / ((long)n * c), count = n * pixels;
        // torch refuses this too: one value per channel has no variance to normalise with.
        if (count <= 1) throw new ArgumentException($"BatchNorm2dTrain: expected more than 1 value per channel when training, got {Show(x)}.");
        RequireVector(weight, c, "BatchNorm2dTrain", "weight");
        RequireVector(bias, c, "BatchNorm2dTrain", "bias");
        RequireVector(runningMean, c, "BatchNorm2dTrain", "running mean");
        RequireVector(runningVar, c, "BatchNorm2dTrain", "running var");
        if (runningMean is not null && !runningMean.IsContiguous || runningVar is not null && !runningVar.IsContiguous)
            throw new ArgumentException("BatchNorm2dTrain: the running statistics are updated in place and must be contiguous.");
        if (Tape.IsRecording && (Tape.TracksGrad(runningMean) || Tape.TracksGrad(runningVar)))
            throw new InvalidOperationException("BatchNorm2dTrain: the running statistics are buffers updated in place; they cannot track gradients.");

        using var src = Dense.Of(x);
        var mean = new double[c];
        var variance = new double[c];
        BatchStatistics.MeanVariance(src.Data, n, c, pixels, mean, variance);

        var mean32 = mean.Select(v => (float)v).ToArray();
        var var32 = variance.Select(v => (float)v).ToArray();
        using var w = Dense.Of(weight);
        using var b = Dense.Of(bias);
        var y = Tensor.Empty(x.Shape);
        fixed (float* m = mean32, v = var32)
            Normalization.BatchNormPlanes(src.Data, y.Data, n, c, pixels, m, v, w.Data, b.Data, eps);

        if (runningMean is not null) UpdateRunning(runningMean, mean, 1.0, momentum);
        if (runningVar is not null) UpdateRunning(runningVar, variance, count / (double)(count - 1), momentum);
        return Recorder.BatchNorm2dTrain(y, x, weight, bias, eps);
    }

    private static unsafe void UpdateRunning(Tensor running, double[] batch, double correction, float momentum)
    {
        float* r = running.Data;
        for (int i = 0; i < batch.Length; i++) r[i] = (1f - momentum) * r[i] + momentum * (float)(batch[i] * correction);
        TensorVersions.Bump(running.Storage); // a node that saved the old statistics (eval-mode BatchNorm) must not see the new ones
    }
}
