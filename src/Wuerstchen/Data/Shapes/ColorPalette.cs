namespace Wuerstchen.Data.Shapes;

/// <summary>
/// The named colours of the shapes dataset. Values were chosen so every pair is at least ΔE 40 apart (CIE76),
/// which keeps names unambiguous after blur and colour drift; the closest pairs are blue/purple (40.8),
/// white/gray (43.0) and orange/yellow (43.6). Objects take any colour but gray and black (kept for
/// backgrounds); a background must differ from the object colour by at least <see cref="MinimumContrast"/>.
/// </summary>
public static class ColorPalette
{
    public static readonly NamedColor Red = Make("red", 220, 40, 40);
    public static readonly NamedColor Orange = Make("orange", 245, 140, 20);
    public static readonly NamedColor Yellow = Make("yellow", 245, 215, 40);
    public static readonly NamedColor Green = Make("green", 40, 165, 60);
    public static readonly NamedColor Blue = Make("blue", 30, 100, 235);
    public static readonly NamedColor Purple = Make("purple", 140, 45, 160);
    public static readonly NamedColor Pink = Make("pink", 245, 140, 200);
    public static readonly NamedColor White = Make("white", 245, 245, 245);
    public static readonly NamedColor Gray = Make("gray", 128, 128, 128);
    public static readonly NamedColor Black = Make("black", 20, 20, 20);

    /// <summary>Every named colour; the analyser names colours among these.</summary>
    public static IReadOnlyList<NamedColor> All { get; } = [Red, Orange, Yellow, Green, Blue, Purple, Pink, White, Gray, Black];

    /// <summary>Colours objects are drawn in (and the colours of the adherence prompts).</summary>
    public static IReadOnlyList<NamedColor> ObjectColors { get; } = [Red, Orange, Yellow, Green, Blue, Purple, Pink, White];

    /// <summary>Colours backgrounds are drawn in.</summary>
    public static IReadOnlyList<NamedColor> BackgroundColors { get; } = All;

    /// <summary>Least ΔE between an object and its background: excludes same-colour pairs and the near pairs above.</summary>
    public const double MinimumContrast = 45;

    public static bool Contrasts(NamedColor a, NamedColor b) => CieLab.DeltaE(a.Lab, b.Lab) >= MinimumContrast;

    /// <summary>The palette colour named <paramref name="name"/> (case-insensitive; "grey" is accepted for gray).</summary>
    public static NamedColor Get(string name) =>
        TryGet(name, out var c) ? c : throw new ArgumentException(
            $"Unknown colour '{name}'; known: {string.Join(", ", All.Select(x => x.Name))}.", nameof(name));

    public static bool TryGet(string name, out NamedColor color)
    {
        var key = name.Trim().ToLowerInvariant();
        if (key == "grey") key = "gray";
        color = All.FirstOrDefault(c => c.Name == key)!;
        return color is not null;
    }

    /// <summary>The palette colour nearest to <paramref name="value"/> in ΔE, and that distance.</summary>
    public static (NamedColor Color, double DeltaE) Nearest(Rgb value, IReadOnlyList<NamedColor>? candidates = null)
    {
        var lab = CieLab.FromRgb(value);
        NamedColor best = null!;
        double bestDistance = double.PositiveInfinity;
        foreach (var c in candidates ?? All)
        {
            double d = CieLab.DeltaE(lab, c.Lab);
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        return (best, bestDistance);
    }

    private static NamedColor Make(string name, byte r, byte g, byte b) => new(name, Rgb.FromBytes(r, g, b));
}
