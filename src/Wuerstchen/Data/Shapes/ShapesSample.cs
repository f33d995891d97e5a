namespace Wuerstchen.Data.Shapes;

/// <summary>One sample of the shapes dataset: its index, the scene drawn, its caption and the caption template used.</summary>
public sealed record ShapesSample(long Index, ShapeScene Scene, string Caption, int Template)
{
    /// <summary>The file stem: the zero-padded index ("000042").</summary>
    public string Id => Index.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Sample <paramref name="index"/> of the dataset with seed <paramref name="seed"/>: drawn from its own stream
    /// <c>SplitMix64.Derive(seed, index)</c>, so it does not depend on how many samples are generated, in which
    /// order, or on how many threads.
    /// </summary>
    public static ShapesSample Generate(ulong seed, long index, ShapeSceneSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "Sample index must be non-negative.");
        var rng = SplitMix64.Derive(seed, (ulong)index);
        var scene = sampler.Sample(ref rng);
        var (caption, template) = ShapeCaptioner.Caption(scene, ref rng);
        return new ShapesSample(index, scene, caption, template);
    }
}
