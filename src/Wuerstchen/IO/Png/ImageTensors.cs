using Wuerstchen.Tensors;

namespace Wuerstchen.IO.Png;

/// <summary>Value range of image tensors: [0, 1] (pipeline outputs, torchvision's ToTensor) or [−1, 1] (VAE/VQGAN inputs).</summary>
public enum PixelRange { ZeroToOne, MinusOneToOne }

/// <summary>
/// Conversions between <see cref="Image"/>s and NCHW float32 tensors, with the rounding diffusers uses, so a
/// saved PNG holds exactly the bytes a diffusers pipeline's PIL output would.
/// </summary>
public static class ImageTensors
{
    /// <summary>One image as a [1, C, H, W] tensor: sample / max (e.g. /255, as torchvision's ToTensor), then mapped to <paramref name="range"/>.</summary>
    public static Tensor ToTensor(Image image, PixelRange range = PixelRange.ZeroToOne) => ToTensor([image], range);

    /// <summary>Images of one size and channel count as a [B, C, H, W] tensor.</summary>
    public static Tensor ToTensor(IReadOnlyList<Image> images, PixelRange range = PixelRange.ZeroToOne)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images given.", nameof(images));
        var first = images[0];
        foreach (var im in images)
        {
            if (im.Width != first.Width || im.Height != first.Height || im.Channels != first.Channels)
                throw new ArgumentException($"Images differ: {im} vs {first}; a batch needs one size and channel count.", nameof(images));
        }
        int c = first.Channels, h = first.Height, w = first.Width, plane = h * w;
        var t = Tensor.Empty(images.Count, c, h, w);
        var dst = t.AsSpan();
        for (int b = 0; b < images.Count; b++)
        {
            var samples = images[b].Samples;
            float max = images[b].MaxValue;
            for (int ch = 0; ch < c; ch++)
            {
                var outPlane = dst.Slice((b * c + ch) * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    float v = samples[i * c + ch] / max;
                    // diffusers' normalize: 2·x − 1, in float32.
                    outPlane[i] = range == PixelRange.ZeroToOne ? v : 2f * v - 1f;
                }
            }
        }
        return t;
    }

    /// <summary>
    /// Splits a [B, C, H, W] (or [C, H, W]) tensor into images, C = 1..4. Values are mapped from <paramref name="range"/>
    /// to [0, 1] (x/2 + 0.5 for [−1, 1], as diffusers' denormalize), clamped, then quantised as diffusers'
    /// <c>numpy_to_pil</c> does: <c>round(x·255)</c> in float32 with ties to even (numpy's round); NaN becomes 0.
    /// </summary>
    public static Image[] FromTensor(Tensor images, PixelRange range = PixelRange.ZeroToOne, int bitDepth = 8)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank is not (3 or 4))
            throw new ArgumentException($"Expected an image tensor [B, C, H, W] or [C, H, W], got {images}.", nameof(images));
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), $"Bit depth {bitDepth}; 8 or 16 expected.");
        int batch = images.Rank == 4 ? images.Size(0) : 1;
        int c = images.Size(-3), h = images.Size(-2), w = images.Size(-1), plane = h * w;
        if (c is < 1 or > 4) throw new ArgumentException($"{images} has {c} channels; images have 1 to 4.", nameof(images));
        var values = images.ToArray(); // logical order, whatever the strides
        float scale = (1 << bitDepth) - 1;
        var result = new Image[batch];
        for (int b = 0; b < batch; b++)
        {
            var samples = new ushort[(long)plane * c];
            for (int ch = 0; ch < c; ch++)
            {
                var src = values.AsSpan((b * c + ch) * plane, plane);
                for (int i = 0; i < plane; i++) samples[i * c + ch] = Quantize(src[i], range, scale);
            }
            result[b] = new Image(w, h, c, bitDepth, samples);
        }
        return result;
    }

    private static ushort Quantize(float x, PixelRange range, float scale)
    {
        if (range == PixelRange.MinusOneToOne) x = x / 2f + 0.5f;
        if (float.IsNaN(x)) return 0;
        x = Math.Clamp(x, 0f, 1f);
        return (ushort)MathF.Round(x * scale, MidpointRounding.ToEven);
    }

    /// <summary>
    /// Saves each batch row of a [B, C, H, W] tensor as a PNG, at <paramref name="pathForImage"/>(b); returns the paths.
    /// Each file is written atomically.
    /// </summary>
    public static string[] SavePngs(Tensor images, Func<int, string> pathForImage, PngWriteOptions? options = null,
        PixelRange range = PixelRange.ZeroToOne, int bitDepth = 8)
    {
        ArgumentNullException.ThrowIfNull(pathForImage);
        var list = FromTensor(images, range, bitDepth);
        var paths = new string[list.Length];
        for (int b = 0; b < list.Length; b++)
        {
            paths[b] = pathForImage(b);
            PngFile.Write(paths[b], list[b], options);
        }
        return paths;
    }
}
