using System.IO.Compression;
using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.IO.Png;

public class PngRoundTripTests
{
    private static Image RandomImage(int width, int height, int channels, int depth, int seed)
    {
        var rng = new System.Random(seed);
        var image = new Image(width, height, channels, depth);
        int max = (1 << depth) - 1;
        for (int i = 0; i < image.Samples.Length; i++)
        {
            // Half smooth, half noise, so every filter has something to win on.
            int pixel = i / channels, x = pixel % width, y = pixel / width;
            image.Samples[i] = (ushort)(y % 2 == 0 ? (x * 31 + y * 17 + i % channels * 50) % (max + 1) : rng.Next(max + 1));
        }
        return image;
    }

    public static TheoryData<int, int, PngFilter?> Cases()
    {
        var data = new TheoryData<int, int, PngFilter?>();
        foreach (var channels in new[] { 1, 2, 3, 4 })
        foreach (var depth in new[] { 8, 16 })
        foreach (var filter in new PngFilter?[] { null, PngFilter.None, PngFilter.Sub, PngFilter.Up, PngFilter.Average, PngFilter.Paeth })
            data.Add(channels, depth, filter);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodeDecode_IsLossless(int channels, int depth, PngFilter? filter)
    {
        var image = RandomImage(13, 9, channels, depth, seed: channels * 100 + depth);
        var bytes = PngFile.Encode(image, new PngWriteOptions { Filter = filter });
        var png = PngFile.Decode(bytes);

        Assert.Equal(image.Samples, png.Image.Samples);
        Assert.Equal((13, 9, channels, depth), (png.Image.Width, png.Image.Height, png.Image.Channels, png.Image.BitDepth));
        Assert.False(png.Header.Interlaced);
        Assert.Equal(depth, png.Header.BitDepth);
        Assert.Equal(channels switch { 1 => PngColorType.Grey, 2 => PngColorType.GreyAlpha, 3 => PngColorType.Rgb, _ => PngColorType.Rgba }, png.Header.ColorType);
        Assert.Equal(["IHDR", "IDAT", "IEND"], PngBytes.Chunks(bytes).Select(c => c.Type).Distinct());
    }

    [Fact]
    public void FixedFilter_IsUsedOnEveryRow_AdaptiveMixesFilters()
    {
        var image = RandomImage(40, 30, 3, 8, seed: 3);
        foreach (var filter in Enum.GetValues<PngFilter>())
            Assert.Equal([(byte)filter], RowFilters(PngFile.Encode(image, new PngWriteOptions { Filter = filter }), 40 * 3, 30).Distinct());
        var adaptive = RowFilters(PngFile.Encode(image), 40 * 3, 30).Distinct().ToArray();
        Assert.True(adaptive.Length >= 2, $"adaptive filtering used only {string.Join(",", adaptive)}");
    }

    private static byte[] RowFilters(byte[] png, int rowBytes, int rows)
    {
        var idat = PngBytes.Chunks(png).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        Assert.Equal(rows * (1 + rowBytes), raw.Length);
        return Enumerable.Range(0, rows).Select(r => raw.GetBuffer()[r * (1 + rowBytes)]).ToArray();
    }

    [Fact]
    public void LargeImages_SplitImageDataIntoSeveralIdatChunks()
    {
        var image = RandomImage(300, 200, 4, 8, seed: 9);
        var bytes = PngFile.Encode(image, new PngWriteOptions { Compression = CompressionLevel.Fastest });
        var idats = PngBytes.Chunks(bytes).Where(c => c.Type == "IDAT").ToArray();
        Assert.True(idats.Length > 1);
        Assert.All(idats, c => Assert.True(c.Data.Length <= 1 << 16));
        Assert.Equal(image.Samples, PngFile.Decode(bytes).Image.Samples);
    }

    [Fact]
    public void TextEntries_RoundTrip_AsTextOrInternationalText()
    {
        PngText[] text =
        [
            new("prompt", "a photo of a red fox in the snow\nsecond line, café"),
            new("seed", "1234"),
            new("negative_prompt", "blurry, 低品質"),
            new("Title", "Würstchen", "de-DE", "Titel"),
            new("empty", ""),
        ];
        var bytes = PngFile.Encode(new Image(2, 2, 3), new PngWriteOptions { Text = text });
        var chunks = PngBytes.Chunks(bytes).Select(c => c.Type).ToArray();
        Assert.Equal(["IHDR", "tEXt", "tEXt", "iTXt", "iTXt", "tEXt", "IDAT", "IEND"], chunks);
        Assert.Equal(text, PngFile.Decode(bytes).Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("two  spaces")]
    [InlineData("tab\there")]
    [InlineData("non-latin ✓")]
    [InlineData("a-keyword-that-is-far-too-long-for-the-png-format-which-allows-seventy-nine-chars")]
    public void InvalidKeywords_AreRejected_BeforeAnythingIsWritten(string keyword)
    {
        using var dir = new TempFolder();
        var options = new PngWriteOptions { Text = [new PngText(keyword, "value")] };
        Assert.Throws<ArgumentException>(() => PngFile.Write(dir.File("x.png"), new Image(1, 1, 1), options));
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void TextWithNul_IsRejected() =>
        Assert.Throws<ArgumentException>(() => PngFile.Encode(new Image(1, 1, 1), new PngWriteOptions { Text = [new PngText("k", "a\0b")] }));

    [Fact]
    public void Write_IsAtomic_AndReplacesExistingFiles()
    {
        using var dir = new TempFolder();
        var path = dir.File("out.png");
        PngFile.Write(path, RandomImage(5, 5, 3, 8, 1));
        var second = RandomImage(7, 3, 4, 16, 2);
        PngFile.Write(path, second, new PngWriteOptions { Text = [new PngText("k", "v")] });
        Assert.Equal(["out.png"], dir.Entries());
        var back = PngFile.Read(path);
        Assert.Equal(second.Samples, back.Image.Samples);
        Assert.Equal("v", back.GetText("k"));
        Assert.Throws<DirectoryNotFoundException>(() => PngFile.Write(dir.File("missing/out.png"), second));
    }

    [Fact]
    public void Image_ValidatesItsArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image(0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image(1, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image(1, 1, 3, 12));
        Assert.Throws<ArgumentException>(() => new Image(2, 1, 1, 8, [1]));
        Assert.Throws<ArgumentException>(() => new Image(1, 1, 1, 8, [256]));
        var image = new Image(2, 2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[0, 0, 0] = 300);
        Assert.Throws<IndexOutOfRangeException>(() => image[2, 0, 0]);
        image[1, 1, 2] = 7;
        Assert.Equal(7, image.Samples[(1 * 2 + 1) * 3 + 2]);
    }
}
