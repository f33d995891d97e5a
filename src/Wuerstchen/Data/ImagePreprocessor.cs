using Wuerstchen.IO.Png;

namespace Wuerstchen.Data;

/// <summary>
/// The per-sample transform of the diffusers training scripts, on decoded images: convert to RGB, resize the
/// shorter side to S with antialiasing (torchvision <c>Resize(S)</c>), cut an S×S window (<c>CenterCrop</c> or
/// <c>RandomCrop</c>), optionally mirror, and scale to [0, 1] or [−1, 1], written as planar [3, S, S] floats.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>torchvision's Resize(int) output size: shorter side = <paramref name="shorter"/>, longer side truncated <c>int(S · long / short)</c>.</summary>
    public static (int Height, int Width) ResizedSize(int height, int width, int shorter)
    {
        if (height <= width) return (shorter, (int)((long)shorter * width / height));
        return ((int)((long)shorter * height / width), shorter);
    }

    /// <summary>The crop window's top-left corner in a resized image of the given size.</summary>
    public static (int Top, int Left) CropOffsets(int height, int width, int size, CropMode mode, SampleAugmentation augmentation)
    {
        if (mode == CropMode.Center)
            // torchvision: int(round((h − S) / 2.0)); Python rounds half to even.
            return ((int)Math.Round((height - size) / 2.0, MidpointRounding.ToEven), (int)Math.Round((width - size) / 2.0, MidpointRounding.ToEven));
        return ((int)(augmentation.CropY * (height - size + 1)), (int)(augmentation.CropX * (width - size + 1)));
    }

    /// <summary>Transforms <paramref name="image"/> into <paramref name="destination"/> ([3, size, size] planar).</summary>
    public static void Process(Image image, int size, CropMode crop, SampleAugmentation augmentation, PixelRange range, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != 3 * size * size)
            throw new ArgumentException($"Destination holds {destination.Length} floats, not 3×{size}×{size}.", nameof(destination));
        var planes = RgbPlanes(image);
        int h = image.Height, w = image.Width;
        var (rh, rw) = ResizedSize(h, w, size);
        if (rh != h || rw != w)
        {
            var resized = new float[3 * rh * rw];
            AntialiasedResize.Resize(planes, 3, h, w, resized, rh, rw);
            planes = resized;
        }
        var (top, left) = CropOffsets(rh, rw, size, crop, augmentation);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < size; y++)
            {
                var src = planes.AsSpan((c * rh + top + y) * rw + left, size);
                var dst = destination.Slice((c * size + y) * size, size);
                for (int x = 0; x < size; x++)
                {
                    float v = src[augmentation.Flip ? size - 1 - x : x];
                    dst[x] = range == PixelRange.MinusOneToOne ? 2f * v - 1f : v;
                }
            }
        }
    }

    /// <summary>
    /// Planar RGB in [0, 1]: grey is replicated into three channels and alpha is dropped, as PIL's
    /// <c>convert("RGB")</c> does (no compositing onto a background).
    /// </summary>
    public static float[] RgbPlanes(Image image)
    {
        int plane = image.Width * image.Height, channels = image.Channels;
        var samples = image.Samples;
        float max = image.MaxValue; // divide, as torchvision's ToTensor (x / 255), not multiply by the reciprocal
        var planes = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            int source = image.IsGrey ? 0 : c;
            var dst = planes.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = samples[i * channels + source] / max;
        }
        return planes;
    }
}
