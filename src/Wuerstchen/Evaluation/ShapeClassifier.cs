using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>How far an object's features are from one class (smaller is closer).</summary>
public readonly record struct ShapeScore(ShapeKind Shape, double Distance);

/// <summary>
/// Names an object's shape by the nearest class in a scaled feature space. Generated pictures are soft, and blur
/// moves every feature (corners round off, the star's notches fill in), so each class is not one prototype but a
/// curve: the analyser's own measurements of a clean render of the class blurred by increasing amounts relative
/// to its size (<see cref="BlurLevels"/>, σ as a fraction of the object's radius). An object is scored by its
/// distance to the nearest point of each curve, so a sharp star and a softened star are both stars, without
/// estimating the blur first. The curves stop at a blur where the classes are still apart (beyond it every shape
/// tends to a round blob). Features are divided by scales that reflect how much they drift with noise and pixel
/// size, so a robust gap (the triangle's low centroid, the star's concavity) weighs more than a fragile one. The
/// corner count is reported but not used: it is the first measure blur destroys (a softened square has nine).
/// </summary>
public static class ShapeClassifier
{
    /// <summary>Blur levels of the prototype curves: Gaussian σ over the object's radius (half its larger side).</summary>
    public static IReadOnlyList<double> BlurLevels { get; } = [0, 0.04, 0.08, 0.12, 0.16, 0.20];

    // Scales of: fill, solidity, circularity, log aspect, centroid height, flip symmetry.
    internal static readonly double[] Scales = [0.08, 0.06, 0.10, 0.10, 0.04, 0.10];

    private static readonly Lazy<Dictionary<ShapeKind, ShapeFeatures[]>> Curves = new(BuildCurves);

    /// <summary>All classes ranked by distance, nearest first.</summary>
    public static ShapeScore[] Rank(ShapeFeatures features)
    {
        var v = Vector(features);
        return Curves.Value
            .Select(kv => new ShapeScore(kv.Key, DistanceToCurve(v, kv.Value.Select(Vector).ToArray())))
            .OrderBy(s => s.Distance)
            .ToArray();
    }

    /// <summary>The measured features of each class at each of <see cref="BlurLevels"/> (for reports and tests).</summary>
    public static IReadOnlyDictionary<ShapeKind, ShapeFeatures[]> PrototypeCurves => Curves.Value;

    internal static double[] Vector(ShapeFeatures f) =>
        [f.Fill / Scales[0], f.Solidity / Scales[1], f.Circularity / Scales[2], Math.Log(f.Aspect) / Scales[3], f.CentroidHeight / Scales[4], f.FlipSymmetry / Scales[5]];

    // Distance from v to the polyline through the curve's points.
    private static double DistanceToCurve(double[] v, double[][] curve)
    {
        double best = double.PositiveInfinity;
        for (int i = 0; i + 1 < curve.Length; i++)
        {
            var a = curve[i];
            var b = curve[i + 1];
            double dot = 0, len = 0;
            for (int k = 0; k < v.Length; k++)
            {
                dot += (v[k] - a[k]) * (b[k] - a[k]);
                len += (b[k] - a[k]) * (b[k] - a[k]);
            }
            double t = len > 0 ? Math.Clamp(dot / len, 0, 1) : 0;
            double d = 0;
            for (int k = 0; k < v.Length; k++) d += Math.Pow(v[k] - a[k] - t * (b[k] - a[k]), 2);
            best = Math.Min(best, Math.Sqrt(d));
        }
        return best;
    }

    private static Dictionary<ShapeKind, ShapeFeatures[]> BuildCurves() =>
        ShapeNames.All.ToDictionary(s => s, s => BlurLevels.Select(level => MeasureCanonical(s, level)).ToArray());

    // White on black, 192² with radius 0.25 (48 px), so even the widest blur stays clear of the border.
    internal static ShapeFeatures MeasureCanonical(ShapeKind shape, double blur, double outlineSmoothing = AdherenceAnalyzer.OutlineSmoothing)
    {
        const int Size = 192;
        const double Radius = 0.25;
        var white = ColorPalette.White;
        var black = ColorPalette.Black;
        var scene = new ShapeScene(shape, white, 1, ShapeSize.Large, ScenePosition.Center,
            new SceneBackground(black, BackgroundFill.Plain, black.Value, black.Value),
            [new SceneObject(shape, white, white.Value, 0.5, 0.5, Radius)]);
        using var image = ShapeRasterizer.Render(scene, Size);
        var pixels = image.AsSpan();
        GaussianBlur.Apply(pixels, 3, Size, Size, blur * Radius * Size);
        return AdherenceAnalyzer.Measure(pixels, Size, Size, outlineSmoothing).Features
            ?? throw new InvalidOperationException($"The canonical {shape} render (blur {blur}) was not found by the analyser.");
    }
}
