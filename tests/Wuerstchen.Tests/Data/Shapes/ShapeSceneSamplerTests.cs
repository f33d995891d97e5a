using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapeSceneSamplerTests
{
    private static readonly ShapeSceneSampler Sampler = new();
    private static readonly ShapesSample[] Samples = Enumerable.Range(0, 3000).Select(i => ShapesSample.Generate(1234, i, Sampler)).ToArray();

    [Fact]
    public void A_sample_depends_only_on_seed_and_index()
    {
        var again = ShapesSample.Generate(1234, 777, new ShapeSceneSampler());
        Assert.Equal(Samples[777].Caption, again.Caption);
        Assert.Equal(Samples[777].Scene.Objects, again.Scene.Objects);
        var otherSeed = ShapesSample.Generate(1235, 777, Sampler);
        Assert.NotEqual(Samples[777].Scene.Objects[0].CenterX, otherSeed.Scene.Objects[0].CenterX);
        Assert.True(Samples.Select(s => s.Caption).Distinct().Count() > 1000, "captions should vary widely");
    }

    [Fact]
    public void Objects_stay_inside_the_image_and_apart()
    {
        foreach (var s in Samples)
        {
            var objects = s.Scene.Objects;
            Assert.Equal(s.Scene.Count, objects.Count);
            foreach (var o in objects)
            {
                Assert.InRange(o.CenterX - o.Radius, ShapeSceneSampler.Margin - 1e-9, 1);
                Assert.InRange(o.CenterX + o.Radius, 0, 1 - ShapeSceneSampler.Margin + 1e-9);
                Assert.InRange(o.CenterY - o.Radius, ShapeSceneSampler.Margin - 1e-9, 1);
                Assert.InRange(o.CenterY + o.Radius, 0, 1 - ShapeSceneSampler.Margin + 1e-9);
            }
            for (int i = 0; i < objects.Count; i++)
                for (int j = i + 1; j < objects.Count; j++)
                {
                    // Bounding boxes (side 2r) separated by at least twice the margin on one axis.
                    double gapX = Math.Abs(objects[i].CenterX - objects[j].CenterX) - 2 * objects[i].Radius;
                    double gapY = Math.Abs(objects[i].CenterY - objects[j].CenterY) - 2 * objects[i].Radius;
                    Assert.True(Math.Max(gapX, gapY) >= 2 * ShapeSceneSampler.Margin - 1e-9, $"sample {s.Index}: objects {i} and {j} too close");
                }
        }
    }

    [Fact]
    public void Attributes_match_the_geometry()
    {
        var options = Sampler.Options;
        foreach (var s in Samples)
        {
            var scene = s.Scene;
            Assert.True(ColorPalette.Contrasts(scene.Color, scene.Background.Color), $"sample {s.Index}: {scene.Color} on {scene.Background.Color}");
            foreach (var o in scene.Objects)
            {
                Assert.Equal(scene.Shape, o.Shape);
                Assert.True(Rgb.Distance(o.Fill, scene.Color.Value) <= Math.Sqrt(3) * options.ColorJitter + 1e-6);
                var range = scene.Size == ShapeSize.Small ? options.SmallRadius : options.LargeRadius;
                Assert.InRange(o.Radius, range.Min - 1e-9, range.Max);
                switch (scene.Position)
                {
                    case ScenePosition.Left: Assert.True(o.CenterX + o.Radius <= 0.5); break;
                    case ScenePosition.Right: Assert.True(o.CenterX - o.Radius >= 0.5); break;
                    case ScenePosition.Top: Assert.True(o.CenterY + o.Radius <= 0.5); break;
                    case ScenePosition.Bottom: Assert.True(o.CenterY - o.Radius >= 0.5); break;
                    case ScenePosition.Center:
                        Assert.InRange(o.CenterY, 0.25, 0.75);
                        if (scene.Count == 1) Assert.InRange(o.CenterX, 0.25, 0.75);
                        break;
                }
            }
        }
    }

    [Fact]
    public void Every_attribute_value_occurs_with_roughly_its_weight()
    {
        Assert.Equal(ShapeNames.All.Count, Samples.Select(s => s.Scene.Shape).Distinct().Count());
        Assert.Equal(ColorPalette.ObjectColors.Count, Samples.Select(s => s.Scene.Color).Distinct().Count());
        Assert.Equal(ColorPalette.BackgroundColors.Count, Samples.Select(s => s.Scene.Background.Color).Distinct().Count());
        Assert.Equal(5, Samples.Select(s => s.Scene.Position).Distinct().Count());
        Assert.Equal(4, Samples.Select(s => s.Scene.Background.Fill).Distinct().Count());
        double single = Samples.Count(s => s.Scene.Count == 1) / (double)Samples.Length;
        Assert.InRange(single, 0.55, 0.65);
        double large = Samples.Count(s => s.Scene.Size == ShapeSize.Large) / (double)Samples.Length;
        Assert.InRange(large, 0.25, 0.5); // 0.5 drawn, less after "large does not fit" downgrades of three-object scenes
    }

    [Fact]
    public void Constrained_draw_keeps_the_requested_attributes_and_rejects_low_contrast()
    {
        var rng = SplitMix64.Derive(5);
        var scene = Sampler.Sample(ref rng, ShapeKind.Star, ColorPalette.Yellow, ColorPalette.Purple, count: 2);
        Assert.Equal((ShapeKind.Star, ColorPalette.Yellow, ColorPalette.Purple, 2), (scene.Shape, scene.Color, scene.Background.Color, scene.Objects.Count));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(ref rng, ShapeKind.Star, ColorPalette.Blue, ColorPalette.Purple));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(ref rng, ShapeKind.Star, ColorPalette.Red, ColorPalette.Red));
    }

    [Fact]
    public void Palette_colours_are_at_least_delta_e_40_apart()
    {
        var all = ColorPalette.All;
        for (int i = 0; i < all.Count; i++)
            for (int j = i + 1; j < all.Count; j++)
                Assert.True(CieLab.DeltaE(all[i].Lab, all[j].Lab) >= 40, $"{all[i]} vs {all[j]}: ΔE {CieLab.DeltaE(all[i].Lab, all[j].Lab):F1}");
        // Spot-check the Lab conversion against a known value: sRGB (220, 40, 40) → L*a*b* ≈ (48.1, 66.5, 46.1).
        var red = ColorPalette.Red.Lab;
        Assert.Equal(48.1, red.L, 1);
        Assert.Equal(66.5, red.A, 1);
        Assert.Equal(46.1, red.B, 1);
    }
}
