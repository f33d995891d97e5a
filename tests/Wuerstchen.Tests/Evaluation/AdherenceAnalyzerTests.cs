using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Evaluation;

public class AdherenceAnalyzerTests(ITestOutputHelper output)
{
    /// <summary>
    /// Accuracy over renders of the 48 prompts, 3 random scenes each (sizes small and large, all positions, plain
    /// and gradient backgrounds) at 64², optionally blurred and noised as generated pictures are.
    /// </summary>
    private (double Color, double Shape) Accuracy(double blur, double noise, int size = 64)
    {
        int color = 0, shape = 0, n = 0;
        foreach (var prompt in AdherencePromptSet.Default)
        {
            for (int variant = 0; variant < 3; variant++)
            {
                using var image = Pictures.Render(prompt, size, variant);
                Pictures.Degrade(image, blur, noise, seed: prompt.Index * 7 + variant);
                var found = AdherenceAnalyzer.Analyze(image).Object;
                n++;
                if (found?.ColorName == prompt.Color) color++;
                if (found?.Shape == prompt.Shape) shape++;
            }
        }
        output.WriteLine($"{size}², blur σ {blur} px, noise σ {noise}: colour {100.0 * color / n:F1}%, shape {100.0 * shape / n:F1}% of {n}");
        return (color / (double)n, shape / (double)n);
    }

    [Fact]
    public void Clean_renders_are_recovered()
    {
        var (color, shape) = Accuracy(0, 0);
        Assert.True(color >= 0.99 && shape >= 0.99, $"colour {color:P1}, shape {shape:P1}");
    }

    [Theory]
    [InlineData(1.0, 0.0, 0.97)]
    [InlineData(0.0, 0.04, 0.97)]
    [InlineData(1.0, 0.03, 0.97)]
    [InlineData(1.5, 0.0, 0.92)]
    public void Blurred_and_noisy_renders_are_mostly_recovered(double blur, double noise, double least)
    {
        var (color, shape) = Accuracy(blur, noise);
        Assert.True(color >= least && shape >= least, $"colour {color:P1}, shape {shape:P1} (need {least:P0})");
    }

    /// <summary>
    /// Decoded pictures have soft, grainy edges (Stage A's round trip shows bands a few pixels deep, in blocks).
    /// Traced unsmoothed, that roughness made clear discs read as stars; the analyser must see through it. The control
    /// measures the same pictures without the outline smoothing, so the test shows the roughening is hard enough to
    /// matter.
    /// </summary>
    [Fact]
    public void Rough_edges_do_not_change_the_shape()
    {
        int smoothed = 0, unsmoothed = 0, n = 0;
        foreach (var prompt in AdherencePromptSet.Default)
        {
            using var image = Pictures.Render(prompt, 256, variant: 1);
            Pictures.Degrade(image, blur: 1.5, noise: 0, seed: 0);
            Pictures.RoughenEdges(image, reach: 2, seed: prompt.Index);
            var found = AdherenceAnalyzer.Analyze(image).Object;
            var raw = AdherenceAnalyzer.Measure(image.AsSpan(), 256, 256, outlineSmoothing: 0).Features;
            n++;
            if (found?.Shape == prompt.Shape) smoothed++;
            if (raw is not null && ShapeClassifier.Rank(raw)[0].Shape == prompt.Shape) unsmoothed++;
        }
        output.WriteLine($"256², blur σ 1.5 px, edges roughened ±2 px: shape {100.0 * smoothed / n:F1}% (unsmoothed outline: {100.0 * unsmoothed / n:F1}%) of {n}");
        Assert.True(smoothed >= 0.9 * n, $"shape {smoothed}/{n}");
        Assert.True(unsmoothed <= 0.7 * n, $"control: unsmoothed {unsmoothed}/{n}; the roughening no longer tests anything");
    }

    [Fact]
    public void Tensor_image_and_file_inputs_agree()
    {
        var prompt = AdherencePromptSet.Default[17];
        using var image = Pictures.Render(prompt, 48);
        var fromTensor = AdherenceAnalyzer.Analyze(image);
        using var batched = image.Reshape(1, 3, 48, 48);
        Assert.Equal(fromTensor.Object!.Features, AdherenceAnalyzer.Analyze(batched).Object!.Features);

        using var temp = new IO.TempFolder();
        var path = temp.File("x.png");
        PngFile.Write(path, ImageTensors.FromTensor(image)[0]);
        var fromFile = AdherenceAnalyzer.AnalyzeFile(path).Object!;
        Assert.Equal((prompt.Color, prompt.Shape), (fromFile.ColorName, fromFile.Shape));
        Assert.Equal(fromTensor.Object.Features.Area, fromFile.Features.Area, 0.01 * fromFile.Features.Area);

        using var gray = Tensor.Zeros(4, 48, 48);
        Assert.Throws<ArgumentException>(() => AdherenceAnalyzer.Analyze(gray));
    }

    [Fact]
    public void The_largest_object_decides_and_the_count_is_reported()
    {
        var background = new SceneBackground(ColorPalette.White, BackgroundFill.Plain, ColorPalette.White.Value, ColorPalette.White.Value);
        var scene = new ShapeScene(ShapeKind.Star, ColorPalette.Blue, 2, ShapeSize.Large, ScenePosition.Center, background,
        [
            new SceneObject(ShapeKind.Circle, ColorPalette.Red, ColorPalette.Red.Value, 0.2, 0.2, 0.1),
            new SceneObject(ShapeKind.Star, ColorPalette.Blue, ColorPalette.Blue.Value, 0.65, 0.6, 0.25),
        ]);
        using var image = ShapeRasterizer.Render(scene, 64);
        var analysis = AdherenceAnalyzer.Analyze(image);
        Assert.Equal(ColorPalette.White, analysis.BackgroundName);
        var found = analysis.Object!;
        Assert.Equal((ColorPalette.Blue, ShapeKind.Star, 2), (found.ColorName, found.Shape, found.ObjectCount));
        Assert.Equal(ShapeKind.Star, found.Ranking[0].Shape);
        Assert.Equal(6, found.Ranking.Count);
    }

    [Fact]
    public void A_plain_picture_has_no_object()
    {
        using var image = Tensor.Full(0.5f, 3, 32, 32);
        var analysis = AdherenceAnalyzer.Analyze(image);
        Assert.Null(analysis.Object);
        Assert.Equal(ColorPalette.Gray, analysis.BackgroundName);
    }
}
