namespace Wuerstchen.IO.Png;

/// <summary>PNG colour types (the IHDR byte).</summary>
public enum PngColorType : byte { Grey = 0, Rgb = 2, Palette = 3, GreyAlpha = 4, Rgba = 6 }

/// <summary>The image header (IHDR) of a PNG file, validated.</summary>
public sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel as stored in the file (a palette index counts as one).</summary>
    public int StoredChannels => ColorType switch
    {
        PngColorType.Grey or PngColorType.Palette => 1,
        PngColorType.GreyAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    public int BitsPerPixel => StoredChannels * BitDepth;

    /// <summary>Bytes per complete pixel, at least 1: the distance filters look back.</summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Bytes of one stored row of <paramref name="width"/> pixels, without its filter byte.</summary>
    public long RowBytes(long width) => (width * BitsPerPixel + 7) / 8;

    /// <summary>Whether the bit depth is one the PNG specification allows for the colour type.</summary>
    public static bool IsValidCombination(PngColorType colorType, int bitDepth) => colorType switch
    {
        PngColorType.Grey => bitDepth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Palette => bitDepth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GreyAlpha or PngColorType.Rgba => bitDepth is 8 or 16,
        _ => false,
    };
}
