namespace Wuerstchen.Data.Shapes;

/// <summary>
/// Exact area of a polygon inside one pixel square: Sutherland–Hodgman clipping against the square's four sides,
/// then the shoelace formula. Clipping a concave polygon (the star, the cross) against a convex window can leave
/// zero-width slivers along the window's sides, but they enclose no area, so the area stays exact.
/// </summary>
internal static class PixelCoverage
{
    /// <summary>
    /// Area of <paramref name="polygon"/> (pixel coordinates, either orientation) within [x, x+1] × [y, y+1].
    /// Each scratch span must hold at least 2·polygon.Length + 8 points (each clip adds at most one vertex per crossing).
    /// </summary>
    public static double Of(ReadOnlySpan<(double X, double Y)> polygon, int x, int y,
        Span<(double X, double Y)> scratchA, Span<(double X, double Y)> scratchB)
    {
        int n = Clip(polygon, scratchB, horizontal: true, x, keepAbove: true);
        n = Clip(scratchB[..n], scratchA, horizontal: true, x + 1, keepAbove: false);
        n = Clip(scratchA[..n], scratchB, horizontal: false, y, keepAbove: true);
        n = Clip(scratchB[..n], scratchA, horizontal: false, y + 1, keepAbove: false);
        double area = 0;
        for (int i = 0, j = n - 1; i < n; j = i++)
            area += scratchA[j].X * scratchA[i].Y - scratchA[i].X * scratchA[j].Y;
        return Math.Abs(area) / 2;
    }

    // Keeps the part of `input` on one side of the line x = bound (horizontal) or y = bound; returns the vertex count.
    private static int Clip(ReadOnlySpan<(double X, double Y)> input, Span<(double X, double Y)> output,
        bool horizontal, double bound, bool keepAbove)
    {
        if (input.Length == 0) return 0;
        int count = 0;
        var previous = input[^1];
        double previousSide = Side(previous, horizontal, bound, keepAbove);
        foreach (var current in input)
        {
            double side = Side(current, horizontal, bound, keepAbove);
            if ((side >= 0) != (previousSide >= 0))
            {
                double t = previousSide / (previousSide - side);
                output[count++] = horizontal
                    ? (bound, previous.Y + t * (current.Y - previous.Y))
                    : (previous.X + t * (current.X - previous.X), bound);
            }
            if (side >= 0) output[count++] = current;
            previous = current;
            previousSide = side;
        }
        return count;
    }

    private static double Side((double X, double Y) p, bool horizontal, double bound, bool keepAbove)
    {
        double c = horizontal ? p.X : p.Y;
        return keepAbove ? c - bound : bound - c;
    }
}
