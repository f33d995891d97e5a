namespace Wuerstchen.IO.Png;

/// <summary>
/// A raster image: <see cref="Height"/> rows of <see cref="Width"/> pixels, each with <see cref="Channels"/>
/// interleaved samples (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) of <see cref="BitDepth"/> 8 or 16 bits.
/// Samples are kept as <c>ushort</c> whatever the depth, so 8- and 16-bit images share one code path;
/// an 8-bit image holds values 0..255.
/// </summary>
public sealed class Image
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public int BitDepth { get; }

    /// <summary>Row-major interleaved samples: index <c>(y·Width + x)·Channels + c</c>.</summary>
    public ushort[] Samples { get; }

    /// <summary>The largest sample value: 255 or 65535.</summary>
    public int MaxValue => (1 << BitDepth) - 1;

    public bool HasAlpha => Channels is 2 or 4;
    public bool IsGrey => Channels <= 2;

    /// <summary>A black (and fully transparent, if it has alpha) image.</summary>
    public Image(int width, int height, int channels, int bitDepth = 8)
        : this(width, height, channels, bitDepth, null) { }

    /// <summary>Wraps <paramref name="samples"/> (not copied), which must hold Width·Height·Channels values within the depth.</summary>
    public Image(int width, int height, int channels, int bitDepth, ushort[]? samples)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}×{height} must be positive.");
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), $"{channels} channels; an image has 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).");
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), $"Bit depth {bitDepth}; images hold 8- or 16-bit samples.");
        long count = (long)width * height * channels;
        if (count > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(width), $"Image {width}×{height}×{channels} has too many samples.");
        Width = width; Height = height; Channels = channels; BitDepth = bitDepth;
        if (samples is null)
        {
            Samples = new ushort[count];
        }
        else
        {
            if (samples.LongLength != count)
                throw new ArgumentException($"{samples.LongLength} samples given; a {width}×{height} image with {channels} channels needs {count}.", nameof(samples));
            if (bitDepth == 8)
            {
                foreach (var s in samples)
                    if (s > 255) throw new ArgumentException($"Sample value {s} does not fit an 8-bit image.", nameof(samples));
            }
            Samples = samples;
        }
    }

    public ushort this[int x, int y, int channel]
    {
        get => Samples[Index(x, y, channel)];
        set => Samples[Index(x, y, channel)] = CheckedSample(value);
    }

    private ushort CheckedSample(ushort value) =>
        value <= MaxValue ? value : throw new ArgumentOutOfRangeException(nameof(value), $"Sample value {value} does not fit a {BitDepth}-bit image.");

    private int Index(int x, int y, int channel)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || (uint)channel >= (uint)Channels)
            throw new IndexOutOfRangeException($"Pixel ({x}, {y}) channel {channel} is outside the {Width}×{Height}×{Channels} image.");
        return (y * Width + x) * Channels + channel;
    }

    public override string ToString() => $"Image({Width}×{Height}, {Channels} channels, {BitDepth}-bit)";
}
