using Xunit.Abstractions;
using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapeRasterizerTests(ITestOutputHelper output)
{
    private static readonly NamedColor Ink = new("ink", new Rgb(1, 1, 1));
    private static readonly NamedColor Paper = new("paper", new Rgb(0, 0, 0));

    private static ShapeScene Single(ShapeKind kind, double cx, double cy, double radius, BackgroundFill fill = BackgroundFill.Plain, Rgb? from = null, Rgb? to = null) =>
        new(kind, Ink, 1, ShapeSize.Large, ScenePosition.Center,
            new SceneBackground(Paper, fill, from ?? Paper.Value, to ?? Paper.Value),
            [new SceneObject(kind, Ink, Ink.Value, cx, cy, radius)]);

    [Theory]
    [InlineData(ShapeKind.Circle, 32)]
    [InlineData(ShapeKind.Square, 32)]
    [InlineData(ShapeKind.Triangle, 48)]
    [InlineData(ShapeKind.Diamond, 64)]
    [InlineData(ShapeKind.Star, 64)]
    [InlineData(ShapeKind.Cross, 40)]
    public void Pixel_coverage_matches_fine_integration(ShapeKind kind, int size)
    {
        // White on black, so the red plane is the coverage. Off-grid centre and radius so edges cut pixels anywhere.
        double cx = 0.4871, cy = 0.5123, radius = 0.3137;
        using var image = ShapeRasterizer.Render(Single(kind, cx, cy, radius), size);
        var outline = ShapeOutline.Of(kind);
        const int Fine = 64;
        double worst = 0, sumError = 0, covered = 0;
        int edgePixels = 0;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double qx = ((x + 0.5) / size - cx) / radius, qy = ((y + 0.5) / size - cy) / radius;
                // Farther than a pixel from the outline the pixel is entirely inside or outside.
                bool far = Math.Abs(outline.SignedDistance(qx, qy)) * radius * size > 1;
                int inside = far ? (outline.Contains(qx, qy) ? Fine * Fine : 0) : 0;
                for (int sy = 0; sy < (far ? 0 : Fine); sy++)
                    for (int sx = 0; sx < Fine; sx++)
                        if (outline.Contains(((x + (sx + 0.5) / Fine) / size - cx) / radius, ((y + (sy + 0.5) / Fine) / size - cy) / radius)) inside++;
                double exact = inside / (double)(Fine * Fine);
                double error = Math.Abs(image[0, y, x] - exact);
                worst = Math.Max(worst, error);
                covered += image[0, y, x];
                if (exact is > 0 and < 1) { edgePixels++; sumError += error; }
            }
        }
        output.WriteLine($"{kind} at {size}²: worst {worst:F4}, mean edge {sumError / edgePixels:F4} over {edgePixels} px, area {covered:F2}");
        // Coverage is exact; what remains is the reference's own error (a 64² grid misjudges an axis-aligned edge
        // by up to 1/128 per crossing).
        Assert.True(worst < 0.02, $"{kind} at {size}²: worst pixel coverage error {worst:F4}");
        Assert.True(sumError / edgePixels < 0.006, $"{kind} at {size}²: mean edge-pixel error {sumError / edgePixels:F4}");
        double area = ShapeOutlineTests.Area(kind) * radius * radius * size * size;
        Assert.True(Math.Abs(covered - area) < 0.002 * area, $"{kind} at {size}²: total coverage {covered:F2}, exact area {area:F2}");
    }

    [Fact]
    public void Interior_has_the_object_colour_and_exterior_the_background()
    {
        var red = ColorPalette.Red.Value;
        var scene = Single(ShapeKind.Square, 0.5, 0.5, 0.25) with { };
        scene = scene with { Objects = [scene.Objects[0] with { Fill = red }] };
        using var image = ShapeRasterizer.Render(scene, 32);
        // Square of half side 8 px centred at (16, 16): pixels 8..23 inside, 0..6 and 25..31 outside.
        Assert.Equal(red.R, image[0, 16, 16]);
        Assert.Equal(red.G, image[1, 9, 22]);
        Assert.Equal(red.B, image[2, 22, 9]);
        Assert.Equal(0f, image[0, 16, 6]);
        Assert.Equal(0f, image[1, 25, 16]);
    }

    [Fact]
    public void Gradient_runs_from_first_to_second_colour_along_its_direction()
    {
        var from = new Rgb(0.2f, 0.4f, 0.6f);
        var to = new Rgb(0.6f, 0.4f, 0.2f);
        var scene = Single(ShapeKind.Circle, 0.5, 0.5, 0.01, BackgroundFill.VerticalGradient, from, to) with { Objects = [] };
        using var image = ShapeRasterizer.Render(scene, 16);
        for (int y = 0; y < 16; y++)
        {
            float t = (y + 0.5f) / 16;
            Assert.Equal(from.R + (to.R - from.R) * t, image[0, y, 3], 5);
            Assert.Equal(image[2, y, 0], image[2, y, 15]); // constant along rows
        }
    }

    [Fact]
    public void Objects_are_composited_in_order()
    {
        var first = new SceneObject(ShapeKind.Square, ColorPalette.Red, ColorPalette.Red.Value, 0.5, 0.5, 0.3);
        var second = new SceneObject(ShapeKind.Circle, ColorPalette.Blue, ColorPalette.Blue.Value, 0.5, 0.5, 0.1);
        var scene = Single(ShapeKind.Square, 0, 0, 0.1) with { Objects = [first, second] };
        using var image = ShapeRasterizer.Render(scene, 32);
        Assert.Equal(ColorPalette.Blue.Value.B, image[2, 16, 16]);
        Assert.Equal(ColorPalette.Red.Value.R, image[0, 8, 8]);
    }
}
