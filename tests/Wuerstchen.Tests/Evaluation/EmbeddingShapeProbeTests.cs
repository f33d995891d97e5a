using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Evaluation;

public class EmbeddingShapeProbeTests
{
    /// <summary>
    /// Writes an <c>effnet_labels</c> folder under <paramref name="parent"/> whose shape logits are the embedding's
    /// channels 0–6 themselves (identity 1×1 weights, zero bias): channel 0 is background, channel 1 + k shape k.
    /// </summary>
    internal static string WriteIdentityProbe(string parent, int inChannels = 7, int shapeClasses = 7)
    {
        string folder = Path.Combine(parent, EmbeddingShapeProbe.ComponentName);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            $"{{\"_class_name\": \"CellClassifierHead\", \"in_channels\": {inChannels}, \"shape_classes\": {shapeClasses}, \"color_classes\": 11}}");
        var shape = new float[shapeClasses * inChannels];
        for (int k = 0; k < Math.Min(shapeClasses, inChannels); k++) shape[k * inChannels + k] = 1;
        using var shapeWeight = Tensor.FromArray(shape, shapeClasses, inChannels, 1, 1);
        using var shapeBias = Tensor.Zeros(shapeClasses);
        using var colorWeight = Tensor.Zeros(11, inChannels, 1, 1);
        using var colorBias = Tensor.Zeros(11);
        SafeTensorsWriter.Save(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), new Dictionary<string, Tensor>
        {
            ["shape.weight"] = shapeWeight, ["shape.bias"] = shapeBias, ["color.weight"] = colorWeight, ["color.bias"] = colorBias,
        });
        return folder;
    }

    /// <summary>A [1, 7, 4, 4] embedding: background everywhere but the given cells, which say the given class.</summary>
    private static Tensor Embedding(params (int Cell, int Class, float Logit)[] cells)
    {
        var values = new float[7 * 16];
        for (int cell = 0; cell < 16; cell++) values[cell] = 5;
        foreach (var (cell, k, logit) in cells)
        {
            values[cell] = 0;
            values[k * 16 + cell] = logit;
        }
        return Tensor.FromArray(values, 1, 7, 4, 4);
    }

    [Fact]
    public void Read_VotesTheShapeOverTheCellsThatAreNotBackground()
    {
        using var temp = new TempFolder();
        WriteIdentityProbe(temp.Path);
        using var probe = EmbeddingShapeProbe.FromFolder(temp.Path);        // the parent of effnet_labels/ works too
        int triangle = 1 + (int)ShapeKind.Triangle, star = 1 + (int)ShapeKind.Star;

        // Three confident triangle cells outvote one star cell; the background cells count for nothing.
        using (var e = Embedding((5, triangle, 4), (6, triangle, 4), (9, triangle, 4), (10, star, 6)))
            Assert.Equal(new ProbeReading(ShapeKind.Triangle, 4), probe.Read(e));
        using (var e = Embedding((5, star, 4)))
            Assert.Equal(new ProbeReading(ShapeKind.Star, 1), probe.Read(e));
        using (var e = Embedding())
            Assert.Equal(new ProbeReading(null, 0), probe.Read(e));
        using (var wrong = Tensor.Zeros(1, 5, 4, 4))
            Assert.Contains("[1, 7, h, w]", Assert.Throws<ArgumentException>(() => probe.Read(wrong)).Message);
    }

    [Fact]
    public void FromFolder_NamesTheFolderOfAMissingOrWrongProbe()
    {
        using var temp = new TempFolder();
        Assert.Throws<DirectoryNotFoundException>(() => EmbeddingShapeProbe.FromFolder(temp.File("nowhere")));
        Assert.Contains(temp.Path, Assert.Throws<FileNotFoundException>(() => EmbeddingShapeProbe.FromFolder(temp.Path)).Message);
        string other = temp.File("other");
        WriteIdentityProbe(other, shapeClasses: 5);
        Assert.Contains("this one 5", Assert.Throws<InvalidDataException>(() => EmbeddingShapeProbe.FromFolder(other)).Message);
    }
}
