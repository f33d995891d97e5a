using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// Separates the dominant object of a picture from its background.
/// <list type="number">
/// <item>Background: a plane a + b·x + c·y per channel, fitted to the border ring by least squares with outliers
/// (an object touching the border) trimmed, so plain backgrounds and gentle gradients are both modelled.</item>
/// <item>Foreground: pixels whose colour is farther from the local background than an Otsu threshold on those distances
/// (at least <see cref="MinimumDistance"/>, so a plain or noisy background alone yields nothing).</item>
/// <item>Dominant object: the largest 8-connected foreground component; its colour is the per-channel median of its
/// core, the quarter of its pixels farthest from the background (edge pixels, and in blurred pictures much of a
/// small object, are blends with the background).</item>
/// <item>Coverage: each pixel's position between its local background and the object colour, t = ⟨p − bg, o − bg⟩ / |o − bg|²,
/// clamped to [0, 1]. For antialiased or blurred edges that is the fraction of the pixel the object covers, so its
/// ½ level is the object's outline. Other foreground components are zeroed so only the dominant object remains.</item>
/// </list>
/// </summary>
public sealed record ObjectSegmentation(
    BackgroundModel Background,
    Rgb ObjectColor,
    float[] Coverage,
    int Width,
    int Height,
    int ObjectArea,
    int ObjectCount)
{
    /// <summary>Least colour distance (sRGB, [0, 1] units) from the background that counts as foreground.</summary>
    public const float MinimumDistance = 0.1f;

    /// <summary>Components smaller than this fraction of the image (or 4 pixels) are specks, not objects.</summary>
    public const double MinimumObjectFraction = 0.0005;

    /// <summary>Segments planar RGB [3, H, W] in [0, 1]; null if nothing stands out from the background.</summary>
    public static ObjectSegmentation? Segment(ReadOnlySpan<float> rgb, int width, int height)
    {
        int n = width * height;
        if (rgb.Length != 3 * n) throw new ArgumentException($"Expected 3×{height}×{width} values, got {rgb.Length}.", nameof(rgb));
        var r = rgb[..n];
        var g = rgb.Slice(n, n);
        var b = rgb.Slice(2 * n, n);

        var background = BackgroundModel.Fit(r, g, b, width, height);
        var bgR = new float[n]; var bgG = new float[n]; var bgB = new float[n];
        background.Render(bgR, bgG, bgB);
        var distance = new float[n];
        for (int i = 0; i < n; i++)
            distance[i] = MathF.Sqrt(Sq(r[i] - bgR[i]) + Sq(g[i] - bgG[i]) + Sq(b[i] - bgB[i]));
        float threshold = Math.Max(MinimumDistance, Otsu(distance));

        var mask = new bool[n];
        for (int i = 0; i < n; i++) mask[i] = distance[i] > threshold;
        var (labels, components) = ConnectedComponents.Label(mask, width, height);
        int minimumArea = Math.Max(4, (int)(MinimumObjectFraction * n));
        var objects = components.Where(c => c.Area >= minimumArea).ToList();
        if (objects.Count == 0) return null;
        var dominant = objects[0];

        // Object colour: median over the component's core.
        var inside = new List<int>(dominant.Area);
        for (int i = 0; i < n; i++) if (labels[i] == dominant.Label) inside.Add(i);
        var distances = inside.Select(i => distance[i]).ToArray();
        float coreLevel = Quantile(distances, CoreQuantile);
        var core = inside.Where(i => distance[i] >= coreLevel).ToArray();
        var color = new Rgb(MedianAt(r, core), MedianAt(g, core), MedianAt(b, core));

        var coverage = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (labels[i] != 0 && labels[i] != dominant.Label) continue; // another object: leave at 0
            float ox = color.R - bgR[i], oy = color.G - bgG[i], oz = color.B - bgB[i];
            float t = ((r[i] - bgR[i]) * ox + (g[i] - bgG[i]) * oy + (b[i] - bgB[i]) * oz) / (ox * ox + oy * oy + oz * oz);
            coverage[i] = float.IsFinite(t) ? Math.Clamp(t, 0f, 1f) : 0f;
        }
        return new ObjectSegmentation(background, color, coverage, width, height, dominant.Area, objects.Count);
    }

    /// <summary>Otsu's threshold (maximal between-class variance) over a 256-bin histogram of non-negative values.</summary>
    public static float Otsu(ReadOnlySpan<float> values)
    {
        float max = 0;
        foreach (var v in values) max = Math.Max(max, v);
        if (max <= 0) return 0;
        const int Bins = 256;
        var histogram = new double[Bins];
        foreach (var v in values) histogram[Math.Min(Bins - 1, (int)(v / max * Bins))]++;
        double total = values.Length, sumAll = 0;
        for (int i = 0; i < Bins; i++) sumAll += i * histogram[i];
        double weightBelow = 0, sumBelow = 0, best = -1;
        int bestBin = 0;
        for (int i = 0; i < Bins - 1; i++)
        {
            weightBelow += histogram[i];
            sumBelow += i * histogram[i];
            double weightAbove = total - weightBelow;
            if (weightBelow == 0 || weightAbove == 0) continue;
            double meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove;
            double between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best) { best = between; bestBin = i; }
        }
        return (bestBin + 1) * max / Bins;
    }

    private static float MedianAt(ReadOnlySpan<float> plane, int[] indices)
    {
        var values = new float[indices.Length];
        for (int k = 0; k < indices.Length; k++) values[k] = plane[indices[k]];
        return Median(values);
    }

    /// <summary>The object's colour is the median over its pixels at or above this quantile of distance from the background.</summary>
    public const double CoreQuantile = 0.75;

    private static float Quantile(float[] values, double q)
    {
        Array.Sort(values);
        return values[Math.Min(values.Length - 1, (int)(q * values.Length))];
    }

    internal static float Median(float[] values)
    {
        if (values.Length == 0) return 0;
        Array.Sort(values);
        int m = values.Length / 2;
        return values.Length % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }

    private static float Sq(float x) => x * x;
}
