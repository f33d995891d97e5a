using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class PolygonTests
{
    private static readonly (double X, double Y)[] Rectangle = [(0, 0), (4, 0), (4, 2), (0, 2)];

    [Fact]
    public void Area_perimeter_and_centroid_of_a_rectangle()
    {
        Assert.Equal(8, Math.Abs(Polygon.SignedArea(Rectangle)), 12);
        Assert.Equal(-Polygon.SignedArea(Rectangle), Polygon.SignedArea(Rectangle.Reverse().ToArray()), 12);
        Assert.Equal(12, Polygon.Perimeter(Rectangle), 12);
        Assert.Equal((2.0, 1.0), Polygon.Centroid(Rectangle));
    }

    [Fact]
    public void Centroid_of_a_triangle_is_the_vertex_mean()
    {
        (double X, double Y)[] t = [(0, 0), (6, 0), (0, 3)];
        var (x, y) = Polygon.Centroid(t);
        Assert.Equal(2, x, 12);
        Assert.Equal(1, y, 12);
    }

    [Fact]
    public void Convex_hull_drops_interior_and_collinear_points()
    {
        (double X, double Y)[] points = [(0, 0), (1, 0), (2, 0), (2, 2), (1, 1), (0, 2), (1, 2), (0.5, 0.5)];
        var hull = Polygon.ConvexHull(points);
        Assert.Equal(4, hull.Length);
        Assert.Equal(4, Math.Abs(Polygon.SignedArea(hull)), 12);
        Assert.True(Polygon.SignedArea(hull) > 0);
    }

    [Fact]
    public void Simplify_keeps_the_corners_of_a_densely_sampled_square()
    {
        var dense = new List<(double X, double Y)>();
        var rng = new System.Random(3);
        (double, double)[] corners = [(0, 0), (10, 0), (10, 10), (0, 10)];
        for (int side = 0; side < 4; side++)
        {
            var (ax, ay) = corners[side];
            var (bx, by) = corners[(side + 1) % 4];
            for (int k = 0; k < 25; k++)
            {
                double t = k / 25.0, wobble = (rng.NextDouble() - 0.5) * 0.1;
                dense.Add((ax + (bx - ax) * t + wobble, ay + (by - ay) * t + wobble));
            }
        }
        Assert.Equal(4, Polygon.Simplify(dense.ToArray(), 0.4).Length);
        Assert.Equal(dense.Count, Polygon.Simplify(dense.ToArray(), 0).Length);
    }
}
