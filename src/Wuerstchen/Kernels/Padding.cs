namespace Wuerstchen.Kernels;

/// <summary>Constant-zero and replicate padding of the last two dims of [planes, h, w] data.</summary>
public static unsafe class Padding
{
    /// <summary>
    /// y[p, oy, ox] = x[p, oy − top, ox − left] inside the input; outside it 0 (zeros) or the nearest edge value
    /// (replicate). Negative pads crop, as in torch's F.pad.
    /// </summary>
    public static void Pad2d(float* x, long planes, int h, int w, int left, int top, float* y, int oh, int ow, bool replicate)
    {
        long inPlane = (long)h * w, outPlane = (long)oh * ow;
        // Output columns [lo, hi) read input columns [lo − left, hi − left) directly.
        int lo = Math.Clamp(left, 0, ow), hi = Math.Clamp(left + w, lo, ow);
        Threads.For((int)Math.Min(planes, int.MaxValue), p =>
        {
            float* xp = x + p * inPlane, yp = y + p * outPlane;
            for (int oy = 0; oy < oh; oy++)
            {
                float* dst = yp + (long)oy * ow;
                int iy = oy - top;
                if (!replicate && (uint)iy >= (uint)h) { new Span<float>(dst, ow).Clear(); continue; }
                float* src = xp + (long)Math.Clamp(iy, 0, h - 1) * w;
                if (hi > lo) Buffer.MemoryCopy(src + lo - left, dst + lo, (hi - lo) * 4L, (hi - lo) * 4L);
                if (replicate)
                {
                    new Span<float>(dst, lo).Fill(src[0]);
                    new Span<float>(dst + hi, ow - hi).Fill(src[w - 1]);
                }
                else
                {
                    new Span<float>(dst, lo).Clear();
                    new Span<float>(dst + hi, ow - hi).Clear();
                }
            }
        });
    }
}
