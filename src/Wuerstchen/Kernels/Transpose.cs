namespace Wuerstchen.Kernels;

/// <summary>Batched 2-d transposes, the layout changes between NCHW and channels-last (NHWC).</summary>
public static unsafe class Transpose
{
    private const int Tile = 32;

    /// <summary>
    /// y[b, j, i] = x[b, i, j] for x [batch, rows, cols]. Works in 32×32 tiles so both the reads and the writes
    /// stay within a few cache lines per row (a naive strided gather touches a new line for every element).
    /// </summary>
    public static void Batched(float* x, int batch, int rows, int cols, float* y)
    {
        if (batch <= 0 || rows <= 0 || cols <= 0) return;
        int tilesR = (rows + Tile - 1) / Tile, tilesC = (cols + Tile - 1) / Tile;
        long plane = (long)rows * cols;
        // Work items are bands of tile rows, enough for every thread even with a single image.
        Threads.For(batch * tilesR, item =>
        {
            int b = item / tilesR, r0 = item % tilesR * Tile;
            int r1 = Math.Min(rows, r0 + Tile);
            float* xb = x + b * plane, yb = y + b * plane;
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(cols, c0 + Tile);
                for (int r = r0; r < r1; r++)
                {
                    float* src = xb + (long)r * cols;
                    float* dst = yb + r;
                    for (int c = c0; c < c1; c++) dst[(long)c * rows] = src[c];
                }
            }
        });
    }
}
