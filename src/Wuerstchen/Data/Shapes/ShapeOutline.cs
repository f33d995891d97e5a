namespace Wuerstchen.Data.Shapes;

/// <summary>
/// The exact silhouette of a shape class in a unit frame: x to the right, y downwards (image convention), bounding
/// box centred on the origin with its larger half-extent 1. An object of radius r at (cx, cy) covers the points
/// (cx, cy) + r·q for q inside the outline, so r is half the object's larger bounding-box side.
/// </summary>
public sealed class ShapeOutline
{
    /// <summary>Outer radius ratio of the star's inner vertices: fatter than a pentagram's 0.382 so the arms survive blur at small sizes.</summary>
    public const double StarInnerRatio = 0.45;

    /// <summary>Half-width of the cross's arms relative to their half-length.</summary>
    public const double CrossArmHalfWidth = 1.0 / 3.0;

    /// <summary>The diamond's half-width relative to its half-height (a playing-card rhombus, not a rotated square).</summary>
    public const double DiamondHalfWidth = 0.75;

    public ShapeKind Kind { get; }

    /// <summary>Polygon vertices (clockwise on screen) or empty for the circle.</summary>
    public IReadOnlyList<(double X, double Y)> Vertices => _vertices;

    /// <summary>
    /// Vertices to compute area coverage with: the polygon itself, or for the circle an inscribed
    /// <see cref="CirclePolygonSides"/>-gon (radial gap 1 − cos(π/720) ≈ 1e-5 of the radius: 0.01 px at r = 1000 px).
    /// </summary>
    public IReadOnlyList<(double X, double Y)> CoveragePolygon => _vertices.Length > 0 ? _vertices : CirclePolygon;

    public const int CirclePolygonSides = 720;

    private static readonly (double X, double Y)[] CirclePolygon = Enumerable.Range(0, CirclePolygonSides)
        .Select(i => (Math.Cos(2 * Math.PI * i / CirclePolygonSides), Math.Sin(2 * Math.PI * i / CirclePolygonSides)))
        .ToArray();

    /// <summary>Half-extents of the bounding box (the larger one is 1).</summary>
    public double HalfWidth { get; }
    public double HalfHeight { get; }

    private readonly (double X, double Y)[] _vertices;

    private ShapeOutline(ShapeKind kind, (double X, double Y)[] vertices)
    {
        Kind = kind;
        if (vertices.Length == 0)
        {
            _vertices = vertices;
            HalfWidth = HalfHeight = 1;
            return;
        }
        // Centre the bounding box on the origin and scale its larger half-extent to 1.
        double minX = vertices.Min(v => v.X), maxX = vertices.Max(v => v.X);
        double minY = vertices.Min(v => v.Y), maxY = vertices.Max(v => v.Y);
        double cx = (minX + maxX) / 2, cy = (minY + maxY) / 2, scale = 2 / Math.Max(maxX - minX, maxY - minY);
        _vertices = vertices.Select(v => ((v.X - cx) * scale, (v.Y - cy) * scale)).ToArray();
        HalfWidth = (maxX - minX) * scale / 2;
        HalfHeight = (maxY - minY) * scale / 2;
    }

    private static readonly ShapeOutline[] Outlines = ShapeNames.All.Select(Build).ToArray();

    public static ShapeOutline Of(ShapeKind kind) => Outlines[(int)kind];

    private static ShapeOutline Build(ShapeKind kind) => kind switch
    {
        ShapeKind.Circle => new(kind, []),
        ShapeKind.Square => new(kind, [(-1, -1), (1, -1), (1, 1), (-1, 1)]),
        // Equilateral, apex up.
        ShapeKind.Triangle => new(kind, [(0, -Math.Sqrt(3) / 2), (1, Math.Sqrt(3) / 2), (-1, Math.Sqrt(3) / 2)]),
        ShapeKind.Diamond => new(kind, [(0, -1), (DiamondHalfWidth, 0), (0, 1), (-DiamondHalfWidth, 0)]),
        ShapeKind.Star => new(kind, Star()),
        ShapeKind.Cross => new(kind, Cross()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown shape."),
    };

    // Five points, one pointing straight up; vertices alternate outer (radius 1) and inner.
    private static (double, double)[] Star()
    {
        var v = new (double, double)[10];
        for (int i = 0; i < 10; i++)
        {
            double radius = i % 2 == 0 ? 1 : StarInnerRatio;
            double angle = -Math.PI / 2 + i * Math.PI / 5;
            v[i] = (radius * Math.Cos(angle), radius * Math.Sin(angle));
        }
        return v;
    }

    // A plus sign: twelve vertices, clockwise from the top arm's left corner.
    private static (double, double)[] Cross()
    {
        double w = CrossArmHalfWidth;
        return [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w), (-1, -w), (-w, -w)];
    }

    /// <summary>Whether the unit-frame point q lies inside (even–odd rule; the outlines do not self-intersect).</summary>
    public bool Contains(double x, double y)
    {
        if (_vertices.Length == 0) return x * x + y * y < 1;
        bool inside = false;
        var v = _vertices;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
        {
            if ((v[i].Y > y) != (v[j].Y > y) &&
                x < (v[j].X - v[i].X) * (y - v[i].Y) / (v[j].Y - v[i].Y) + v[i].X)
                inside = !inside;
        }
        return inside;
    }

    /// <summary>Euclidean distance from the unit-frame point to the outline, negative inside.</summary>
    public double SignedDistance(double x, double y)
    {
        if (_vertices.Length == 0) return Math.Sqrt(x * x + y * y) - 1;
        double best = double.PositiveInfinity;
        var v = _vertices;
        for (int i = 0, j = v.Length - 1; i < v.Length; j = i++)
        {
            double ex = v[i].X - v[j].X, ey = v[i].Y - v[j].Y;
            double px = x - v[j].X, py = y - v[j].Y;
            double t = Math.Clamp((px * ex + py * ey) / (ex * ex + ey * ey), 0, 1);
            double dx = px - t * ex, dy = py - t * ey;
            best = Math.Min(best, dx * dx + dy * dy);
        }
        double d = Math.Sqrt(best);
        return Contains(x, y) ? -d : d;
    }
}
