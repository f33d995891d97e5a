using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// The fixed prompt set of the adherence evaluation: every object colour × every shape once (8 × 6 = 48 prompts),
/// phrased as the dataset's main caption template, "a red circle on a blue background". Backgrounds are dealt
/// round-robin from <see cref="BackgroundCycle"/>, skipping any that contrast too little with the object colour,
/// so every background occurs about equally often. Prompt i is generated with seed <see cref="FirstSeed"/> + i.
/// <see cref="Rounds"/> repeats the set with further seeds: one round's score moves by a prompt's 2.1 % with every
/// lucky or unlucky seed, so comparing two models on several rounds tells real gains from noise.
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

    /// <summary>
    /// The set <paramref name="rounds"/> times over: round k's prompt i has index 48k + i and seed
    /// <see cref="FirstSeed"/> + 48k + i, so round 0 is <see cref="Default"/> and no two pictures share a seed.
    /// </summary>
    public static IReadOnlyList<AdherencePrompt> Rounds(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (rounds == 1) return Default;
        int n = Default.Count;
        return [.. Enumerable.Range(0, rounds).SelectMany(k => Default.Select(p => p with { Index = k * n + p.Index, Seed = p.Seed + (ulong)(k * n) }))];
    }

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
