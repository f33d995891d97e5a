using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapeCaptionerTests
{
    [Fact]
    public void Every_caption_names_the_colour_and_the_shape_in_the_right_number()
    {
        var sampler = new ShapeSceneSampler();
        for (int i = 0; i < 1000; i++)
        {
            var s = ShapesSample.Generate(99, i, sampler);
            var words = s.Caption.Replace(",", "").Split(' ');
            Assert.Contains(s.Scene.Color.Name, words);
            Assert.Contains(s.Scene.Count == 1 ? s.Scene.Shape.Singular() : s.Scene.Shape.Plural(), words);
            if (s.Scene.Count > 1) Assert.Contains(s.Scene.Count == 2 ? "two" : "three", words);
            if (s.Caption.Contains("background")) Assert.Contains(s.Scene.Background.Color.Name, words);
            Assert.DoesNotContain("{", s.Caption);
            Assert.DoesNotContain("a orange", s.Caption);
        }
    }

    [Fact]
    public void Template_zero_is_the_adherence_prompt_phrasing()
    {
        var rng = SplitMix64.Derive(3);
        var scene = new ShapeSceneSampler().Sample(ref rng, ShapeKind.Circle, ColorPalette.Red, ColorPalette.Blue);
        scene = scene with { Size = ShapeSize.Large, Background = scene.Background with { Fill = BackgroundFill.Plain } };
        Assert.Equal("a red circle on a blue background", ShapeCaptioner.Caption(scene, 0, ref rng));
        var orange = scene with { Color = ColorPalette.Orange, Count = 2 };
        Assert.Equal("two orange circles on a blue background", ShapeCaptioner.Caption(orange, 0, ref rng));
        Assert.Equal("an orange circle", ShapeCaptioner.Caption(orange with { Count = 1 }, 5, ref rng));
    }

    [Fact]
    public void A_small_object_is_called_small_in_every_template_and_an_unsized_caption_means_large()
    {
        var sampler = new ShapeSceneSampler();
        int small = 0, unsized = 0;
        for (int i = 0; i < 1000; i++)
        {
            var s = ShapesSample.Generate(99, i, sampler);
            var words = s.Caption.Replace(",", "").Split(' ');
            bool sized = words.Contains("small") || words.Contains("large") || words.Contains("big");
            if (s.Scene.Size == ShapeSize.Small) { small++; Assert.Contains("small", words); }
            if (!sized) { unsized++; Assert.Equal(ShapeSize.Large, s.Scene.Size); }
        }
        Assert.True(small > 300 && unsized > 100, $"{small} small scenes, {unsized} captions without a size word");
        var rng = SplitMix64.Derive(5);
        var scene = sampler.Sample(ref rng, ShapeKind.Star, ColorPalette.Orange, ColorPalette.Blue) with { Size = ShapeSize.Small, Count = 1 };
        scene = scene with { Background = scene.Background with { Fill = BackgroundFill.Plain } };
        Assert.Equal("a small orange star on a blue background", ShapeCaptioner.Caption(scene, 0, ref rng));
    }

    [Theory]
    [InlineData("a orange star", "an orange star")]
    [InlineData("a red star on a orange background", "a red star on an orange background")]
    [InlineData("a", "a")]
    public void Articles_agree_with_the_next_word(string text, string expected) =>
        Assert.Equal(expected, ShapeCaptioner.FixArticles(text));
}
