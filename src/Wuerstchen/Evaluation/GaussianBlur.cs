namespace Wuerstchen.Evaluation;

/// <summary>
/// Separable Gaussian blur of planar images, edges clamped (replicated). Used by the analyser to smooth an object's
/// coverage before tracing it and to build the classifier's blurred prototypes, and by tests to imitate the softness
/// of generated pictures.
/// </summary>
public static class GaussianBlur
{
    /// <summary>Blurs each of the <paramref name="planes"/> height×width planes in place with standard deviation <paramref name="sigma"/> pixels.</summary>
    public static void Apply(Span<float> data, int planes, int width, int height, double sigma)
    {
        if (data.Length != planes * width * height) throw new ArgumentException($"Expected {planes}×{height}×{width} values, got {data.Length}.", nameof(data));
        if (sigma < 0 || double.IsNaN(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be non-negative.");
        if (sigma == 0) return;
        var kernel = Kernel(sigma);
        int radius = kernel.Length / 2;
        var line = new float[Math.Max(width, height)];
        for (int p = 0; p < planes; p++)
        {
            var plane = data.Slice(p * width * height, width * height);
            for (int y = 0; y < height; y++)
            {
                plane.Slice(y * width, width).CopyTo(line);
                for (int x = 0; x < width; x++)
                {
                    double sum = 0;
                    for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * line[Math.Clamp(x + k, 0, width - 1)];
                    plane[y * width + x] = (float)sum;
                }
            }
            for (int x = 0; x < width; x++)
            {
                for (int y = 0; y < height; y++) line[y] = plane[y * width + x];
                for (int y = 0; y < height; y++)
                {
                    double sum = 0;
                    for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * line[Math.Clamp(y + k, 0, height - 1)];
                    plane[y * width + x] = (float)sum;
                }
            }
        }
    }

    /// <summary>Normalised taps exp(−k²/2σ²) for |k| ≤ ⌈3σ⌉.</summary>
    public static double[] Kernel(double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) sum += k[i + radius] = Math.Exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
        return k;
    }
}
