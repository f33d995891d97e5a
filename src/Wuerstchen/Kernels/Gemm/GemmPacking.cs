using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

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
    /// One B panel from B stored N×K (a Linear weight [out, in]): panel[p][j] = src[j·ldb + p], a transpose.
    /// With AVX it moves 8×8 blocks through registers (8 row loads, 24 shuffles, 8 stores); the scalar loop
    /// handles ragged edges and machines without AVX.
    /// </summary>
    private static void PackTransposedPanel(float* src, long ldb, int kc, int cols, int nr, float* dst)
    {
        int p0 = 0;
        if (Avx.IsSupported && cols == nr && nr % 8 == 0)
        {
            for (; p0 + 8 <= kc; p0 += 8)
                for (int j = 0; j < nr; j += 8)
                    Transpose8x8(src + j * ldb + p0, ldb, dst + (long)p0 * nr + j, nr);
        }
        // Scalar remainder, in chunks of 16 depths so the NR destination rows being filled stay in L1.
        const int Chunk = 16;
        for (int pb = p0; pb < kc; pb += Chunk)
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

    /// <summary>dst[i·ldd + r] = src[r·lds + i] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4×4 sub-block.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Join the low lanes (columns 0–3) and the high lanes (columns 4–7) of rows 0–3 and 4–7.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
