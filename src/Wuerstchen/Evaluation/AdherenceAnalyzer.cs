using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Evaluation;

/// <summary>The dominant object found in a picture.</summary>
/// <param name="Color">Its median core colour.</param>
/// <param name="ColorName">The palette colour nearest to <paramref name="Color"/> (CIE76 ΔE).</param>
/// <param name="Shape">The nearest shape class.</param>
/// <param name="Ranking">Every class with its feature distance, nearest first.</param>
/// <param name="Features">The silhouette measures the shape was decided from.</param>
/// <param name="AreaFraction">Its foreground pixels over the image's.</param>
/// <param name="ObjectCount">Foreground components large enough to be objects (this one included).</param>
public sealed record DetectedObject(
    Rgb Color,
    NamedColor ColorName,
    double ColorDeltaE,
    ShapeKind Shape,
    IReadOnlyList<ShapeScore> Ranking,
    ShapeFeatures Features,
    double AreaFraction,
    int ObjectCount);

/// <summary>What the analyser recovered from a picture: the background and, if one stands out, the dominant object.</summary>
public sealed record ImageAnalysis(Rgb Background, NamedColor BackgroundName, DetectedObject? Object);

/// <summary>
/// Recovers the dominant object's colour and shape class from pixels: <see cref="ObjectSegmentation"/> finds the
/// object and its coverage, <see cref="MarchingSquares"/> traces the ½ level of the coverage (smoothed in proportion
/// to the object's size, <see cref="OutlineSmoothing"/>) to a sub-pixel outline, <see cref="ShapeFeatures"/>
/// measures it, <see cref="ShapeClassifier"/> names the shape and <see cref="ColorPalette.Nearest"/> the colour.
/// </summary>
public static class AdherenceAnalyzer
{
    /// <summary>Analyses an image tensor [3, H, W] or [1, 3, H, W] with values in [0, 1] (a pipeline's output).</summary>
    public static ImageAnalysis Analyze(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        bool batched = image.Rank == 4 && image.Size(0) == 1;
        if (!(image.Rank == 3 || batched) || image.Size(-3) != 3)
            throw new ArgumentException($"Expected an RGB image [3, H, W] or [1, 3, H, W], got {image}.", nameof(image));
        return Analyze(image.ToArray(), image.Size(-1), image.Size(-2));
    }

    /// <summary>Analyses a decoded image (grey is replicated, alpha ignored).</summary>
    public static ImageAnalysis Analyze(Image image) =>
        Analyze(ImagePreprocessor.RgbPlanes(image), image.Width, image.Height);

    /// <summary>Analyses a PNG file.</summary>
    public static ImageAnalysis AnalyzeFile(string path) => Analyze(PngFile.Read(path).Image);

    /// <summary>Analyses planar RGB [3, H, W] in [0, 1].</summary>
    public static ImageAnalysis Analyze(ReadOnlySpan<float> rgb, int width, int height)
    {
        var (background, segmentation, features) = Measure(rgb, width, height);
        var backgroundName = ColorPalette.Nearest(background).Color;
        if (segmentation is null || features is null) return new ImageAnalysis(background, backgroundName, null);
        var ranking = ShapeClassifier.Rank(features);
        var (colorName, deltaE) = ColorPalette.Nearest(segmentation.ObjectColor);
        var detected = new DetectedObject(segmentation.ObjectColor, colorName, deltaE, ranking[0].Shape, ranking, features,
            segmentation.ObjectArea / (double)(width * height), segmentation.ObjectCount);
        return new ImageAnalysis(background, backgroundName, detected);
    }

    /// <summary>
    /// The coverage is smoothed before its outline is traced, with a Gaussian of σ = this × √(object area in pixels).
    /// Decoders leave their edges soft and rough (grainy bands a few pixels wide, blocks and checkerboards from
    /// transposed convolutions); traced as it is, that roughness lengthens the outline and dents its hull, costing a
    /// disc its circularity and solidity until it reads as a star. Relative to the object's size, the smoothing
    /// treats every object alike and only shifts all measurements a little along the classifier's blur curves (whose
    /// prototypes are measured through it too). For a disc σ is 4.4 % of its radius: 1.3 px at a radius of 30 px.
    /// </summary>
    public const double OutlineSmoothing = 0.025;

    /// <summary>Segmentation and silhouette measures, without naming anything (the classifier's prototypes are measured with this).</summary>
    internal static (Rgb Background, ObjectSegmentation? Segmentation, ShapeFeatures? Features) Measure(ReadOnlySpan<float> rgb, int width, int height,
        double outlineSmoothing = OutlineSmoothing)
    {
        if (width < 8 || height < 8) throw new ArgumentException($"Image {width}×{height} is too small to analyse (8×8 at least).");
        if (rgb.Length != 3 * width * height) throw new ArgumentException($"Expected 3×{height}×{width} values, got {rgb.Length}.", nameof(rgb));
        var segmentation = ObjectSegmentation.Segment(rgb, width, height);
        if (segmentation is null)
        {
            int n = width * height;
            return (BackgroundModel.Fit(rgb[..n], rgb.Slice(n, n), rgb.Slice(2 * n, n), width, height).Mean, null, null);
        }
        var background = segmentation.Background.Mean;
        var coverage = (float[])segmentation.Coverage.Clone();
        GaussianBlur.Apply(coverage, 1, width, height, outlineSmoothing * Math.Sqrt(segmentation.ObjectArea));
        var loops = MarchingSquares.Contours(coverage, width, height, 0.5f);
        var outline = loops.MaxBy(l => Math.Abs(Polygon.SignedArea(l)));
        if (outline is null || Math.Abs(Polygon.SignedArea(outline)) < 1) return (background, null, null);
        return (background, segmentation, ShapeFeatures.Measure(outline, coverage, width, height));
    }
}
