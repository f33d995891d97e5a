namespace Wuerstchen.Data.Shapes;

/// <summary>What the scene sampler draws from. The defaults favour single objects, which the adherence prompts ask for.</summary>
public sealed record ShapeSceneOptions
{
    public IReadOnlyList<ShapeKind> Shapes { get; init; } = ShapeNames.All;
    public IReadOnlyList<NamedColor> ObjectColors { get; init; } = ColorPalette.ObjectColors;
    public IReadOnlyList<NamedColor> BackgroundColors { get; init; } = ColorPalette.BackgroundColors;

    /// <summary>Relative weights of one, two and three objects.</summary>
    public IReadOnlyList<double> CountWeights { get; init; } = [0.6, 0.25, 0.15];

    public double LargeProbability { get; init; } = 0.5;
    public double GradientProbability { get; init; } = 0.3;

    /// <summary>Radius ranges (normalised, half the larger bounding-box side) of the size classes.</summary>
    public (double Min, double Max) SmallRadius { get; init; } = (0.08, 0.12);
    public (double Min, double Max) LargeRadius { get; init; } = (0.17, 0.24);

    /// <summary>Largest per-channel offset (in [0, 1] units) added to an object's named colour.</summary>
    public double ColorJitter { get; init; } = 0.03;

    /// <summary>Largest blend of a gradient's ends towards white and black (a fraction).</summary>
    public double GradientStrength { get; init; } = 0.18;

    /// <summary>Fraction of the free room around an object used for random placement (0 = exactly on the layout grid).</summary>
    public double PositionJitter { get; init; } = 0.6;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        if (Shapes.Count == 0) throw new ArgumentException("ShapeSceneOptions.Shapes is empty.");
        if (ObjectColors.Count == 0) throw new ArgumentException("ShapeSceneOptions.ObjectColors is empty.");
        if (CountWeights.Count is 0 or > 3 || CountWeights.Any(w => !(w >= 0)) || CountWeights.Sum() <= 0)
            throw new ArgumentException("ShapeSceneOptions.CountWeights needs 1 to 3 non-negative weights (for 1, 2, 3 objects), not all zero.");
        if (!(SmallRadius.Min > 0 && SmallRadius.Min <= SmallRadius.Max && SmallRadius.Max <= LargeRadius.Min && LargeRadius.Min <= LargeRadius.Max && LargeRadius.Max < 0.5))
            throw new ArgumentException($"ShapeSceneOptions radii {SmallRadius} / {LargeRadius} must be increasing, positive and below 0.5.");
        foreach (var c in ObjectColors)
            if (!BackgroundColors.Any(b => ColorPalette.Contrasts(c, b)))
                throw new ArgumentException($"Object colour '{c}' contrasts with none of the background colours.");
        if (ColorJitter is < 0 or > 0.2) throw new ArgumentException($"ShapeSceneOptions.ColorJitter {ColorJitter} must be in [0, 0.2].");
        if (GradientStrength is < 0 or > 0.5) throw new ArgumentException($"ShapeSceneOptions.GradientStrength {GradientStrength} must be in [0, 0.5].");
        if (PositionJitter is < 0 or > 1) throw new ArgumentException($"ShapeSceneOptions.PositionJitter {PositionJitter} must be in [0, 1].");
    }
}
