namespace Wuerstchen.Data.Shapes;

/// <summary>
/// Draws random <see cref="ShapeScene"/>s. Layout: the position names a region of the image (left/right half,
/// top/bottom half, or the middle); the region is cut into one slot per object along its long side, each object
/// sits in its slot with random play, and a margin keeps every object inside the image and apart from the others.
/// A "large" draw that cannot fit (three objects in one half) becomes "small", so captions stay true.
/// </summary>
public sealed class ShapeSceneSampler
{
    /// <summary>Least normalised gap between an object and the image border or its slot's edge.</summary>
    public const double Margin = 0.03;

    private readonly ShapeSceneOptions _options;

    public ShapeSceneSampler(ShapeSceneOptions? options = null)
    {
        _options = options ?? new ShapeSceneOptions();
        _options.Validate();
    }

    public ShapeSceneOptions Options => _options;

    /// <summary>A scene with every attribute drawn from the options.</summary>
    public ShapeScene Sample(ref SplitMix64 rng)
    {
        var shape = _options.Shapes[rng.NextInt(_options.Shapes.Count)];
        var color = _options.ObjectColors[rng.NextInt(_options.ObjectColors.Count)];
        var backgrounds = _options.BackgroundColors.Where(b => ColorPalette.Contrasts(color, b)).ToArray();
        var background = backgrounds[rng.NextInt(backgrounds.Length)];
        int count = 1 + rng.NextWeighted(_options.CountWeights.ToArray());
        return Sample(ref rng, shape, color, background, count);
    }

    /// <summary>A scene with the given shape, colours and count; size, position, fill and placement drawn at random.</summary>
    public ShapeScene Sample(ref SplitMix64 rng, ShapeKind shape, NamedColor color, NamedColor background, int count = 1)
    {
        if (count is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(count), count, "A scene holds one to three objects.");
        if (!ColorPalette.Contrasts(color, background))
            throw new ArgumentException($"A {color} object on a {background} background has too little contrast (ΔE < {ColorPalette.MinimumContrast}).");

        var size = rng.NextBool(_options.LargeProbability) ? ShapeSize.Large : ShapeSize.Small;
        var position = (ScenePosition)rng.NextInt(5);
        var sceneBackground = SampleBackground(ref rng, background);

        var (x0, y0, x1, y1) = Region(position, count);
        bool vertical = position is ScenePosition.Left or ScenePosition.Right;
        double longSide = vertical ? y1 - y0 : x1 - x0, crossSide = vertical ? x1 - x0 : y1 - y0;
        double slot = longSide / count;
        double maxRadius = Math.Min(crossSide, slot) / 2 - Margin;
        if (size == ShapeSize.Large && maxRadius < _options.LargeRadius.Min) size = ShapeSize.Small;
        var range = size == ShapeSize.Large ? _options.LargeRadius : _options.SmallRadius;
        double radius = Math.Min(rng.NextDouble(range.Min, range.Max), maxRadius);

        var objects = new SceneObject[count];
        for (int i = 0; i < count; i++)
        {
            double along = (vertical ? y0 : x0) + (i + 0.5) * slot;
            double across = vertical ? (x0 + x1) / 2 : (y0 + y1) / 2;
            along += Jitter(ref rng, slot / 2 - radius - Margin);
            across += Jitter(ref rng, crossSide / 2 - radius - Margin);
            var (cx, cy) = vertical ? (across, along) : (along, across);
            objects[i] = new SceneObject(shape, color, JitterColor(ref rng, color.Value), cx, cy, radius);
        }
        return new ShapeScene(shape, color, count, size, position, sceneBackground, objects);
    }

    /// <summary>The region (x0, y0, x1, y1) a position names; a single centred object gets the middle square.</summary>
    public static (double X0, double Y0, double X1, double Y1) Region(ScenePosition position, int count) => position switch
    {
        ScenePosition.Left => (0, 0, 0.5, 1),
        ScenePosition.Right => (0.5, 0, 1, 1),
        ScenePosition.Top => (0, 0, 1, 0.5),
        ScenePosition.Bottom => (0, 0.5, 1, 1),
        ScenePosition.Center => count == 1 ? (0.25, 0.25, 0.75, 0.75) : (0, 0.25, 1, 0.75),
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, "Unknown position."),
    };

    private double Jitter(ref SplitMix64 rng, double room) =>
        room <= 0 ? 0 : rng.NextDouble(-1, 1) * room * _options.PositionJitter;

    private Rgb JitterColor(ref SplitMix64 rng, Rgb c)
    {
        double j = _options.ColorJitter;
        return new Rgb(
            (float)(c.R + rng.NextDouble(-j, j)),
            (float)(c.G + rng.NextDouble(-j, j)),
            (float)(c.B + rng.NextDouble(-j, j))).Clamped();
    }

    private SceneBackground SampleBackground(ref SplitMix64 rng, NamedColor color)
    {
        if (!rng.NextBool(_options.GradientProbability))
            return new SceneBackground(color, BackgroundFill.Plain, color.Value, color.Value);
        var fill = (BackgroundFill)(1 + rng.NextInt(3));
        float strength = (float)rng.NextDouble(0.4 * _options.GradientStrength, _options.GradientStrength);
        var lighter = Rgb.Lerp(color.Value, new Rgb(1, 1, 1), strength);
        var darker = Rgb.Lerp(color.Value, new Rgb(0, 0, 0), strength);
        return rng.NextBool()
            ? new SceneBackground(color, fill, lighter, darker)
            : new SceneBackground(color, fill, darker, lighter);
    }
}
