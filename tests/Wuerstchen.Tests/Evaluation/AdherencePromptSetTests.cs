using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class AdherencePromptSetTests
{
    private static readonly IReadOnlyList<AdherencePrompt> Prompts = AdherencePromptSet.Default;

    [Fact]
    public void Covers_every_object_colour_and_shape_once()
    {
        Assert.Equal(ColorPalette.ObjectColors.Count * ShapeNames.All.Count, Prompts.Count);
        Assert.Equal(Prompts.Count, Prompts.Select(p => (p.Color, p.Shape)).Distinct().Count());
        Assert.Equal("a red circle on a blue background", Prompts[0].Text);
        Assert.Equal(Enumerable.Range(0, Prompts.Count), Prompts.Select(p => p.Index));
        Assert.Equal(Prompts.Count, Prompts.Select(p => p.Seed).Distinct().Count());
        Assert.Equal(Prompts.Count, Prompts.Select(p => p.ImageFileName).Distinct().Count());
        Assert.Equal("000-a-red-circle-on-a-blue-background.png", Prompts[0].ImageFileName);
    }

    [Fact]
    public void Rounds_repeat_the_set_with_fresh_seeds_and_file_names()
    {
        Assert.Same(Prompts, AdherencePromptSet.Rounds(1));
        var three = AdherencePromptSet.Rounds(3);
        Assert.Equal(3 * Prompts.Count, three.Count);
        Assert.Equal(Prompts, three.Take(Prompts.Count));
        Assert.Equal(Enumerable.Range(0, three.Count), three.Select(p => p.Index));
        Assert.Equal(three.Count, three.Select(p => p.Seed).Distinct().Count());
        Assert.Equal(three.Count, three.Select(p => p.ImageFileName).Distinct().Count());
        var again = three[2 * Prompts.Count + 5];
        Assert.Equal((Prompts[5].Text, Prompts[5].Shape, Prompts[5].Color, Prompts[5].Background), (again.Text, again.Shape, again.Color, again.Background));
        Assert.Equal(AdherencePromptSet.FirstSeed + (ulong)(2 * Prompts.Count + 5), again.Seed);
        Assert.Throws<ArgumentOutOfRangeException>(() => AdherencePromptSet.Rounds(0));
    }

    [Fact]
    public void Backgrounds_contrast_and_are_spread_evenly()
    {
        Assert.All(Prompts, p => Assert.True(ColorPalette.Contrasts(p.Color, p.Background), p.Text));
        var uses = Prompts.GroupBy(p => p.Background).Select(g => g.Count()).ToArray();
        Assert.Equal(AdherencePromptSet.BackgroundCycle.Count, uses.Length);
        Assert.InRange(uses.Min(), 3, 6);
        Assert.InRange(uses.Max(), 4, 7);
    }

    [Fact]
    public void Prompt_texts_parse_back_to_their_attributes()
    {
        foreach (var p in Prompts)
            Assert.Equal(p, AdherencePrompt.Parse(p.Index, p.Text, p.Seed));
        var two = AdherencePrompt.Parse(0, "Two small Orange stars at the top, grey background", 1);
        Assert.Equal((ShapeKind.Star, ColorPalette.Orange, ColorPalette.Gray), (two.Shape, two.Color, two.Background));
        Assert.Throws<FormatException>(() => AdherencePrompt.Parse(0, "a red blob on a blue background", 1));
        Assert.Throws<FormatException>(() => AdherencePrompt.Parse(0, "a circle on a blue background", 1));
        Assert.Throws<FormatException>(() => AdherencePrompt.Parse(0, "a red circle", 1));
    }
}
