namespace Wuerstchen.Kernels;

/// <summary>Data movement: concatenation blocks and pixel (un)shuffle.</summary>
public static unsafe class Shuffle
{
    /// <summary>
    /// Copies <paramref name="outer"/> blocks of <paramref name="block"/> floats from src (packed) to dst, where
    /// dst's blocks are <paramref name="dstStride"/> apart — one operand of a concatenation.
    /// </summary>
    public static void CopyBlocks(float* src, long outer, long block, float* dst, long dstStride)
    {
        if (outer <= 0 || block <= 0) return;
        long perItem = Math.Max(1, Elementwise.ParallelGrain / block);
        long items = (outer + perItem - 1) / perItem;
        Threads.For((int)items, item =>
        {
            long last = Math.Min(outer, (item + 1) * perItem);
            for (long o = item * perItem; o < last; o++)
                Buffer.MemoryCopy(src + o * block, dst + o * dstStride, block * 4, block * 4);
        });
    }

    /// <summary>
    /// torch PixelShuffle: x[n, c·r², h, w] → y[n, c, h·r, w·r] with y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w].
    /// <paramref name="planes"/> = n·c.
    /// </summary>
    public static void PixelShuffle(float* x, float* y, long planes, int r, int h, int w)
    {
        long inPlane = (long)h * w, outRow = (long)w * r;
        Threads.For((int)planes, p =>
        {
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    float* src = x + (p * r * r + i * r + j) * inPlane;
                    float* dst = y + p * r * r * inPlane + i * outRow + j;
                    for (int hh = 0; hh < h; hh++)
                    {
                        float* s = src + hh * w, d = dst + hh * r * outRow;
                        for (int ww = 0; ww < w; ww++) d[ww * r] = s[ww];
                    }
                }
        });
    }

    /// <summary>torch PixelUnshuffle, the inverse of <see cref="PixelShuffle"/>: x[n, c, h·r, w·r] → y[n, c·r², h, w].</summary>
    public static void PixelUnshuffle(float* x, float* y, long planes, int r, int h, int w)
    {
        long outPlane = (long)h * w, inRow = (long)w * r;
        Threads.For((int)planes, p =>
        {
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    float* dst = y + (p * r * r + i * r + j) * outPlane;
                    float* src = x + p * r * r * outPlane + i * inRow + j;
                    for (int hh = 0; hh < h; hh++)
                    {
                        float* s = src + hh * r * inRow, d = dst + hh * w;
                        for (int ww = 0; ww < w; ww++) d[ww] = s[ww * r];
                    }
                }
        });
    }
}
