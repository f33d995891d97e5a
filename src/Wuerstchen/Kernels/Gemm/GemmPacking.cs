namespace Wuerstchen.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the micro-panel layouts the kernels stream through: contiguous,
/// 64-byte aligned, zero-padded to whole panels so the kernels' k loops never test for edges.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows [i0, i0+mc) × depth [p0, p0+kc) of op(A) as MR-row micro-panels: panel q (rows i0+q·MR…) is
    /// [kc][MR] at dst + q·MR·kc; rows past mc are zero.
    /// </summary>
    public static void PackA(bool transA, float* a, long lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int q = 0; q < mc; q += mr, dst += (long)mr * kc)
        {
            int rows = Math.Min(mr, mc - q);
            if (transA)
            {
                // A stored K×M: depth p supplies the panel's rows as one contiguous run.
                float* src = a + (long)p0 * lda + i0 + q;
                for (int p = 0; p < kc; p++, src += lda)
                {
                    float* d = dst + (long)p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0;
                }
            }
            else
            {
                // A stored M×K: walk each source row once; the strided writes stay inside the L1-sized panel.
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + q + r) * lda + p0;
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++) d[(long)p * mr] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[(long)p * mr + r] = 0;
            }
        }
    }

    /// <summary>
    /// Depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) as NR-column micro-panels: panel q (columns
    /// j0+q·NR…) is [kc][NR] at dst + q·panelStride; columns past nc are zero.
    /// </summary>
    public static void PackB(bool transB, float* b, long ldb, int p0, int kc, int j0, int nc, int nr, float* dst, long panelStride)
    {
        for (int q = 0; q < nc; q += nr, dst += panelStride)
        {
            int cols = Math.Min(nr, nc - q);
            if (!transB)
            {
                // B stored K×N: depth p supplies the panel's columns as one contiguous run.
                float* src = b + (long)p0 * ldb + j0 + q;
                for (int p = 0; p < kc; p++, src += ldb)
                {
                    float* d = dst + (long)p * nr;
                    new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                    if (cols < nr) new Span<float>(d + cols, nr - cols).Clear();
                }
            }
            else
                PackTransposedPanel(b + (long)(j0 + q) * ldb + p0, ldb, kc, cols, nr, dst);
        }
    }

    /// <summary>
    /// One B panel from B stored N×K (a Linear weight [out, in]): panel[p][j] = src[j·ldb + p]. Depth is walked
    /// in chunks of 16 so the NR destination rows being filled stay in L1 while every source row is read
    /// sequentially.
    /// </summary>
    private static void PackTransposedPanel(float* src, long ldb, int kc, int cols, int nr, float* dst)
    {
        const int Chunk = 16;
        for (int pb = 0; pb < kc; pb += Chunk)
        {
            int pe = Math.Min(pb + Chunk, kc);
            for (int j = 0; j < cols; j++)
            {
                float* s = src + j * ldb;
                for (int p = pb; p < pe; p++) dst[(long)p * nr + j] = s[p];
            }
            for (int j = cols; j < nr; j++)
                for (int p = pb; p < pe; p++) dst[(long)p * nr + j] = 0;
        }
    }
}
