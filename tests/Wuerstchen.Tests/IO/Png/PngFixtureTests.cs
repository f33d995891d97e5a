using System.Text.Json;
using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.IO.Png;

/// <summary>
/// Decodes PNGs written by pypng + libpng and Pillow (see Fixtures/png/make_fixtures.py) and compares every
/// sample with the generator's pixel formula, re-implemented here.
/// </summary>
public class PngFixtureTests
{
    public sealed record Entry(string File, int Width, int Height, string ColorType, int BitDepth, bool Interlaced, int[] Filters,
        int? PaletteSize = null, int? PaletteAlphaEntries = null, int[]? ColorKey = null)
    {
        public override string ToString() => File;
    }

    private static readonly Lazy<Entry[]> Manifest = new(() =>
        JsonSerializer.Deserialize<Entry[]>(System.IO.File.ReadAllText(Fixtures.Path_("png", "manifest.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest.Value) data.Add(e.File);
        return data;
    }

    // ---- the generator's formulas (make_fixtures.py)
    private static int Value(int x, int y, int c, int depth)
    {
        int m = 1 << depth;
        if (y % 2 == 0) return (x * (m - 1) / 10 + c * (m / 4) + y) % m;
        return (x * 7919 + y * 104729 + c * 31337 + x * y * 613) % m;
    }

    private static int[] PaletteEntry(int i) => [i * 53 % 256, (i * 101 + 7) % 256, (i * 197 + 13) % 256];

    private static int PaletteAlpha(int i) => (i * 67 + 5) % 256;

    private static int[] ExpectedPixel(Entry e, int x, int y)
    {
        int d = e.BitDepth;
        switch (e.ColorType)
        {
            case "Palette":
            {
                int index = Value(x, y, 0, d) % e.PaletteSize!.Value;
                var rgb = PaletteEntry(index);
                if (e.PaletteAlphaEntries is not { } n) return rgb;
                return [.. rgb, index < n ? PaletteAlpha(index) : 255];
            }
            case "Grey" or "Rgb":
            {
                int channels = e.ColorType == "Grey" ? 1 : 3;
                var raw = Enumerable.Range(0, channels).Select(c => Value(x, y, c, d)).ToArray();
                // Bit depths below 8 come out as 8-bit: v · 255 / (2^d − 1).
                var scaled = d < 8 ? raw.Select(v => v * 255 / ((1 << d) - 1)).ToArray() : raw;
                if (e.ColorKey is null) return scaled;
                int max = d == 16 ? 65535 : 255;
                return [.. scaled, raw.SequenceEqual(e.ColorKey) ? 0 : max];
            }
            default:
                return Enumerable.Range(0, e.ColorType == "GreyAlpha" ? 2 : 4).Select(c => Value(x, y, c, d)).ToArray();
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void DecodesFixture(string file)
    {
        var e = Manifest.Value.Single(m => m.File == file);
        var png = PngFile.Read(Fixtures.Path_("png", file));

        Assert.Equal(e.Width, png.Header.Width);
        Assert.Equal(e.Height, png.Header.Height);
        Assert.Equal(e.BitDepth, png.Header.BitDepth);
        Assert.Equal(Enum.Parse<PngColorType>(e.ColorType), png.Header.ColorType);
        Assert.Equal(e.Interlaced, png.Header.Interlaced);

        var image = png.Image;
        Assert.Equal(e.BitDepth == 16 ? 16 : 8, image.BitDepth);
        int colorKeyTransparent = 0;
        for (int y = 0; y < e.Height; y++)
        {
            for (int x = 0; x < e.Width; x++)
            {
                var expected = ExpectedPixel(e, x, y);
                Assert.Equal(expected.Length, image.Channels);
                for (int c = 0; c < expected.Length; c++)
                {
                    if (expected[c] != image[x, y, c])
                        Assert.Fail($"{file}: pixel ({x}, {y}) channel {c} is {image[x, y, c]}, expected {expected[c]}.");
                }
                if (e.ColorKey is not null && image[x, y, image.Channels - 1] == 0) colorKeyTransparent++;
            }
        }
        if (e.ColorKey is not null) Assert.True(colorKeyTransparent > 0, "the colour key matches at least one pixel");
    }

    [Fact]
    public void Fixtures_CoverEveryColourTypeDepthInterlaceAndFilter()
    {
        var entries = Manifest.Value;
        foreach (var (color, depths) in new[] { ("Grey", new[] { 1, 2, 4, 8, 16 }), ("Rgb", [8, 16]), ("Palette", [1, 2, 4, 8]), ("GreyAlpha", [8, 16]), ("Rgba", [8, 16]) })
        foreach (var depth in depths)
        foreach (var interlaced in new[] { false, true })
            Assert.Contains(entries, e => e.ColorType == color && e.BitDepth == depth && e.Interlaced == interlaced);
        foreach (var interlaced in new[] { false, true })
            Assert.Equal([0, 1, 2, 3, 4], entries.Where(e => e.Interlaced == interlaced).SelectMany(e => e.Filters).Distinct().Order());
        Assert.Contains(entries, e => e.PaletteAlphaEntries is not null);
        Assert.Contains(entries, e => e.ColorKey is { Length: 1 });
        Assert.Contains(entries, e => e.ColorKey is { Length: 3 });
    }

    [Fact]
    public void DecodesPillowTextChunks()
    {
        var png = PngFile.Read(Fixtures.Path_("png", "pil_text_rgb8.png"));
        var types = PngBytes.Chunks(File.ReadAllBytes(Fixtures.Path_("png", "pil_text_rgb8.png"))).Select(c => c.Type).ToArray();
        Assert.Contains("tEXt", types);
        Assert.Contains("zTXt", types);
        Assert.Equal(2, types.Count(t => t == "iTXt"));

        Assert.Equal("a photo of a red fox in the snow", png.GetText("prompt"));
        Assert.Equal(string.Concat(Enumerable.Repeat("1234 ", 40)), png.GetText("seed"));
        var comment = png.Text.Single(t => t.Keyword == "Comment");
        Assert.Equal(new PngText("Comment", "Würstchen ✓ 北京", "de", "Kommentar"), comment);
        Assert.Equal(string.Concat(Enumerable.Repeat("ünïcödé ", 30)), png.GetText("Description"));
        Assert.Null(png.GetText("missing"));

        var image = png.Image;
        Assert.Equal((5, 4, 3, 8), (image.Width, image.Height, image.Channels, image.BitDepth));
        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 5; x++)
            Assert.Equal([x * 50, y * 60, (x + y) * 20], new[] { image[x, y, 0], image[x, y, 1], image[x, y, 2] }.Select(v => (int)v));
    }
}
