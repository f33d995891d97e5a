namespace Wuerstchen.Data;

/// <summary>
/// Separable antialiased bilinear resampling of planar float images: the algorithm of PIL's <c>Image.resize(…,
/// BILINEAR)</c>, which torchvision's <c>Resize</c> runs on PIL images and which torch's
/// <c>interpolate(…, antialias=True)</c> reproduces. When shrinking by s the triangle filter is widened to a radius
/// of s input pixels, so every input pixel contributes (no aliasing, unlike plain bilinear sampling); when
/// enlarging it is ordinary half-pixel-centred bilinear interpolation. Taps falling outside the image are dropped
/// and the remaining weights renormalised, as PIL does. Computed in float32 (PIL works in 8-bit fixed point, so
/// results agree to about one 8-bit step).
/// </summary>
public static class AntialiasedResize
{
    /// <summary>Resizes <paramref name="channels"/> planes of inH×inW to outH×outW.</summary>
    public static void Resize(ReadOnlySpan<float> source, int channels, int inH, int inW, Span<float> destination, int outH, int outW)
    {
        if (channels <= 0 || inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0)
            throw new ArgumentOutOfRangeException(nameof(channels), $"Cannot resize {channels}×{inH}×{inW} to {outH}×{outW}.");
        if (source.Length != (long)channels * inH * inW)
            throw new ArgumentException($"Source holds {source.Length} values, not {channels}×{inH}×{inW}.", nameof(source));
        if (destination.Length != (long)channels * outH * outW)
            throw new ArgumentException($"Destination holds {destination.Length} values, not {channels}×{outH}×{outW}.", nameof(destination));

        var columns = Taps.For(inW, outW);
        var rows = Taps.For(inH, outH);
        var horizontal = new float[inH * outW];
        for (int c = 0; c < channels; c++)
        {
            var src = source.Slice(c * inH * inW, inH * inW);
            var dst = destination.Slice(c * outH * outW, outH * outW);
            for (int y = 0; y < inH; y++)
            {
                var row = src.Slice(y * inW, inW);
                for (int x = 0; x < outW; x++)
                    horizontal[y * outW + x] = columns.Apply(x, row);
            }
            for (int y = 0; y < outH; y++)
            {
                int first = rows.First[y];
                var weights = rows.Weights(y);
                for (int x = 0; x < outW; x++)
                {
                    float sum = 0;
                    for (int k = 0; k < weights.Length; k++) sum += weights[k] * horizontal[(first + k) * outW + x];
                    dst[y * outW + x] = sum;
                }
            }
        }
    }

    /// <summary>The filter taps of one axis: for output i, weights over input [First[i], First[i] + Count[i]).</summary>
    internal sealed class Taps
    {
        public int[] First = [];
        public int[] Count = [];
        private float[] _weights = [];
        private int _stride;

        public ReadOnlySpan<float> Weights(int i) => _weights.AsSpan(i * _stride, Count[i]);

        public float Apply(int i, ReadOnlySpan<float> line)
        {
            var w = Weights(i);
            int first = First[i];
            float sum = 0;
            for (int k = 0; k < w.Length; k++) sum += w[k] * line[first + k];
            return sum;
        }

        public static Taps For(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = filterScale; // the triangle filter's radius is 1, stretched by the downscale factor
            int stride = (int)Math.Ceiling(support) * 2 + 1;
            var taps = new Taps { First = new int[outSize], Count = new int[outSize], _weights = new float[outSize * stride], _stride = stride };
            for (int i = 0; i < outSize; i++)
            {
                double center = (i + 0.5) * scale;
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), inSize);
                int count = max - min;
                double total = 0;
                var w = new double[count];
                for (int k = 0; k < count; k++)
                {
                    w[k] = Math.Max(0, 1 - Math.Abs((k + min - center + 0.5) / filterScale));
                    total += w[k];
                }
                for (int k = 0; k < count; k++) taps._weights[i * stride + k] = (float)(total > 0 ? w[k] / total : 0);
                taps.First[i] = min;
                taps.Count[i] = count;
            }
            return taps;
        }
    }
}
