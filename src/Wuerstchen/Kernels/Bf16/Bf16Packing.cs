using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// Rounds float32 GEMM operands to bf16 and lays them out for the bf16 micro-kernels, depth in pairs
/// (<see cref="BFloat16.Pair"/>): one uint32 holds depths 2p and 2p+1, which <c>vdpbf16ps</c> multiplies and
/// sums in one lane. An odd depth is padded with a zero, rows/columns past the edge are zero, so the kernels
/// never test for edges.
/// <list type="bullet">
/// <item>A micro-panel (MR rows): [pairs][MR] uint32, the MR pairs of one depth pair side by side, each
/// broadcast in turn to all 16 lanes.</item>
/// <item>B micro-panel (NR = 32 columns): [pairs][32] uint32, one depth pair of 32 columns = two zmm loads.</item>
/// </list>
/// </summary>
internal static unsafe class Bf16Packing
{
    public const int MR = 12;
    public const int NR = 32;

    /// <summary>Depth pairs covering <paramref name="k"/> depths.</summary>
    public static int Pairs(int k) => (k + 1) >> 1;

    /// <summary>
    /// Rows [i0, i0+mc) × depths [p0, p0+kc) of A (row-major, row stride lda; p0 even) as MR-row panels:
    /// panel q is at dst + q·MR·pairs.
    /// </summary>
    public static void PackA(float* a, long lda, int i0, int mc, int p0, int kc, uint* dst)
    {
        int pairs = Pairs(kc);
        uint* row = stackalloc uint[256];
        for (int q = 0; q < mc; q += MR, dst += (long)MR * pairs)
        {
            int rows = Math.Min(MR, mc - q);
            float* panel = a + (i0 + q) * lda + p0;
            // Full panels go through registers 4 rows × 16 pairs at a time; the depth tail and short panels take
            // the scalar scatter below.
            int vectorPairs = Avx512F.IsSupported && rows == MR ? (kc / 32) * 16 : 0;
            for (int r = 0; r < MR; r += 4)
                for (int p = 0; p < vectorPairs; p += 16)
                    TransposePairs4x16(panel + r * lda + 2 * p, lda, dst + (long)p * MR + r);
            for (int r = 0; r < MR; r++)
            {
                uint* d = dst + r;
                if (r >= rows)
                {
                    for (int p = 0; p < pairs; p++) d[(long)p * MR] = 0;
                    continue;
                }
                float* s = panel + r * lda;
                // Convert a chunk of the row contiguously, then scatter it down the panel's column r.
                for (int p = vectorPairs; p < pairs; p += 256)
                {
                    int n = Math.Min(256, pairs - p);
                    RowPairs(s + 2 * p, Math.Min(2 * n, kc - 2 * p), row);
                    for (int t = 0; t < n; t++) d[(long)(p + t) * MR] = row[t];
                }
            }
        }
    }

    /// <summary>
    /// 16 depth pairs of 4 consecutive A rows (32 floats each, row stride lda) into a panel's columns r..r+3:
    /// dst[t·MR + i] = pair t of row i. Rounded 16 pairs a row, then a 4×16 transpose through two unpack stages,
    /// each 128-bit lane of the result being one depth pair's four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposePairs4x16(float* src, long lda, uint* dst)
    {
        var r0 = RowPairs16(src);
        var r1 = RowPairs16(src + lda);
        var r2 = RowPairs16(src + 2 * lda);
        var r3 = RowPairs16(src + 3 * lda);
        // Per 128-bit lane j (pairs 4j..4j+3): t0 = r0[4j] r1[4j] r0[4j+1] r1[4j+1], t1 = the same for 4j+2, 4j+3.
        var t0 = Avx512F.UnpackLow(r0, r1).AsUInt64();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsUInt64();
        var t2 = Avx512F.UnpackLow(r2, r3).AsUInt64();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsUInt64();
        // u_k lane j = rows 0..3 of pair 4j + k.
        var u0 = Avx512F.UnpackLow(t0, t2).AsUInt32();
        var u1 = Avx512F.UnpackHigh(t0, t2).AsUInt32();
        var u2 = Avx512F.UnpackLow(t1, t3).AsUInt32();
        var u3 = Avx512F.UnpackHigh(t1, t3).AsUInt32();
        StoreLanes(u0, u1, u2, u3, 0, dst);
        StoreLanes(u0, u1, u2, u3, 1, dst + 4 * MR);
        StoreLanes(u0, u1, u2, u3, 2, dst + 8 * MR);
        StoreLanes(u0, u1, u2, u3, 3, dst + 12 * MR);
    }

