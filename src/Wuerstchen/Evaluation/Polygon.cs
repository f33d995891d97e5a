namespace Wuerstchen.Evaluation;

/// <summary>Measures of closed polygons given as vertex lists (the last vertex connects back to the first).</summary>
public static class Polygon
{
    /// <summary>Shoelace area, positive for counter-clockwise vertices in a y-up frame (clockwise on screen).</summary>
    public static double SignedArea(ReadOnlySpan<(double X, double Y)> v)
    {
        double a = 0;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++) a += v[j].X * v[i].Y - v[i].X * v[j].Y;
        return a / 2;
    }

    public static double Perimeter(ReadOnlySpan<(double X, double Y)> v)
    {
        double p = 0;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++) p += Math.Sqrt(Sq(v[i].X - v[j].X) + Sq(v[i].Y - v[j].Y));
        return p;
    }

    /// <summary>Area centroid (for a non-degenerate polygon).</summary>
    public static (double X, double Y) Centroid(ReadOnlySpan<(double X, double Y)> v)
    {
        double a = 0, cx = 0, cy = 0;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
        {
            double cross = v[j].X * v[i].Y - v[i].X * v[j].Y;
            a += cross;
            cx += (v[j].X + v[i].X) * cross;
            cy += (v[j].Y + v[i].Y) * cross;
        }
        return (cx / (3 * a), cy / (3 * a));
    }

    /// <summary>Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame, without collinear points.</summary>
    public static (double X, double Y)[] ConvexHull(ReadOnlySpan<(double X, double Y)> points)
    {
        var p = points.ToArray();
        Array.Sort(p, (a, b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y));
        if (p.Length < 3) return p;
        var hull = new (double X, double Y)[2 * p.Length];
        int k = 0;
        for (int i = 0; i < p.Length; i++)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;
            hull[k++] = p[i];
        }
        for (int i = p.Length - 2, lower = k + 1; i >= 0; i--)
        {
            while (k >= lower && Cross(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;
            hull[k++] = p[i];
        }
        return hull[..(k - 1)];
    }

    /// <summary>
    /// Douglas–Peucker simplification of a closed polygon with tolerance <paramref name="epsilon"/>: split at the
    /// vertex farthest from the first, simplify both chains.
    /// </summary>
    public static (double X, double Y)[] Simplify(ReadOnlySpan<(double X, double Y)> v, double epsilon)
    {
        if (v.Length < 4) return v.ToArray();
        int far = 0;
        double best = -1;
        for (int i = 1; i < v.Length; i++)
        {
            double d = Sq(v[i].X - v[0].X) + Sq(v[i].Y - v[0].Y);
            if (d > best) { best = d; far = i; }
        }
        var keep = new bool[v.Length + 1];
        var ring = new (double X, double Y)[v.Length + 1];
        v.CopyTo(ring);
        ring[v.Length] = v[0];
        keep[0] = keep[far] = keep[v.Length] = true;
        Chain(ring, 0, far, epsilon, keep);
        Chain(ring, far, v.Length, epsilon, keep);
        var result = new List<(double X, double Y)>();
        for (int i = 0; i < v.Length; i++) if (keep[i]) result.Add(v[i]);
        return result.ToArray();
    }

    private static void Chain((double X, double Y)[] p, int first, int last, double epsilon, bool[] keep)
    {
        if (last - first < 2) return;
        double best = -1;
        int index = -1;
        for (int i = first + 1; i < last; i++)
        {
            double d = SegmentDistance(p[i], p[first], p[last]);
            if (d > best) { best = d; index = i; }
        }
        if (best <= epsilon) return;
        keep[index] = true;
        Chain(p, first, index, epsilon, keep);
        Chain(p, index, last, epsilon, keep);
    }

    private static double SegmentDistance((double X, double Y) p, (double X, double Y) a, (double X, double Y) b)
    {
        double ex = b.X - a.X, ey = b.Y - a.Y, len = ex * ex + ey * ey;
        double t = len == 0 ? 0 : Math.Clamp(((p.X - a.X) * ex + (p.Y - a.Y) * ey) / len, 0, 1);
        return Math.Sqrt(Sq(p.X - a.X - t * ex) + Sq(p.Y - a.Y - t * ey));
    }

    private static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) =>
        (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);

    private static double Sq(double x) => x * x;
}
