using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class MarchingSquaresTests
{
    // Coverage of a disc (exact area coverage from the rasteriser's white-on-black render).
    private static float[] Disc(int size, double cx, double cy, double radius)
    {
        var scene = new ShapeScene(ShapeKind.Circle, ColorPalette.White, 1, ShapeSize.Large, ScenePosition.Center,
            new SceneBackground(ColorPalette.Black, BackgroundFill.Plain, new Rgb(0, 0, 0), new Rgb(0, 0, 0)),
            [new SceneObject(ShapeKind.Circle, ColorPalette.White, new Rgb(1, 1, 1), cx, cy, radius)]);
        using var image = ShapeRasterizer.Render(scene, size);
        return image.AsSpan()[..(size * size)].ToArray();
    }

    [Fact]
    public void The_half_level_of_a_coverage_field_traces_the_disc()
    {
        const int Size = 64;
        double cx = 0.473, cy = 0.521, r = 0.31;
        var loops = MarchingSquares.Contours(Disc(Size, cx, cy, r), Size, Size, 0.5f);
        var loop = Assert.Single(loops);
        double radiusPx = r * Size;
        // Pixel centres sit at integer coordinates, so the disc centre is at (cx·S − ½, cy·S − ½).
        foreach (var (x, y) in loop)
        {
            double d = Math.Sqrt(Math.Pow(x - (cx * Size - 0.5), 2) + Math.Pow(y - (cy * Size - 0.5), 2));
            Assert.InRange(d, radiusPx - 0.1, radiusPx + 0.1);
        }
        Assert.Equal(Math.PI * radiusPx * radiusPx, Math.Abs(Polygon.SignedArea(loop)), 0.003 * Math.PI * radiusPx * radiusPx);
        Assert.Equal(2 * Math.PI * radiusPx, Polygon.Perimeter(loop), 0.01 * 2 * Math.PI * radiusPx);
    }

    [Fact]
    public void Separate_blobs_and_holes_give_separate_loops()
    {
        var a = Disc(40, 0.25, 0.25, 0.12);
        var b = Disc(40, 0.7, 0.7, 0.2);
        var ring = Disc(40, 0.7, 0.7, 0.08);
        var field = new float[a.Length];
        for (int i = 0; i < field.Length; i++) field[i] = a[i] + b[i] - ring[i];
        var loops = MarchingSquares.Contours(field, 40, 40, 0.5f);
        Assert.Equal(3, loops.Count);
        var areas = loops.Select(l => Polygon.SignedArea(l)).OrderBy(Math.Abs).ToArray();
        // The hole winds the other way round from the outer outlines.
        Assert.True(Math.Sign(areas[0]) != Math.Sign(areas[2]) || Math.Sign(areas[1]) != Math.Sign(areas[2]));
    }

    [Fact]
    public void Saddles_are_resolved_by_the_cell_centre_average()
    {
        // Two diagonal high samples; the cell between them is a saddle.
        var field = new float[4 * 4];
        field[1 * 4 + 1] = 1;
        field[2 * 4 + 2] = 1;
        Assert.Equal(2, MarchingSquares.Contours(field, 4, 4, 0.6f).Count); // centre average 0.5 < 0.6: apart
        field[1 * 4 + 2] = 0.3f;
        field[2 * 4 + 1] = 0.3f;
        Assert.Single(MarchingSquares.Contours(field, 4, 4, 0.6f)); // average 0.65 ≥ 0.6: joined, though 0.3 < 0.6
    }

    [Fact]
    public void A_blob_on_the_border_still_closes()
    {
        var field = new float[5 * 5];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) field[y * 5 + x] = 1;
        var loop = Assert.Single(MarchingSquares.Contours(field, 5, 5, 0.5f));
        // Samples 0..2 on, 3 off → the edge is at 2.5; the outside-is-zero padding puts the other edge at −0.5:
        // a 3×3 square whose four corners linear interpolation cuts by a ½ × ½ right triangle each.
        Assert.Equal(9 - 4 * 0.125, Math.Abs(Polygon.SignedArea(loop)), 9);
    }
}
