using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Wuerstchen.IO.Png;

/// <summary>How to write a PNG.</summary>
public sealed record PngWriteOptions
{
    /// <summary>Text entries (e.g. prompt, seed, steps), written before the image data.</summary>
    public IReadOnlyList<PngText> Text { get; init; } = [];

    /// <summary>zlib effort; <see cref="CompressionLevel.Optimal"/> is zlib's default level.</summary>
    public CompressionLevel Compression { get; init; } = CompressionLevel.Optimal;

    /// <summary>One filter for every row, or null for the per-row adaptive choice (minimum sum of absolute differences).</summary>
    public PngFilter? Filter { get; init; }
}

/// <summary>
/// Encodes 8- or 16-bit grey, grey + alpha, RGB and RGBA images as non-interlaced PNGs: IHDR, text chunks,
/// IDAT (zlib through <see cref="ZLibStream"/>, split into chunks of at most <see cref="MaxIdatChunk"/> bytes), IEND.
/// </summary>
internal static class PngEncoder
{
    public const int MaxIdatChunk = 1 << 16;

    public static void Encode(Image image, PngWriteOptions options, Stream output)
    {
        var colorType = image.Channels switch
        {
            1 => PngColorType.Grey,
            2 => PngColorType.GreyAlpha,
            3 => PngColorType.Rgb,
            _ => PngColorType.Rgba,
        };
        var header = new PngHeader(image.Width, image.Height, image.BitDepth, colorType, Interlaced: false);
        // Encode text first: a bad keyword must fail before any byte is written.
        var textChunks = options.Text.Select(PngTextChunks.Encode).ToArray();

        output.Write(PngDecoder.Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = (byte)image.BitDepth;
        ihdr[9] = (byte)colorType;
        // ihdr[10..13]: compression 0 (deflate), filter method 0, interlace 0 (none)
        WriteChunk(output, "IHDR", ihdr);
        foreach (var (type, data) in textChunks) WriteChunk(output, type, data);

        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, options.Compression, leaveOpen: true))
            WriteFilteredRows(image, header, options.Filter, z);
        var idat = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        for (int start = 0; start < idat.Length; start += MaxIdatChunk)
            WriteChunk(output, "IDAT", idat.Slice(start, Math.Min(MaxIdatChunk, idat.Length - start)));
        WriteChunk(output, "IEND", []);
    }

    private static void WriteFilteredRows(Image image, PngHeader header, PngFilter? fixedFilter, Stream z)
    {
        int rowBytes = (int)header.RowBytes(image.Width);
        int stride = header.FilterStride;
        int samplesPerRow = image.Width * image.Channels;
        var row = new byte[rowBytes];
        var previous = new byte[rowBytes];
        var filtered = new byte[1 + rowBytes];
        var scratch = new byte[rowBytes];
        var samples = image.Samples;
        for (int y = 0; y < image.Height; y++)
        {
            var src = samples.AsSpan(y * samplesPerRow, samplesPerRow);
            if (image.BitDepth == 8)
                for (int i = 0; i < src.Length; i++) row[i] = (byte)src[i];
            else
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * i), src[i]);

            var body = filtered.AsSpan(1);
            if (fixedFilter is { } f)
            {
                filtered[0] = (byte)f;
                PngFilters.Apply(f, row, previous, stride, body);
            }
            else
            {
                filtered[0] = (byte)PngFilters.ChooseAdaptive(row, previous, stride, scratch, body);
            }
            z.Write(filtered);
            (row, previous) = (previous, row);
        }
    }

    public static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head[4..]);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, head[4..]), data));
        output.Write(head);
        output.Write(data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        output.Write(tail);
    }
}
