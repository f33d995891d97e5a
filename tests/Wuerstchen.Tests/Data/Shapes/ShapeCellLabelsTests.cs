using Wuerstchen.Data.Shapes;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapeCellLabelsTests
{
    private static LabelledScene Scene(ShapeKind shape, NamedColor color, params ShapePlacement[] objects) =>
        new(new ShapesMetadata("x.png", "", 0, shape, color, objects.Length, ShapeSize.Small, ScenePosition.Center, ColorPalette.Black, BackgroundFill.Plain, 0), objects);

    [Fact]
    public void ASmallObjectLabelsTheCellItsCentreIsIn()
    {
        var scene = Scene(ShapeKind.Star, ColorPalette.Green, new ShapePlacement(0.1, 0.2, 0.03));
        var (shape, color) = ShapeCellLabels.For(scene, flipped: false, 6, 6);
        int cell = 1 * 6 + 0;                                  // y 0.2 → row 1, x 0.1 → column 0
        Assert.Equal(1 + (int)ShapeKind.Star, shape[cell]);
        Assert.Equal(1 + 3, color[cell]);                      // green is the palette's fourth colour
        Assert.Equal(1, shape.Count(s => s != 0));
        Assert.Equal(1, color.Count(c => c != 0));

        var (mirrored, _) = ShapeCellLabels.For(scene, flipped: true, 6, 6);
        Assert.Equal(1 + (int)ShapeKind.Star, mirrored[1 * 6 + 5]);   // x 0.9 after the flip
        Assert.Equal(1, mirrored.Count(s => s != 0));
    }

    [Fact]
    public void ALargeObjectLabelsEveryCellWhoseCentreIsInItsBox()
    {
        var scene = Scene(ShapeKind.Circle, ColorPalette.Red, new ShapePlacement(0.5, 0.5, 0.3));
        var (shape, _) = ShapeCellLabels.For(scene, flipped: false, 6, 6);
        // Cell centres 1/12, 3/12, …, 11/12: those within [0.2, 0.8] are columns and rows 1..4.
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(i is >= 1 and <= 4 && j is >= 1 and <= 4 ? 1 : 0, shape[i * 6 + j]);
    }

    [Fact]
    public void ReadsTheScenesOfAGeneratedDatasetAndNamesALineWithoutObjects()
    {
        using var temp = new TempFolder();
        var folder = temp.File("shapes");
        ShapesDatasetWriter.Write(folder, count: 5, size: 32, seed: 4);
        var path = Path.Combine(folder, ShapesDatasetWriter.MetadataFileName);
        var scenes = ShapeCellLabels.ReadScenes(path);
        Assert.Equal(5, scenes.Count);
        var expected = ShapesSample.Generate(4, 2, new ShapeSceneSampler());
        var scene = scenes["000002"];
        Assert.Equal(expected.Scene.Objects.Count, scene.Objects.Count);
        Assert.Equal(expected.Scene.Objects[0].CenterX, scene.Objects[0].X, 5);
        Assert.Equal(expected.Scene.Objects[0].Radius, scene.Objects[0].Radius, 5);

        var lines = File.ReadAllLines(path);
        lines[3] = lines[3][..lines[3].IndexOf(",\"objects\"", StringComparison.Ordinal)] + "}";
        File.WriteAllLines(path, lines);
        var e = Assert.Throws<InvalidDataException>(() => ShapeCellLabels.ReadScenes(path));
        Assert.Contains(":4:", e.Message);
        Assert.Contains("000003.png", e.Message);
    }
}
