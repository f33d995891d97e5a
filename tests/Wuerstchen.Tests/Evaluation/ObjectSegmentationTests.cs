using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class ObjectSegmentationTests
{
    private static readonly Rgb Black = new(0, 0, 0);

    private static ShapeScene Scene(SceneBackground background, params SceneObject[] objects) =>
        new(objects[0].Shape, objects[0].Color, objects.Length, ShapeSize.Large, ScenePosition.Center, background, objects);

    private static SceneObject Object(ShapeKind shape, NamedColor color, double x, double y, double r) => new(shape, color, color.Value, x, y, r);

    [Fact]
    public void Background_plane_follows_a_gradient_and_ignores_the_object()
    {
        var from = new Rgb(0.2f, 0.5f, 0.8f);
        var to = new Rgb(0.6f, 0.3f, 0.1f);
        var scene = Scene(new SceneBackground(ColorPalette.Blue, BackgroundFill.HorizontalGradient, from, to),
            Object(ShapeKind.Square, ColorPalette.Yellow, 0.5, 0.5, 0.3));
        using var image = ShapeRasterizer.Render(scene, 48);
        var s = ObjectSegmentation.Segment(image.AsSpan(), 48, 48)!;
        // value = from + (to − from)·u with u the pixel centre's x in [0, 1]: a = from, b = to − from, c = 0.
        Assert.Equal(from.R, s.Background.Red[0], 4);
        Assert.Equal(to.G - from.G, s.Background.Green[1], 4);
        Assert.Equal(0, s.Background.Blue[2], 4);
        Assert.True(Rgb.Distance(ColorPalette.Yellow.Value, s.ObjectColor) < 1 / 255f, $"object colour {s.ObjectColor}");
    }

    [Fact]
    public void An_object_reaching_the_border_is_trimmed_from_the_background_fit()
    {
        var scene = Scene(new SceneBackground(ColorPalette.Gray, BackgroundFill.Plain, ColorPalette.Gray.Value, ColorPalette.Gray.Value),
            Object(ShapeKind.Square, ColorPalette.White, 0.15, 0.15, 0.2));
        using var image = ShapeRasterizer.Render(scene, 64);
        var s = ObjectSegmentation.Segment(image.AsSpan(), 64, 64)!;
        Assert.Equal(ColorPalette.Gray.Value.R, s.Background.Mean.R, 3);
        Assert.Equal(ColorPalette.White.Value, s.ObjectColor);
    }

    [Fact]
    public void The_largest_object_is_kept_and_the_others_masked()
    {
        var scene = Scene(new SceneBackground(ColorPalette.Black, BackgroundFill.Plain, Black, Black),
            Object(ShapeKind.Circle, ColorPalette.Red, 0.25, 0.25, 0.1),
            Object(ShapeKind.Square, ColorPalette.Green, 0.7, 0.7, 0.2));
        using var image = ShapeRasterizer.Render(scene, 64);
        var s = ObjectSegmentation.Segment(image.AsSpan(), 64, 64)!;
        Assert.Equal(2, s.ObjectCount);
        Assert.Equal(ColorPalette.Green.Value, s.ObjectColor);
        Assert.Equal(0f, s.Coverage[16 * 64 + 16]); // the red circle's centre
        Assert.Equal(1f, s.Coverage[45 * 64 + 45]);
    }

    [Fact]
    public void A_noisy_empty_picture_has_no_object()
    {
        var scene = new ShapeScene(ShapeKind.Circle, ColorPalette.Red, 0, ShapeSize.Small, ScenePosition.Center,
            new SceneBackground(ColorPalette.Pink, BackgroundFill.VerticalGradient, ColorPalette.Pink.Value, Rgb.Lerp(ColorPalette.Pink.Value, Black, 0.15f)), []);
        using var image = ShapeRasterizer.Render(scene, 48);
        Pictures.Degrade(image, 0, 0.03, seed: 1);
        Assert.Null(ObjectSegmentation.Segment(image.AsSpan(), 48, 48));
    }

    [Fact]
    public void Otsu_splits_two_modes()
    {
        var values = Enumerable.Repeat(0.1f, 300).Concat(Enumerable.Repeat(0.9f, 50)).ToArray();
        Assert.InRange(ObjectSegmentation.Otsu(values), 0.1f, 0.9f);
        Assert.Equal(0f, ObjectSegmentation.Otsu(new float[10]));
    }
}
