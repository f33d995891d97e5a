namespace Wuerstchen.Evaluation;

/// <summary>
/// Scale-invariant silhouette measures of one object, from its sub-pixel outline (and, for the symmetry, its
/// coverage field). Ideal values for the dataset's outlines, in the order circle / square / triangle / diamond /
/// star / cross: fill 0.785 / 1 / 0.5 / 0.5 / 0.384 / 0.556, solidity 1 / 1 / 1 / 1 / 0.556 / 0.714, circularity
/// 1 / 0.785 / 0.605 / 0.754 / – / 0.436.
/// </summary>
/// <param name="Area">Enclosed area in pixels.</param>
/// <param name="Perimeter">Outline length in pixels.</param>
/// <param name="Fill">Area over bounding-box area.</param>
/// <param name="Solidity">Area over convex-hull area (1 for convex shapes).</param>
/// <param name="Circularity">4π·Area / Perimeter² (1 for a disc).</param>
/// <param name="Aspect">Bounding-box width over height.</param>
/// <param name="CentroidHeight">Centroid's distance below the bounding box's top, over its height (½ for shapes symmetric top to bottom; ⅔ for the upright triangle).</param>
/// <param name="FlipSymmetry">Overlap (soft IoU) of the object's coverage with its top–bottom mirror image about the box centre.</param>
/// <param name="Corners">Vertices of the outline simplified with a tolerance of 4% of √Area.</param>
public sealed record ShapeFeatures(
    double Area,
    double Perimeter,
    double Fill,
    double Solidity,
    double Circularity,
    double Aspect,
    double CentroidHeight,
    double FlipSymmetry,
    int Corners)
{
    /// <summary>Simplification tolerance for <see cref="Corners"/>, relative to √Area.</summary>
    public const double CornerTolerance = 0.04;

    /// <summary>Measures the outline <paramref name="outline"/> (image coordinates, pixel centres at integers) of the object whose coverage is <paramref name="coverage"/>.</summary>
    public static ShapeFeatures Measure(ReadOnlySpan<(double X, double Y)> outline, ReadOnlySpan<float> coverage, int width, int height)
    {
        double area = Math.Abs(Polygon.SignedArea(outline));
        double perimeter = Polygon.Perimeter(outline);
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (x, y) in outline)
        {
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
        }
        double boxW = Math.Max(maxX - minX, 1e-9), boxH = Math.Max(maxY - minY, 1e-9);
        var hull = Polygon.ConvexHull(outline);
        double hullArea = Math.Abs(Polygon.SignedArea(hull));
        var centroid = Polygon.Centroid(outline);
        int corners = Polygon.Simplify(outline, CornerTolerance * Math.Sqrt(area)).Length;
        return new ShapeFeatures(
            area,
            perimeter,
            area / (boxW * boxH),
            hullArea > 0 ? area / hullArea : 0,
            perimeter > 0 ? 4 * Math.PI * area / (perimeter * perimeter) : 0,
            boxW / boxH,
            (centroid.Y - minY) / boxH,
            FlipOverlap(coverage, width, height, minX, minY, maxX, maxY),
            corners);
    }

    // Σ min(c, c') / Σ max(c, c') over the box, with c' the coverage mirrored about the box's horizontal mid-line (bilinear).
    private static double FlipOverlap(ReadOnlySpan<float> coverage, int width, int height, double minX, double minY, double maxX, double maxY)
    {
        double mirror = minY + maxY, overlap = 0, union = 0;
        int x0 = Math.Max(0, (int)Math.Floor(minX)), x1 = Math.Min(width - 1, (int)Math.Ceiling(maxX));
        int y0 = Math.Max(0, (int)Math.Floor(minY)), y1 = Math.Min(height - 1, (int)Math.Ceiling(maxY));
        for (int y = y0; y <= y1; y++)
        {
            double my = mirror - y;
            int m0 = (int)Math.Floor(my);
            double f = my - m0;
            for (int x = x0; x <= x1; x++)
            {
                double a = coverage[y * width + x];
                double b = (1 - f) * Sample(coverage, width, height, x, m0) + f * Sample(coverage, width, height, x, m0 + 1);
                overlap += Math.Min(a, b);
                union += Math.Max(a, b);
            }
        }
        return union > 0 ? overlap / union : 0;
    }

    private static double Sample(ReadOnlySpan<float> c, int width, int height, int x, int y) =>
        (uint)y < (uint)height ? c[y * width + x] : 0;
}
