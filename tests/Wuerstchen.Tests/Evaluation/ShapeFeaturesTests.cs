using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;

namespace Wuerstchen.Tests.Evaluation;

public class ShapeFeaturesTests
{
    // Ideal values of the dataset's outlines (ShapeOutline): fill = area / box, solidity = area / hull, circularity
    // 4πA/P², aspect w/h, centroid height, corners. Star: R = 1, r = 0.45 R; cross arms 2/3 of the box wide.
    public static TheoryData<ShapeKind, double, double, double, double, double, int> Ideal => new()
    {
        { ShapeKind.Circle, Math.PI / 4, 1, 1, 1, 0.5, -1 },
        { ShapeKind.Square, 1, 1, Math.PI / 4, 1, 0.5, 4 },
        { ShapeKind.Triangle, 0.5, 1, 4 * Math.PI * Math.Sqrt(3) / 36, 2 / Math.Sqrt(3), 2.0 / 3, 3 },
        { ShapeKind.Diamond, 0.5, 1, 4 * Math.PI * 1.5 / 25, 0.75, 0.5, 4 },
        { ShapeKind.Star, StarArea / (2 * Math.Cos(Math.PI / 10) * (1 + Math.Cos(Math.PI / 5))), StarArea / (2.5 * Math.Sin(2 * Math.PI / 5)), double.NaN, 2 * Math.Cos(Math.PI / 10) / (1 + Math.Cos(Math.PI / 5)), double.NaN, 10 },
        { ShapeKind.Cross, 5.0 / 9, 5.0 / 7, 4 * Math.PI * (20.0 / 9) / 64, 1, 0.5, 12 },
    };

    private static double StarArea => 5 * ShapeOutline.StarInnerRatio * Math.Sin(Math.PI / 5);

    [Theory]
    [MemberData(nameof(Ideal))]
    public void Sharp_renders_measure_close_to_the_ideal_outline(ShapeKind shape, double fill, double solidity, double circularity, double aspect, double centroid, int corners)
    {
        // A 96-pixel-wide exact-coverage render (the prototypes' canonical one), its outline traced unsmoothed.
        var f = ShapeClassifier.MeasureCanonical(shape, blur: 0, outlineSmoothing: 0);
        Assert.Equal(fill, f.Fill, 0.02);
        Assert.Equal(solidity, f.Solidity, 0.02);
        if (!double.IsNaN(circularity)) Assert.Equal(circularity, f.Circularity, 0.015);
        Assert.Equal(aspect, f.Aspect, 0.01);
        if (!double.IsNaN(centroid)) Assert.Equal(centroid, f.CentroidHeight, 0.01);
        if (corners > 0) Assert.Equal(corners, f.Corners);
        bool symmetric = shape is not (ShapeKind.Triangle or ShapeKind.Star);
        Assert.True(symmetric ? f.FlipSymmetry > 0.98 : f.FlipSymmetry < 0.6, $"{shape}: flip symmetry {f.FlipSymmetry:F3}");
    }

    [Fact]
    public void Blur_moves_every_class_towards_the_disc()
    {
        foreach (var (shape, curve) in ShapeClassifier.PrototypeCurves)
        {
            Assert.Equal(ShapeClassifier.BlurLevels.Count, curve.Length);
            if (shape == ShapeKind.Circle) continue;
            Assert.True(curve[^1].Circularity > curve[0].Circularity, $"{shape}: circularity {curve[0].Circularity:F3} → {curve[^1].Circularity:F3}");
        }
    }
}
