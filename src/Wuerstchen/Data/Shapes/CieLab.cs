namespace Wuerstchen.Data.Shapes;

/// <summary>
/// CIE L*a*b* (D65 white) of sRGB colours, and the CIE76 colour difference ΔE = |Lab₁ − Lab₂|. Colour names are
/// decided in Lab rather than in sRGB because equal sRGB steps are very unequal to the eye: the palette is spaced
/// by ΔE, and the analyser names a colour by the nearest palette entry in ΔE.
/// </summary>
public readonly record struct CieLab(double L, double A, double B)
{
    // sRGB primaries → XYZ (IEC 61966-2-1), and the D65 reference white.
    private const double Xn = 0.95047, Yn = 1.0, Zn = 1.08883;

    public static CieLab FromRgb(Rgb c)
    {
        double r = Linear(c.R), g = Linear(c.G), b = Linear(c.B);
        double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
        double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
        double fx = F(x / Xn), fy = F(y / Yn), fz = F(z / Zn);
        return new CieLab(116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    /// <summary>CIE76 ΔE.</summary>
    public static double DeltaE(CieLab p, CieLab q)
    {
        double dl = p.L - q.L, da = p.A - q.A, db = p.B - q.B;
        return Math.Sqrt(dl * dl + da * da + db * db);
    }

    private static double Linear(float c)
    {
        double v = Math.Clamp(c, 0f, 1f);
        return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
    }

    private static double F(double t) =>
        t > 216.0 / 24389.0 ? Math.Cbrt(t) : (24389.0 / 27.0 * t + 16) / 116;
}
