using System.Text;

namespace Wuerstchen.Data.Shapes;

/// <summary>
/// Writes captions for scenes from a small set of templates. Every template names the colour and the shape; the
/// others add size, position and background in varied word orders, so the text encoder sees the attributes in
/// several phrasings. Template 0 is the phrasing of the adherence prompts ("a red circle on a blue background")
/// and carries the most weight. Small objects are called small in every template, so a caption without a size word
/// shows a large object.
/// </summary>
public static class ShapeCaptioner
{
    // {n} count word, {size}, {color}, {shape} (singular or plural to agree with {n}), {pos}, {bg} background colour.
    private static readonly (double Weight, string Format)[] Templates =
    [
        (4.0, "{n} {color} {shape} on a {bg} background"),
        (2.0, "{n} {size} {color} {shape} {pos} on a {bg} background"),
        (2.0, "{n} {color} {shape} {pos}, {bg} background"),
        (1.5, "{n} {size} {color} {shape} on a {bg} background"),
        (1.5, "{bg} background with {n} {color} {shape} {pos}"),
        (1.0, "{n} {color} {shape}"),
        (1.0, "{n} {size} {color} {shape} {pos}"),
    ];

    public static int TemplateCount => Templates.Length;

    /// <summary>The template's format string (for the dataset card and tests).</summary>
    public static string Template(int index) => Templates[index].Format;

    /// <summary>A caption for <paramref name="scene"/> with a randomly chosen template and synonyms; returns the template index too.</summary>
    public static (string Caption, int Template) Caption(ShapeScene scene, ref SplitMix64 rng)
    {
        Span<double> weights = stackalloc double[Templates.Length];
        for (int i = 0; i < weights.Length; i++) weights[i] = Templates[i].Weight;
        int template = rng.NextWeighted(weights);
        return (Caption(scene, template, ref rng), template);
    }

    /// <summary>The caption of <paramref name="scene"/> in template <paramref name="template"/> (synonyms drawn from <paramref name="rng"/>).</summary>
    public static string Caption(ShapeScene scene, int template, ref SplitMix64 rng)
    {
        if ((uint)template >= (uint)Templates.Length)
            throw new ArgumentOutOfRangeException(nameof(template), template, $"There are {Templates.Length} caption templates.");
        string count = scene.Count switch { 1 => "a", 2 => "two", 3 => "three", _ => scene.Count.ToString() };
        string size = scene.Size == ShapeSize.Small ? "small" : rng.NextBool() ? "large" : "big";
        string position = scene.Position switch
        {
            ScenePosition.Center => rng.NextBool() ? "in the center" : "in the middle",
            ScenePosition.Left => "on the left",
            ScenePosition.Right => "on the right",
            ScenePosition.Top => "at the top",
            ScenePosition.Bottom => "at the bottom",
            _ => throw new ArgumentOutOfRangeException(nameof(scene), scene.Position, "Unknown position."),
        };
        string background = scene.Background.Fill != BackgroundFill.Plain && rng.NextBool()
            ? scene.Background.Color.Name + " gradient"
            : scene.Background.Color.Name;
        string format = Templates[template].Format;
        // A small object is always called small: a caption without a size word then means the usual, large object,
        // as people say "a red circle" for one that fills the picture and "a small red circle" for one that does not.
        // (No random draw depends on this, so the pictures of a seed are the same as before the rule.)
        if (scene.Size == ShapeSize.Small && !format.Contains("{size}")) format = format.Replace("{color}", "{size} {color}");
        string text = format
            .Replace("{n}", count)
            .Replace("{size}", size)
            .Replace("{color}", scene.Color.Name)
            .Replace("{shape}", scene.Count == 1 ? scene.Shape.Singular() : scene.Shape.Plural())
            .Replace("{pos}", position)
            .Replace("{bg}", background);
        return FixArticles(text);
    }

    /// <summary>"a orange" → "an orange" (the only article the templates produce is "a").</summary>
    internal static string FixArticles(string text)
    {
        var words = text.Split(' ');
        var sb = new StringBuilder(text.Length + 4);
        for (int i = 0; i < words.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            bool an = words[i] is "a" or "A" && i + 1 < words.Length && words[i + 1].Length > 0 && "aeiouAEIOU".Contains(words[i + 1][0]);
            sb.Append(an ? words[i] + "n" : words[i]);
        }
        return sb.ToString();
    }
}
