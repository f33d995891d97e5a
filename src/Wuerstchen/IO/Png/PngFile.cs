namespace Wuerstchen.IO.Png;

/// <summary>Reading and writing PNG files.</summary>
public static class PngFile
{
    /// <summary>Default cap on decoded pixels (16384²): a hostile header cannot make the decoder allocate more.</summary>
    public const long DefaultMaxPixels = 1L << 28;

    /// <summary>Decodes PNG bytes; <paramref name="source"/> names them in error messages.</summary>
    public static PngImage Decode(ReadOnlySpan<byte> png, string source = "PNG data", long maxPixels = DefaultMaxPixels) =>
        PngDecoder.Decode(png, source, maxPixels);

    /// <summary>Reads and decodes a PNG file; errors are <see cref="InvalidDataException"/>s naming the path.</summary>
    public static PngImage Read(string path, long maxPixels = DefaultMaxPixels) =>
        PngDecoder.Decode(File.ReadAllBytes(path), path, maxPixels);

    /// <summary>Encodes <paramref name="image"/> as PNG bytes.</summary>
    public static byte[] Encode(Image image, PngWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var output = new MemoryStream();
        PngEncoder.Encode(image, options ?? new PngWriteOptions(), output);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Write(string path, Image image, PngWriteOptions? options = null)
    {
        // Encode before touching the disk: invalid options fail without creating anything.
        var bytes = Encode(image, options);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
