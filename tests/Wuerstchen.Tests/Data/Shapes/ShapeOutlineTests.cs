using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapeOutlineTests
{
    [Theory]
    [InlineData(ShapeKind.Circle)]
    [InlineData(ShapeKind.Square)]
    [InlineData(ShapeKind.Triangle)]
    [InlineData(ShapeKind.Diamond)]
    [InlineData(ShapeKind.Star)]
    [InlineData(ShapeKind.Cross)]
    public void Bounding_box_is_centred_with_larger_half_extent_one(ShapeKind kind)
    {
        var o = ShapeOutline.Of(kind);
        Assert.Equal(1.0, Math.Max(o.HalfWidth, o.HalfHeight), 12);
        if (o.Vertices.Count == 0) return;
        Assert.Equal(-o.HalfWidth, o.Vertices.Min(v => v.X), 12);
        Assert.Equal(o.HalfWidth, o.Vertices.Max(v => v.X), 12);
        Assert.Equal(-o.HalfHeight, o.Vertices.Min(v => v.Y), 12);
        Assert.Equal(o.HalfHeight, o.Vertices.Max(v => v.Y), 12);
    }

    [Theory]
    [InlineData(ShapeKind.Circle)]
    [InlineData(ShapeKind.Square)]
    [InlineData(ShapeKind.Triangle)]
    [InlineData(ShapeKind.Diamond)]
    [InlineData(ShapeKind.Star)]
    [InlineData(ShapeKind.Cross)]
    public void Signed_distance_matches_a_densely_sampled_boundary(ShapeKind kind)
    {
        var o = ShapeOutline.Of(kind);
        var boundary = DenseBoundary(o, 4000);
        var rng = new System.Random(7);
        for (int n = 0; n < 300; n++)
        {
            double x = rng.NextDouble() * 2.6 - 1.3, y = rng.NextDouble() * 2.6 - 1.3;
            double brute = boundary.Min(p => Math.Sqrt((p.X - x) * (p.X - x) + (p.Y - y) * (p.Y - y)));
            double d = o.SignedDistance(x, y);
            Assert.True(Math.Abs(Math.Abs(d) - brute) < 2e-3, $"{kind} at ({x:F3}, {y:F3}): |sdf| {Math.Abs(d):F5}, brute force {brute:F5}");
            Assert.Equal(o.Contains(x, y), d < 0);
        }
    }

    [Fact]
    public void Star_and_cross_have_their_documented_proportions()
    {
        // Star: outer points at radius R, inner at 0.45 R, so the area is 10 · ½ · R · 0.45R · sin 36°.
        // The widest points are the outer points at ±18° above horizontal, so R = half-width / cos 18°.
        var star = ShapeOutline.Of(ShapeKind.Star);
        double r = star.HalfWidth / Math.Cos(Math.PI / 10);
        Assert.Equal(10 * 0.5 * r * ShapeOutline.StarInnerRatio * r * Math.Sin(Math.PI / 5), Shoelace(star.Vertices), 9);
        Assert.Equal(0.0, star.Vertices[0].X, 12); // one point straight up
        Assert.Equal(-star.HalfHeight, star.Vertices[0].Y, 12);
        // Cross: arms of half-width 1/3 over a 2×2 box: area 4 − 4·(2/3)² = 20/9.
        Assert.Equal(20.0 / 9.0, Shoelace(ShapeOutline.Of(ShapeKind.Cross).Vertices), 12);
        Assert.Equal(2 * ShapeOutline.DiamondHalfWidth, Shoelace(ShapeOutline.Of(ShapeKind.Diamond).Vertices), 12);
    }

    internal static double Shoelace(IReadOnlyList<(double X, double Y)> v)
    {
        double a = 0;
        for (int i = 0, j = v.Count - 1; i < v.Count; j = i++) a += v[j].X * v[i].Y - v[i].X * v[j].Y;
        return Math.Abs(a) / 2;
    }

    internal static double Area(ShapeKind kind) =>
        kind == ShapeKind.Circle ? Math.PI : Shoelace(ShapeOutline.Of(kind).Vertices);

    private static List<(double X, double Y)> DenseBoundary(ShapeOutline o, int n)
    {
        var pts = new List<(double X, double Y)>();
        if (o.Vertices.Count == 0)
        {
            for (int i = 0; i < n; i++) pts.Add((Math.Cos(2 * Math.PI * i / n), Math.Sin(2 * Math.PI * i / n)));
            return pts;
        }
        var v = o.Vertices;
        int per = n / v.Count;
        for (int i = 0; i < v.Count; i++)
        {
            var a = v[i]; var b = v[(i + 1) % v.Count];
            for (int k = 0; k < per; k++) pts.Add((a.X + (b.X - a.X) * k / per, a.Y + (b.Y - a.Y) * k / per));
        }
        return pts;
    }
}
