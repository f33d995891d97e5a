using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

/// <summary>Which dataset picture stands in for a prompt when Stage B is scored from true embeddings.</summary>
public class TrueEmbeddingAdherenceTests
{
    private static readonly AdherencePrompt RedCircleOnBlue =
        new(7, "a red circle on a blue background", ShapeKind.Circle, ColorPalette.Red, ColorPalette.Blue, 1);

    private static ShapesMetadata Sample(long index, ShapeKind shape, NamedColor color, NamedColor background, int count = 1,
        ShapeSize size = ShapeSize.Large, BackgroundFill fill = BackgroundFill.Plain) =>
        new($"{index:D6}.png", "caption", index, shape, color, count, size, ScenePosition.Center, background, fill, 0);

    [Fact]
    public void Picks_the_first_single_object_of_the_prompts_attributes_with_a_plain_background_and_the_preferred_size()
    {
        var red = ColorPalette.Red;
        var blue = ColorPalette.Blue;
        var metadata = new[]
        {
            Sample(0, ShapeKind.Square, red, blue),                                   // other shape
            Sample(1, ShapeKind.Circle, ColorPalette.Green, blue),                    // other colour
            Sample(2, ShapeKind.Circle, red, ColorPalette.White),                     // other background
            Sample(3, ShapeKind.Circle, red, blue, count: 2),                         // two objects
            Sample(4, ShapeKind.Circle, red, blue, fill: BackgroundFill.VerticalGradient),
            Sample(5, ShapeKind.Circle, red, blue, size: ShapeSize.Small),
            Sample(6, ShapeKind.Circle, red, blue),                                   // plain and large
            Sample(7, ShapeKind.Circle, red, blue),
        };
        Assert.Equal(6, TrueEmbeddingAdherence.PickSample(metadata, RedCircleOnBlue, ShapeSize.Large).Index);
        Assert.Equal(5, TrueEmbeddingAdherence.PickSample(metadata, RedCircleOnBlue, ShapeSize.Small).Index);
        // Without a plain background of either size, a gradient one of the preferred size comes before the rest.
        Assert.Equal(4, TrueEmbeddingAdherence.PickSample(metadata[..5], RedCircleOnBlue, ShapeSize.Large).Index);
    }

    [Fact]
    public void No_matching_picture_is_an_error_that_names_the_prompt()
    {
        var metadata = new[] { Sample(0, ShapeKind.Circle, ColorPalette.Red, ColorPalette.Blue, count: 3) };
        var e = Assert.Throws<InvalidDataException>(() => TrueEmbeddingAdherence.PickSample(metadata, RedCircleOnBlue, ShapeSize.Large));
        Assert.Contains("prompt 7", e.Message);
        Assert.Contains("a single red circle on a blue background", e.Message);
    }
}