    /// <summary>128-bit lane <paramref name="j"/> of u0..u3 (pairs 4j..4j+3, four rows each) to dst, dst + MR, ….</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<uint> u0, Vector512<uint> u1, Vector512<uint> u2, Vector512<uint> u3,
        [System.Diagnostics.CodeAnalysis.ConstantExpected] byte j, uint* dst)
    {
        Vector128.Store(Avx512F.ExtractVector128(u0, j), dst);
        Vector128.Store(Avx512F.ExtractVector128(u1, j), dst + MR);
        Vector128.Store(Avx512F.ExtractVector128(u2, j), dst + 2 * MR);
        Vector128.Store(Avx512F.ExtractVector128(u3, j), dst + 3 * MR);
    }

    /// <summary>The 16 bf16 pairs of 32 consecutive floats: lane l of the ulong views holds (odd ≪ 32 | even) for pair l.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> RowPairs16(float* src)
    {
        var lo = BFloat16.RoundToUpperHalf(Vector512.Load(src)).AsUInt64();
        var hi = BFloat16.RoundToUpperHalf(Vector512.Load(src + 16)).AsUInt64();
        return Vector512.Narrow(PairsOf(lo), PairsOf(hi));
    }

    /// <summary>
    /// Depths [p0, p0+kc) × columns [j0, j0+nc) of op(B) as NR-column panels at dst + q·panelStride (uint32s);
    /// B is stored K×N, or N×K when <paramref name="transB"/> (a Linear weight [out, in]); p0 even.
    /// </summary>
    public static void PackB(bool transB, float* b, long ldb, int p0, int kc, int j0, int nc, uint* dst, long panelStride)
    {
        int pairs = Pairs(kc);
        for (int q = 0; q < nc; q += NR, dst += panelStride)
        {
            int cols = Math.Min(NR, nc - q);
            if (transB) PackTransposedPanel(b + (long)(j0 + q) * ldb + p0, ldb, kc, cols, dst);
            else
                for (int p = 0; p < pairs; p++)
                {
                    float* even = b + (long)(p0 + 2 * p) * ldb + j0 + q;
                    float* odd = 2 * p + 1 < kc ? even + ldb : null;
                    InterleaveRows(even, odd, cols, dst + (long)p * NR);
                }
        }
    }

    /// <summary>Panel from B stored N×K: column j's depth pair p is the adjacent floats src[j·ldb + 2p], src[j·ldb + 2p + 1].</summary>
    private static void PackTransposedPanel(float* src, long ldb, int kc, int cols, uint* dst)
    {
        int pairs = Pairs(kc);
        uint* row = stackalloc uint[256];
        for (int p = 0; p < pairs; p += 256)
        {
            int n = Math.Min(256, pairs - p);
            for (int j = 0; j < NR; j++)
            {
                uint* d = dst + (long)p * NR + j;
                if (j >= cols)
                {
                    for (int t = 0; t < n; t++) d[t * NR] = 0;
                    continue;
                }
                RowPairs(src + j * ldb + 2 * p, Math.Min(2 * n, kc - 2 * p), row);
                for (int t = 0; t < n; t++) d[t * NR] = row[t];
            }
        }
    }

    /// <summary>The ⌈count/2⌉ bf16 pairs of <paramref name="count"/> consecutive floats (a zero pads an odd count).</summary>
    public static void RowPairs(float* src, int count, uint* dst)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 32 <= count; i += 32)
            {
                Vector512.Store(RowPairs16(src + i), dst + i / 2);
            }
        for (; i + 1 < count; i += 2) dst[i / 2] = BFloat16.Pair(src[i], src[i + 1]);
        if (i < count) dst[i / 2] = BFloat16.FromFloat(src[i]);
    }

    /// <summary>(odd·2³² + even) with both rounded into their upper halves → odd's bf16 ≪ 16 | even's bf16, as a ulong.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> PairsOf(Vector512<ulong> v) => (v >> 16 & Vector512.Create(0xFFFFul)) | (v >> 32 & Vector512.Create(0xFFFF_0000ul));

    /// <summary>dst[j] = pair(even[j], odd[j]) for j &lt; cols (odd null: zeros), zero up to NR.</summary>
    internal static void InterleaveRows(float* even, float* odd, int cols, uint* dst)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= cols; j += 16)
            {
                var e = BFloat16.RoundToUpperHalf(Vector512.Load(even + j)) >> 16;
                var o = odd == null ? Vector512<uint>.Zero : BFloat16.RoundToUpperHalf(Vector512.Load(odd + j));
                Vector512.Store(e | o, dst + j);
            }
        for (; j < cols; j++) dst[j] = odd == null ? BFloat16.FromFloat(even[j]) : BFloat16.Pair(even[j], odd[j]);
        for (; j < NR; j++) dst[j] = 0;
    }
}
