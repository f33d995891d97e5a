namespace Wuerstchen.Data.Shapes;

/// <summary>An sRGB colour with components in [0, 1] (gamma-encoded, as stored in PNG files and image tensors).</summary>
public readonly record struct Rgb(float R, float G, float B)
{
    public static Rgb FromBytes(byte r, byte g, byte b) => new(r / 255f, g / 255f, b / 255f);

    public static Rgb Lerp(Rgb a, Rgb b, float t) =>
        new(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    public Rgb Clamped() => new(Math.Clamp(R, 0f, 1f), Math.Clamp(G, 0f, 1f), Math.Clamp(B, 0f, 1f));

    /// <summary>Euclidean distance in sRGB [0, 1]³.</summary>
    public static float Distance(Rgb a, Rgb b)
    {
        float dr = a.R - b.R, dg = a.G - b.G, db = a.B - b.B;
        return MathF.Sqrt(dr * dr + dg * dg + db * db);
    }

    public override string ToString() => $"rgb({R * 255:F0}, {G * 255:F0}, {B * 255:F0})";
}
