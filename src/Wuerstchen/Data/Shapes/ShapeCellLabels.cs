namespace Wuerstchen.Data.Shapes;

/// <summary>A scene's attributes and where its objects are: what <see cref="ShapeCellLabels"/> needs.</summary>
public sealed record LabelledScene(ShapesMetadata Scene, IReadOnlyList<ShapePlacement> Objects);

/// <summary>
/// Per-cell class labels of a shapes scene on a rows × cols grid over the image (the semantic compressor's feature
/// grid): the shape and colour of the object covering the cell, or 0 where none does. A cell is covered when its
/// centre lies in an object's bounding box, or the object's centre lies in the cell (so small objects keep a cell).
/// Shape labels are 1 + <see cref="ShapeKind"/>, colour labels 1 + the colour's index in <see cref="ColorPalette.All"/>.
/// </summary>
public static class ShapeCellLabels
{
    public static int ShapeClasses => ShapeNames.All.Count + 1;
    public static int ColorClasses => ColorPalette.All.Count + 1;

    /// <summary>The labels of <paramref name="scene"/>, row-major; <paramref name="flipped"/>: the image was mirrored left–right.</summary>
    public static (int[] Shape, int[] Color) For(LabelledScene labelled, bool flipped, int rows, int cols)
    {
        var scene = labelled.Scene;
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        int shape = (int)scene.Shape + 1;
        int color = IndexOf(scene.Color) + 1;
        var shapes = new int[rows * cols];
        var colors = new int[rows * cols];
        foreach (var o in labelled.Objects)
        {
            double x = flipped ? 1 - o.X : o.X;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    double cx = (j + 0.5) / cols, cy = (i + 0.5) / rows;
                    bool centreInBox = Math.Abs(cx - x) <= o.Radius && Math.Abs(cy - o.Y) <= o.Radius;
                    bool objectInCell = (int)Math.Min(cols - 1, Math.Floor(x * cols)) == j && (int)Math.Min(rows - 1, Math.Floor(o.Y * rows)) == i;
                    if (!centreInBox && !objectInCell) continue;
                    shapes[i * cols + j] = shape;
                    colors[i * cols + j] = color;
                }
        }
        return (shapes, colors);
    }

    /// <summary>The scenes of a shapes dataset's <c>metadata.jsonl</c> by image id (file name without extension); every line must list its objects.</summary>
    public static IReadOnlyDictionary<string, LabelledScene> ReadScenes(string metadataPath)
    {
        var scenes = new Dictionary<string, LabelledScene>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(metadataPath))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string source = $"{metadataPath}:{lineNumber}";
            var scene = ShapesMetadata.Parse(line, source);
            var objects = ShapesMetadata.ParseObjects(line, source);
            if (objects.Count == 0) throw new InvalidDataException($"{source}: '{scene.FileName}' lists no objects.");
            scenes[Path.GetFileNameWithoutExtension(scene.FileName)] = new LabelledScene(scene, objects);
        }
        return scenes;
    }

    private static int IndexOf(NamedColor color)
    {
        for (int i = 0; i < ColorPalette.All.Count; i++)
            if (ColorPalette.All[i].Name == color.Name) return i;
        throw new ArgumentException($"'{color.Name}' is not a palette colour.", nameof(color));
    }
}
