using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// A picture's background as one plane per channel, value = a + b·u + c·v with u, v the pixel centre in [0, 1]
/// (u right, v down), fitted to the border ring. Plain backgrounds come out flat; linear gradients are followed, so
/// their far ends are not mistaken for objects. The ring is max(1, min(H, W)/32) pixels wide; ring pixels far from
/// the ring's median colour and then from the first plane (an object reaching the border) are left out of the fit.
/// </summary>
public sealed record BackgroundModel(int Width, int Height, double[] Red, double[] Green, double[] Blue)
{
    /// <summary>The mean background colour (the plane at the image centre).</summary>
    public Rgb Mean => new((float)At(Red, 0.5, 0.5), (float)At(Green, 0.5, 0.5), (float)At(Blue, 0.5, 0.5));

    public static BackgroundModel Fit(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, int width, int height)
    {
        int ring = Math.Max(1, Math.Min(width, height) / 32);
        var ringPixels = new List<int>();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (y < ring || y >= height - ring || x < ring || x >= width - ring) ringPixels.Add(y * width + x);

        // Start from the flat median colour, which ignores up to half the ring; drop clear outliers (generously, so a
        // gradient's ends stay), fit the planes, then trim again at three robust deviations and refit.
        var flat = new BackgroundModel(width, height, [MedianAt(r, ringPixels)], [MedianAt(g, ringPixels)], [MedianAt(b, ringPixels)]);
        var kept = Trim(flat, r, g, b, ringPixels, floor: 0.2);
        var model = FitPlanes(r, g, b, width, height, kept.Count >= 3 ? kept : ringPixels);
        kept = Trim(model, r, g, b, ringPixels, floor: 0.05);
        return kept.Count >= 3 ? FitPlanes(r, g, b, width, height, kept) : model;
    }

    // Ring pixels within max(floor, 3 · 1.4826 · median residual) of the model.
    private static List<int> Trim(BackgroundModel model, ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, List<int> pixels, double floor)
    {
        var residual = new double[pixels.Count];
        for (int k = 0; k < residual.Length; k++) residual[k] = model.Distance(r, g, b, pixels[k]);
        double limit = Math.Max(floor, 3 * 1.4826 * Median(residual));
        var kept = new List<int>(pixels.Count);
        for (int k = 0; k < residual.Length; k++) if (residual[k] <= limit) kept.Add(pixels[k]);
        return kept;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static double MedianAt(ReadOnlySpan<float> plane, List<int> pixels)
    {
        var values = new double[pixels.Count];
        for (int k = 0; k < values.Length; k++) values[k] = plane[pixels[k]];
        return Median(values);
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
                r[i] = (float)At(Red, u, v);
                g[i] = (float)At(Green, u, v);
                b[i] = (float)At(Blue, u, v);
            }
        }
    }

    private double Distance(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, int i)
    {
        double u = (i % Width + 0.5) / Width, v = (i / Width + 0.5) / Height;
        double dr = r[i] - At(Red, u, v), dg = g[i] - At(Green, u, v), db = b[i] - At(Blue, u, v);
        return Math.Sqrt(dr * dr + dg * dg + db * db);
    }

    // A flat model has one coefficient, a plane three.
    private static double At(double[] c, double u, double v) => c.Length == 1 ? c[0] : c[0] + c[1] * u + c[2] * v;

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
