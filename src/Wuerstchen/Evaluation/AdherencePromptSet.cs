using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// The fixed prompt set of the adherence evaluation: every object colour × every shape once (8 × 6 = 48 prompts),
/// phrased as the dataset's main caption template, "a red circle on a blue background". Backgrounds are dealt
/// round-robin from <see cref="BackgroundCycle"/>, skipping any that contrast too little with the object colour,
/// so every background occurs about equally often. Prompt i is generated with seed <see cref="FirstSeed"/> + i.
/// </summary>
public static class AdherencePromptSet
{
    public const ulong FirstSeed = 1000;

    /// <summary>The order backgrounds are dealt in (starting with blue: the first prompt is the headline "a red circle on a blue background").</summary>
    public static IReadOnlyList<NamedColor> BackgroundCycle { get; } =
    [
        ColorPalette.Blue, ColorPalette.White, ColorPalette.Black, ColorPalette.Yellow, ColorPalette.Green,
        ColorPalette.Gray, ColorPalette.Purple, ColorPalette.Pink, ColorPalette.Orange, ColorPalette.Red,
    ];

    public static IReadOnlyList<AdherencePrompt> Default { get; } = Build();

    private static AdherencePrompt[] Build()
    {
        var prompts = new List<AdherencePrompt>();
        int next = 0;
        foreach (var color in ColorPalette.ObjectColors)
        {
            foreach (var shape in ShapeNames.All)
            {
                NamedColor background;
                do background = BackgroundCycle[next++ % BackgroundCycle.Count];
                while (!ColorPalette.Contrasts(color, background));
                int index = prompts.Count;
                var text = ShapeCaptioner.FixArticles($"a {color.Name} {shape.Singular()} on a {background.Name} background");
                prompts.Add(new AdherencePrompt(index, text, shape, color, background, FirstSeed + (ulong)index));
            }
        }
        return prompts.ToArray();
    }
}
