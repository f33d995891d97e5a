using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// Gradients of BatchNorm in training mode on x [N, C, ...]: the statistics depend on the batch, so the input
/// gradient carries two correction terms. With x̂ = (x − μ_c)·rstd_c over the M = N·P values of channel c and
/// ĝ = g·w_c:
/// <code>∂x = rstd_c·(ĝ − mean_c(ĝ) − x̂·mean_c(ĝ·x̂)),  ∂w_c = Σ g·x̂,  ∂b_c = Σ g</code>
/// The statistics are recomputed from the saved input in double (as <see cref="NormBackward"/> does).
/// </summary>
internal static unsafe class BatchNormTrainBackward
{
    public static (Tensor? X, Tensor? Weight, Tensor? Bias) Gradients(Tensor g, Tensor? x, Tensor? weight, float eps,
        bool needX, bool needWeight, bool needBias, ReadOnlySpan<int> weightShape, ReadOnlySpan<int> biasShape)
    {
        int n = g.Shape[0], c = g.Shape[1];
        long pixels = g.Numel / Math.Max(1, (long)n * c), count = n * pixels;
        Tensor? gx = null, gw = null, gb = null;
        if (needBias) gb = ConvBackward.BiasGrad(g, biasShape);
        if (!needX && !needWeight) return (gx, gw, gb);

        using var xd = new Dense(x!);
        float* xp = xd.Data, gp = g.Data;
        var mean = new double[c];
        var variance = new double[c];
        BatchStatistics.MeanVariance(xp, n, c, pixels, mean, variance);
        var w = needX ? weight?.ToArray() : null;
        if (needX) gx = Tensor.Empty(g.Shape);
        if (needWeight) gw = Tensor.Empty(weightShape);
        float* gxp = needX ? gx!.Data : null, gwp = needWeight ? gw!.Data : null;
        Threads.For(c, ch =>
        {
            double rstd = 1.0 / Math.Sqrt(variance[ch] + eps), sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                long plane = ((long)i * c + ch) * pixels;
                for (long j = 0; j < pixels; j++)
                {
                    double gv = gp[plane + j];
                    sumG += gv;
                    sumGx += gv * (xp[plane + j] - mean[ch]) * rstd;
                }
            }
            if (gwp != null) gwp[ch] = (float)sumGx;
            if (gxp == null) return;
            double scale = w?[ch] ?? 1.0, meanG = sumG / count, meanGx = sumGx / count;
            for (int i = 0; i < n; i++)
            {
                long plane = ((long)i * c + ch) * pixels;
                for (long j = 0; j < pixels; j++)
                {
                    double xhat = (xp[plane + j] - mean[ch]) * rstd;
                    gxp[plane + j] = (float)(scale * rstd * (gp[plane + j] - meanG - xhat * meanGx));
                }
            }
        });
        return (gx, gw, gb);
    }
}
