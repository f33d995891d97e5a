using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.IO.Png;

public class ImageTensorsTests
{
    [Fact]
    public void ToTensor_IsNchw_DividedByMax_OrMappedToMinusOneOne()
    {
        var image = new Image(3, 2, 3);
        for (int i = 0; i < image.Samples.Length; i++) image.Samples[i] = (ushort)(i * 13);
        using var t = ImageTensors.ToTensor(image);
        Assert.Equal([1, 3, 2, 3], t.Shape.ToArray());
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            Assert.Equal(image[x, y, c] / 255f, t[0, c, y, x]);

        using var s = ImageTensors.ToTensor([image, image], PixelRange.MinusOneToOne);
        Assert.Equal([2, 3, 2, 3], s.Shape.ToArray());
        Assert.Equal(2f * (image[2, 1, 1] / 255f) - 1f, s[1, 1, 1, 2]);
        Assert.Equal(-1f, s[0, 0, 0, 0]);

        var deep = new Image(1, 1, 1, 16, [65535]);
        using var d = ImageTensors.ToTensor(deep);
        Assert.Equal(1f, d.Item());
        Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor([image, new Image(3, 2, 4)]));
    }

    [Fact]
    public void FromTensor_QuantisesLikeDiffusersNumpyToPil()
    {
        // round(clamp(x, 0, 1) · 255) in float32, ties to even (numpy's round); NaN → 0.
        float[] x = [0f, 1f, 0.5f, -0.2f, 1.7f, float.NaN, 1f / 255f, 254.5f / 255f, 0.00196f, 0.0019608f, float.PositiveInfinity, float.NegativeInfinity];
        using var t = Tensor.FromArray(x, 1, 1, 1, x.Length);
        var image = Assert.Single(ImageTensors.FromTensor(t));
        Assert.Equal((x.Length, 1, 1, 8), (image.Width, image.Height, image.Channels, image.BitDepth));
        var expected = new[] { 0, 255, 128, 0, 255, 0, 1, (int)MathF.Round(254.5f / 255f * 255f), 0, 1, 255, 0 };
        Assert.Equal(expected, image.Samples.Select(v => (int)v));

        for (int k = 0; k <= 255; k++)
        {
            using var one = Tensor.FromArray([k / 255f], 1, 1, 1);
            Assert.Equal(k, ImageTensors.FromTensor(one)[0].Samples[0]);
        }
    }

    [Fact]
    public void FromTensor_MinusOneToOne_And16Bit()
    {
        using var t = Tensor.FromArray([-1f, 0f, 1f, -3f], 1, 1, 2, 2);
        Assert.Equal([0, 128, 255, 0], ImageTensors.FromTensor(t, PixelRange.MinusOneToOne)[0].Samples.Select(v => (int)v));
        var deep = ImageTensors.FromTensor(t, PixelRange.MinusOneToOne, bitDepth: 16)[0];
        Assert.Equal(16, deep.BitDepth);
        Assert.Equal([0, 32768, 65535, 0], deep.Samples.Select(v => (int)v));
    }

    [Fact]
    public void FromTensor_AcceptsChwAndStridedViews()
    {
        using var hwc = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i / 11f).ToArray(), 2, 2, 3);
        var chw = hwc.Permute(2, 0, 1); // a strided [3, 2, 2] view
        var image = Assert.Single(ImageTensors.FromTensor(chw));
        for (int i = 0; i < 12; i++) Assert.Equal((int)MathF.Round(i / 11f * 255f), image.Samples[i]);
        using var five = Tensor.Zeros(1, 5, 2, 2);
        Assert.Throws<ArgumentException>(() => ImageTensors.FromTensor(five));
        using var flat = Tensor.Zeros(4);
        Assert.Throws<ArgumentException>(() => ImageTensors.FromTensor(flat));
    }

    [Fact]
    public void SavePngs_WritesOnePngPerBatchRow_ThatReadsBackToTheSameTensor()
    {
        using var dir = new TempFolder();
        var rng = new System.Random(7);
        var values = Enumerable.Range(0, 2 * 3 * 5 * 6).Select(_ => rng.Next(256) / 255f).ToArray();
        using var batch = Tensor.FromArray(values, 2, 3, 5, 6);
        var options = new PngWriteOptions { Text = [new PngText("prompt", "a photo of a red fox in the snow"), new PngText("seed", "2024")] };

        var paths = ImageTensors.SavePngs(batch, b => dir.File($"fox_{b}.png"), options);
        Assert.Equal([dir.File("fox_0.png"), dir.File("fox_1.png")], paths);
        Assert.Equal(["fox_0.png", "fox_1.png"], dir.Entries());

        var decoded = paths.Select(p => PngFile.Read(p)).ToArray();
        Assert.All(decoded, png => Assert.Equal("2024", png.GetText("seed")));
        using var back = ImageTensors.ToTensor(decoded.Select(p => p.Image).ToArray());
        Assert.Equal(values, back.ToArray());
    }
}
