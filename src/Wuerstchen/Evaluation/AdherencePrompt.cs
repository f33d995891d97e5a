using System.Globalization;
using System.Text;
using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Evaluation;

/// <summary>
/// One prompt of the adherence evaluation and what a faithful picture shows: a <see cref="Color"/>
/// <see cref="Shape"/> on a <see cref="Background"/> background. <see cref="Seed"/> is the generation seed to use,
/// so an evaluation is reproducible.
/// </summary>
public sealed record AdherencePrompt(int Index, string Text, ShapeKind Shape, NamedColor Color, NamedColor Background, ulong Seed)
{
    /// <summary>The file name of this prompt's picture in an evaluation folder: <c>NNN-a-red-circle-on-a-blue-background.png</c>.</summary>
    public string ImageFileName
    {
        get
        {
            var slug = new StringBuilder();
            foreach (char c in Text.ToLowerInvariant())
                slug.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            return string.Create(CultureInfo.InvariantCulture, $"{Index:D3}-{slug.ToString().Trim('-')}.png");
        }
    }

    /// <summary>
    /// Reads the expected attributes from a prompt phrased like the dataset's captions: the shape is the shape word,
    /// the object colour the colour word before it, the background the colour word before "background" (if any).
    /// </summary>
    public static AdherencePrompt Parse(int index, string text, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.ToLowerInvariant().Split([' ', ',', '.', ';'], StringSplitOptions.RemoveEmptyEntries);
        int shapeAt = Array.FindIndex(words, w => TryShape(w, out _));
        if (shapeAt < 0) throw new FormatException($"Prompt '{text}' names no shape ({string.Join(", ", ShapeNames.All.Select(s => s.Singular()))}).");
        TryShape(words[shapeAt], out var shape);
        var color = LastColorBefore(words, shapeAt) ?? throw new FormatException($"Prompt '{text}' names no colour before '{words[shapeAt]}'.");
        int backgroundAt = Array.IndexOf(words, "background");
        var background = backgroundAt > 0 ? LastColorBefore(words, backgroundAt) : null;
        if (background is null) throw new FormatException($"Prompt '{text}' names no background colour (\"… on a blue background\").");
        return new AdherencePrompt(index, text, shape, color, background, seed);
    }

    private static bool TryShape(string word, out ShapeKind shape)
    {
        foreach (var s in ShapeNames.All)
        {
            if (word == s.Singular() || word == s.Plural()) { shape = s; return true; }
        }
        shape = default;
        return false;
    }

    private static NamedColor? LastColorBefore(string[] words, int end)
    {
        for (int i = end - 1; i >= 0; i--)
            if (ColorPalette.TryGet(words[i], out var c)) return c;
        return null;
    }
}
