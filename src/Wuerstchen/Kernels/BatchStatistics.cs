namespace Wuerstchen.Kernels;

/// <summary>Per-channel statistics of [N, C, P] data (BatchNorm in training mode), accumulated in double.</summary>
internal static unsafe class BatchStatistics
{
    /// <summary>
    /// Mean and biased variance of every channel over its N·P values (two passes: the mean, then the centred
    /// squares). One channel per task, each sum in a fixed order, so the result does not depend on the thread count.
    /// </summary>
    public static void MeanVariance(float* x, int batch, int channels, long pixels, double[] mean, double[] variance)
    {
        Threads.For(channels, c =>
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                float* plane = x + ((long)n * channels + c) * pixels;
                for (long i = 0; i < pixels; i++) sum += plane[i];
            }
            double m = sum / ((long)batch * pixels), squares = 0;
            for (int n = 0; n < batch; n++)
            {
                float* plane = x + ((long)n * channels + c) * pixels;
                for (long i = 0; i < pixels; i++) { double d = plane[i] - m; squares += d * d; }
            }
            mean[c] = m;
            variance[c] = squares / ((long)batch * pixels);
        });
    }
}
