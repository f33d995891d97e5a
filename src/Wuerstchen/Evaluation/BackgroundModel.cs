using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// A picture's background as one plane per channel, value = a + b·u + c·v with u, v the pixel centre in [0, 1]
/// (u right, v down), fitted to the border ring. Plain backgrounds come out flat; linear gradients are followed, so
/// their far ends are not mistaken for objects. The ring is max(1, min(H, W)/32) pixels wide; pixels whose colour
/// is far from the first fit (an object reaching the border) are trimmed before the final fit.
/// </summary>
public sealed record BackgroundModel(int Width, int Height, double[] Red, double[] Green, double[] Blue)
{
    /// <summary>The mean background colour (the plane at the image centre).</summary>
    public Rgb Mean => new((float)(Red[0] + 0.5 * (Red[1] + Red[2])), (float)(Green[0] + 0.5 * (Green[1] + Green[2])), (float)(Blue[0] + 0.5 * (Blue[1] + Blue[2])));

    public static BackgroundModel Fit(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, int width, int height)
    {
        int ring = Math.Max(1, Math.Min(width, height) / 32);
        var ringPixels = new List<int>();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (y < ring || y >= height - ring || x < ring || x >= width - ring) ringPixels.Add(y * width + x);

        var model = FitPlanes(r, g, b, width, height, ringPixels);
        // Trim pixels far from the first fit: more than 3 robust deviations (and 0.05) away.
        var residual = new double[ringPixels.Count];
        for (int k = 0; k < residual.Length; k++) residual[k] = model.Distance(r, g, b, ringPixels[k]);
        var sorted = residual.Order().ToArray();
        double mad = sorted[sorted.Length / 2];
        double limit = Math.Max(0.05, 3 * 1.4826 * mad);
        var kept = ringPixels.Where((_, k) => residual[k] <= limit).ToList();
        return kept.Count >= 3 && kept.Count < ringPixels.Count ? FitPlanes(r, g, b, width, height, kept) : model;
    }

    /// <summary>Writes the modelled background of every pixel.</summary>
    public void Render(Span<float> r, Span<float> g, Span<float> b)
    {
        for (int y = 0; y < Height; y++)
        {
            double v = (y + 0.5) / Height;
            for (int x = 0; x < Width; x++)
            {
                double u = (x + 0.5) / Width;
                int i = y * Width + x;
                r[i] = (float)(Red[0] + Red[1] * u + Red[2] * v);
                g[i] = (float)(Green[0] + Green[1] * u + Green[2] * v);
                b[i] = (float)(Blue[0] + Blue[1] * u + Blue[2] * v);
            }
        }
    }

    private double Distance(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, int i)
    {
        double u = (i % Width + 0.5) / Width, v = (i / Width + 0.5) / Height;
        double dr = r[i] - (Red[0] + Red[1] * u + Red[2] * v);
        double dg = g[i] - (Green[0] + Green[1] * u + Green[2] * v);
        double db = b[i] - (Blue[0] + Blue[1] * u + Blue[2] * v);
        return Math.Sqrt(dr * dr + dg * dg + db * db);
    }

    // Least squares for [1, u, v] · (a, b, c) over the given pixels, per channel (3×3 normal equations).
    private static BackgroundModel FitPlanes(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, int width, int height, List<int> pixels)
    {
        var m = new double[3, 3];
        var rhs = new double[3, 3];
        foreach (int i in pixels)
        {
            double u = (i % width + 0.5) / width, v = (i / width + 0.5) / height;
            Span<double> basis = [1, u, v];
            for (int j = 0; j < 3; j++)
            {
                for (int k = 0; k < 3; k++) m[j, k] += basis[j] * basis[k];
                rhs[0, j] += basis[j] * r[i];
                rhs[1, j] += basis[j] * g[i];
                rhs[2, j] += basis[j] * b[i];
            }
        }
        return new BackgroundModel(width, height, Solve(m, rhs, 0), Solve(m, rhs, 1), Solve(m, rhs, 2));
    }

    // Cramer's rule on the symmetric 3×3 system m·x = rhs[channel].
    private static double[] Solve(double[,] m, double[,] rhs, int channel)
    {
        double det = Det(m, -1, channel, rhs);
        var x = new double[3];
        for (int k = 0; k < 3; k++) x[k] = Det(m, k, channel, rhs) / det;
        return x;
    }

    private static double Det(double[,] m, int replaceColumn, int channel, double[,] rhs)
    {
        double E(int row, int col) => col == replaceColumn ? rhs[channel, row] : m[row, col];
        return E(0, 0) * (E(1, 1) * E(2, 2) - E(1, 2) * E(2, 1))
             - E(0, 1) * (E(1, 0) * E(2, 2) - E(1, 2) * E(2, 0))
             + E(0, 2) * (E(1, 0) * E(2, 1) - E(1, 1) * E(2, 0));
    }
}
