namespace Wuerstchen.Data.Shapes;

/// <summary>
/// The shape classes. Chosen to stay distinguishable at 64² and under blur: each differs from every other in at
/// least one robust silhouette measure (bounding-box fill, convexity, top/bottom symmetry, aspect). Shapes are
/// drawn upright, never rotated: a rotated square would be a diamond.
/// </summary>
public enum ShapeKind { Circle, Square, Triangle, Diamond, Star, Cross }

public static class ShapeNames
{
    public static IReadOnlyList<ShapeKind> All { get; } = Enum.GetValues<ShapeKind>();

    public static string Singular(this ShapeKind shape) => shape switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        ShapeKind.Diamond => "diamond",
        ShapeKind.Star => "star",
        ShapeKind.Cross => "cross",
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "Unknown shape."),
    };

    public static string Plural(this ShapeKind shape) => shape == ShapeKind.Cross ? "crosses" : shape.Singular() + "s";

    /// <summary>The shape named <paramref name="name"/> (singular or plural, case-insensitive).</summary>
    public static ShapeKind Parse(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        foreach (var s in All)
            if (key == s.Singular() || key == s.Plural()) return s;
        throw new ArgumentException($"Unknown shape '{name}'; known: {string.Join(", ", All.Select(s => s.Singular()))}.", nameof(name));
    }
}
