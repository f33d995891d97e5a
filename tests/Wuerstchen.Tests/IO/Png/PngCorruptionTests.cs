using System.Buffers.Binary;
using Wuerstchen.IO.Png;
using static Wuerstchen.Tests.IO.Png.PngBytes;

namespace Wuerstchen.Tests.IO.Png;

/// <summary>Damaged and hostile PNGs: each must end in an <see cref="InvalidDataException"/> naming the source, never another exception.</summary>
public class PngCorruptionTests
{
    private static InvalidDataException Rejected(byte[] png, params string[] mentions)
    {
        var e = Assert.Throws<InvalidDataException>(() => PngFile.Decode(png, "test.png"));
        Assert.StartsWith("test.png:", e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        return e;
    }

    /// <summary>A valid 3×2 RGB 8-bit image: one filter byte (None) and 9 bytes per row.</summary>
    private static byte[] RawRgb3x2 => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1];

    private static byte[] ValidRgb() => File(Ihdr(3, 2, 8, 2), Idat(RawRgb3x2), Iend());

    [Fact]
    public void HandBuiltBaseline_Decodes()
    {
        var png = PngFile.Decode(ValidRgb());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1], png.Image.Samples.Select(s => (int)s));
    }

    public static TheoryData<string> SmallFiles() => ["ours", "rgba8_3x2_adam7.png", "palette2_trns_adam7.png", "pil_text_rgb8.png"];

    private static byte[] Load(string name) => name == "ours"
        ? PngFile.Encode(new Image(4, 3, 4, 16), new PngWriteOptions { Text = [new PngText("k", "v"), new PngText("ü", "✓")] })
        : System.IO.File.ReadAllBytes(Fixtures.Path_("png", name));

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void EveryTruncation_IsRejected(string name)
    {
        var full = Load(name);
        PngFile.Decode(full);
        for (int n = 0; n < full.Length; n++) Rejected(full[..n]);
    }

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void EveryBitFlip_IsRejected(string name)
    {
        // Signature, lengths, types, data and CRCs: every byte of a PNG is covered by some check.
        var full = Load(name);
        for (int i = 0; i < full.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x20, 0x80 })
            {
                var bytes = (byte[])full.Clone();
                bytes[i] ^= flip;
                Rejected(bytes);
            }
        }
    }

    [Fact]
    public void BadSignature() => Rejected([.. "GIF89a"u8, 0, 0, 0, 0], "signature");

    [Fact]
    public void BadCrc()
    {
        var png = ValidRgb();
        png[8 + 8 + 13] ^= 0xFF; // first byte of IHDR's CRC
        Rejected(png, "IHDR", "CRC");
    }

    [Fact]
    public void ChunkLengthPastTheEnd()
    {
        var png = ValidRgb();
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(33), 0x7FFF_FFF0); // IDAT's length
        Rejected(png, "IDAT", "claims");
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(33), 0xFFFF_FFF0);
        Rejected(png, "IDAT", "claims");
    }

    [Fact]
    public void MissingChunks()
    {
        Rejected(File(Idat(RawRgb3x2), Iend()), "first chunk is IDAT");
        Rejected(File(Ihdr(3, 2, 8, 2), Iend()), "no IDAT");
        Rejected(File(Ihdr(3, 2, 8, 2), Idat(RawRgb3x2)), "without an IEND");
        Rejected(File(Ihdr(3, 2, 8, 3), Idat(RawRgb3x2), Iend()), "no PLTE");
        Rejected([.. Signature], "IEND");
    }

    [Theory]
    [InlineData(0u, 2u, "size")]
    [InlineData(3u, 0u, "size")]
    [InlineData(0x8000_0000u, 2u, "size")]
    [InlineData(0xFFFF_FFFFu, 0xFFFF_FFFFu, "size")]
    [InlineData(20000u, 20000u, "more than")]
    [InlineData(5000u, 5000u, "cannot hold")]
    public void BadOrHostileDimensions(uint width, uint height, string mention) =>
        Rejected(File(Ihdr(width, height, 8, 2), Idat(RawRgb3x2), Iend()), mention);

    [Theory]
    [InlineData(8, 1, 0, 0, 0, "colour type 1")]
    [InlineData(16, 3, 0, 0, 0, "bit depth 16")]
    [InlineData(4, 2, 0, 0, 0, "bit depth 4")]
    [InlineData(1, 6, 0, 0, 0, "bit depth 1")]
    [InlineData(8, 2, 1, 0, 0, "compression")]
    [InlineData(8, 2, 0, 1, 0, "filter method")]
    [InlineData(8, 2, 0, 0, 2, "interlace")]
    public void BadHeaderFields(byte depth, byte color, byte compression, byte filter, byte interlace, string mention) =>
        Rejected(File(Ihdr(3, 2, depth, color, interlace, compression, filter), Idat(RawRgb3x2), Iend()), mention);

    [Fact]
    public void HeaderProblems()
    {
        Rejected(File(Chunk("IHDR", new byte[12]), Idat(RawRgb3x2), Iend()), "13");
        Rejected(File(Ihdr(3, 2, 8, 2), Ihdr(3, 2, 8, 2), Idat(RawRgb3x2), Iend()), "second IHDR");
    }

    [Fact]
    public void MaxPixels_IsHonoured()
    {
        var png = ValidRgb();
        Assert.Equal(6, PngFile.Decode(png, maxPixels: 6).Image.Width * 2);
        Assert.Contains("more than the 5 pixels", Assert.Throws<InvalidDataException>(() => PngFile.Decode(png, maxPixels: 5)).Message);
    }

    [Fact]
    public void ZlibErrors()
    {
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x00, 0x12]), Iend()), "zlib");
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("IDAT", [0x12, 0x34, 0x56]), Iend()), "zlib");
        var z = Zlib(RawRgb3x2);
        z[^1] ^= 0x55; // Adler-32 checksum
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("IDAT", z), Iend()), "zlib");
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("IDAT", Zlib(RawRgb3x2)[..^6]), Iend()));
    }

    [Fact]
    public void WrongAmountOfImageData()
    {
        Rejected(File(Ihdr(3, 2, 8, 2), Idat(RawRgb3x2[..^1]), Iend()), "ends after 19 of 20");
        Rejected(File(Ihdr(3, 2, 8, 2), Idat([.. RawRgb3x2, 0]), Iend()), "more than the 20 bytes");
        Rejected(File(Ihdr(3, 2, 8, 2, interlace: 1), Idat(RawRgb3x2), Iend()));
    }

    [Fact]
    public void SplitImageData_MustBeConsecutive()
    {
        var z = Zlib(RawRgb3x2);
        var ok = File(Ihdr(3, 2, 8, 2), Chunk("IDAT", z[..5]), Chunk("IDAT", z[5..]), Iend());
        Assert.Equal(18, PngFile.Decode(ok).Image.Samples.Length);
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("IDAT", z[..5]), Chunk("tEXt", "a\0b"u8), Chunk("IDAT", z[5..]), Iend()), "not consecutive");
    }

    [Fact]
    public void UnknownFilterType()
    {
        var raw = RawRgb3x2;
        raw[10] = 5;
        Rejected(File(Ihdr(3, 2, 8, 2), Idat(raw), Iend()), "row 1", "filter type 5");
    }

    [Fact]
    public void PaletteProblems()
    {
        byte[] plte = [1, 2, 3, 4, 5, 6];
        byte[] raw = [0, 0b0001_0000]; // 2×1 image, 4-bit indices 1 and 0
        var ok = PngFile.Decode(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte), Idat(raw), Iend()));
        Assert.Equal([4, 5, 6, 1, 2, 3], ok.Image.Samples.Select(s => (int)s));

        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte), Idat([0, 0b0010_0000]), Iend()), "palette index 2");
        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte[..5]), Idat(raw), Iend()), "PLTE has 5 bytes");
        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", []), Idat(raw), Iend()), "PLTE");
        Rejected(File(Ihdr(2, 1, 1, 3), Chunk("PLTE", [.. plte, 7, 8, 9]), Idat([0, 0]), Iend()), "3 entries");
        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte), Chunk("PLTE", plte), Idat(raw), Iend()), "second PLTE");
        Rejected(File(Ihdr(2, 1, 4, 3), Idat(raw), Chunk("PLTE", plte), Iend()), "no PLTE");
        Rejected(File(Ihdr(2, 1, 8, 0), Chunk("PLTE", plte), Idat([0, 1, 2]), Iend()), "greyscale");
        // A suggested palette in an RGB image is allowed and ignored.
        Assert.Equal(18, PngFile.Decode(File(Ihdr(3, 2, 8, 2), Chunk("PLTE", plte), Idat(RawRgb3x2), Iend())).Image.Samples.Length);
    }

    [Fact]
    public void TransparencyProblems()
    {
        byte[] plte = [1, 2, 3, 4, 5, 6];
        byte[] raw = [0, 0b0001_0000];
        var ok = PngFile.Decode(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte), Chunk("tRNS", [77]), Idat(raw), Iend()));
        Assert.Equal([4, 5, 6, 255, 1, 2, 3, 77], ok.Image.Samples.Select(s => (int)s));

        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("PLTE", plte), Chunk("tRNS", [1, 2, 3]), Idat(raw), Iend()), "3 entries for a 2-entry palette");
        Rejected(File(Ihdr(2, 1, 4, 3), Chunk("tRNS", [1]), Chunk("PLTE", plte), Idat(raw), Iend()), "before PLTE");
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("tRNS", [0, 1, 0, 2]), Idat(RawRgb3x2), Iend()), "expected 6");
        Rejected(File(Ihdr(3, 2, 8, 0), Chunk("tRNS", [0]), Idat(new byte[8]), Iend()), "expected 2");
        Rejected(File(Ihdr(1, 1, 8, 6), Chunk("tRNS", [0, 0]), Idat(new byte[5]), Iend()), "not allowed");
        Rejected(File(Ihdr(3, 2, 8, 2), Idat(RawRgb3x2), Chunk("tRNS", new byte[6]), Iend()), "after the image data");
    }

    [Fact]
    public void UnknownChunks()
    {
        var withAncillary = File(Ihdr(3, 2, 8, 2), Chunk("prVt", [1, 2, 3]), Idat(RawRgb3x2), Chunk("gAMA", [0, 0, 177, 143]), Iend());
        Assert.Equal(18, PngFile.Decode(withAncillary).Image.Samples.Length);
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("CRIT", []), Idat(RawRgb3x2), Iend()), "unknown critical chunk CRIT");
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("ab1d", []), Idat(RawRgb3x2), Iend()), "invalid type");
        Rejected(File(Ihdr(3, 2, 8, 2), Idat(RawRgb3x2), Chunk("IEND", [0])), "IEND");
        // Bytes after IEND are ignored, as other decoders do.
        Assert.Equal(18, PngFile.Decode([.. ValidRgb(), 1, 2, 3]).Image.Samples.Length);
    }

    [Fact]
    public void MalformedTextChunks()
    {
        byte[] Png(string type, byte[] data) => File(Ihdr(3, 2, 8, 2), Chunk(type, data), Idat(RawRgb3x2), Iend());
        Rejected(Png("tEXt", "no terminator"u8.ToArray()), "tEXt", "terminator");
        Rejected(Png("tEXt", "\0text"u8.ToArray()), "tEXt", "keyword");
        Rejected(Png("tEXt", [.. Enumerable.Repeat((byte)'k', 80), 0]), "keyword has 80 bytes");
        Rejected(Png("zTXt", [(byte)'k', 0, 1, 0x78, 0x9C]), "zTXt", "compression method");
        Rejected(Png("zTXt", [(byte)'k', 0, 0, 0x12, 0x34]), "zTXt", "zlib");
        Rejected(Png("iTXt", [(byte)'k', 0, 0]), "iTXt", "truncated");
        Rejected(Png("iTXt", [(byte)'k', 0, 2, 0, 0, 0]), "iTXt", "compression flag 2");
        Rejected(Png("iTXt", [(byte)'k', 0, 0, 0, (byte)'e', (byte)'n']), "language tag");
        Rejected(Png("iTXt", [(byte)'k', 0, 0, 0, 0, (byte)'x']), "translated keyword");
        Rejected(Png("iTXt", [(byte)'k', 0, 0, 0, 0, 0, 0xC3, 0x28]), "UTF-8");
        Rejected(Png("iTXt", [(byte)'k', 0, 1, 0, 0, 0, 0x12, 0x34]), "iTXt", "zlib");
    }

    [Fact]
    public void CompressedTextBombs_AreRefused()
    {
        var bomb = Zlib(new byte[20 << 20]);
        Assert.True(bomb.Length < 100_000);
        Rejected(File(Ihdr(3, 2, 8, 2), Chunk("zTXt", [(byte)'k', 0, 0, .. bomb]), Idat(RawRgb3x2), Iend()), "inflates past");
    }
}
