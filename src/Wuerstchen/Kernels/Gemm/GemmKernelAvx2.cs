using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wuerstchen.Kernels;

/// <summary>
/// AVX2+FMA micro-kernel: a 6×16 tile of C in 12 ymm accumulators (of 16 registers), plus two B vectors and
/// one broadcast A value — the classic Haswell-era shape.
/// </summary>
internal readonly unsafe struct GemmKernelAvx2 : IGemmMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Fma.IsSupported;
    // The AVX-512 kernel's cache plan at half the depth, for AVX2-era cores with 256–512 KB of L2:
    // MC×KC A block (288 KB) in L2, KC×NC B block in L3.
    public static int KC => 384;
    public static int NC => 4096;
    public static int NCSingleBlock => 512;
    public static int MC => 192;

    public static void Run(int rows, int kc, float* a, float* b, float* c, long ldc, GemmEpilogue epilogue)
    {
        switch (rows)
        {
            case 6: Tile<GemmRows6>(kc, a, b, c, ldc, epilogue); break;
            case 5: Tile<GemmRows5>(kc, a, b, c, ldc, epilogue); break;
            case 4: Tile<GemmRows4>(kc, a, b, c, ldc, epilogue); break;
            case 3: Tile<GemmRows3>(kc, a, b, c, ldc, epilogue); break;
            case 2: Tile<GemmRows2>(kc, a, b, c, ldc, epilogue); break;
            case 1: Tile<GemmRows1>(kc, a, b, c, ldc, epilogue); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "A micro-tile has 1..6 rows.");
        }
    }

    // TRows is a struct so the JIT specialises the body per row count and drops the unused rows (see the AVX-512 kernel).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(int kc, float* a, float* b, float* c, long ldc, GemmEpilogue epilogue)
        where TRows : struct, IGemmRows
    {
        Vector256<float> c0a = default, c0b = default;
        Vector256<float> c1a = default, c1b = default;
        Vector256<float> c2a = default, c2b = default;
        Vector256<float> c3a = default, c3b = default;
        Vector256<float> c4a = default, c4b = default;
        Vector256<float> c5a = default, c5b = default;
        // Start fetching this tile of C now; the epilogue would otherwise stall on it (beta ≠ 0 or the
        // later K passes read it, and every store needs the line).
        Sse.Prefetch0(c);
        if (TRows.Count > 1) { Sse.Prefetch0(c + ldc); }
        if (TRows.Count > 2) { Sse.Prefetch0(c + 2 * ldc); }
        if (TRows.Count > 3) { Sse.Prefetch0(c + 3 * ldc); }
        if (TRows.Count > 4) { Sse.Prefetch0(c + 4 * ldc); }
        if (TRows.Count > 5) { Sse.Prefetch0(c + 5 * ldc); }
        for (int p = 0; p < kc; p++, a += 6, b += 16)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]); c0a = Vector256.FusedMultiplyAdd(ai, b0, c0a); c0b = Vector256.FusedMultiplyAdd(ai, b1, c0b);
            if (TRows.Count > 1) { ai = Vector256.Create(a[1]); c1a = Vector256.FusedMultiplyAdd(ai, b0, c1a); c1b = Vector256.FusedMultiplyAdd(ai, b1, c1b); }
            if (TRows.Count > 2) { ai = Vector256.Create(a[2]); c2a = Vector256.FusedMultiplyAdd(ai, b0, c2a); c2b = Vector256.FusedMultiplyAdd(ai, b1, c2b); }
            if (TRows.Count > 3) { ai = Vector256.Create(a[3]); c3a = Vector256.FusedMultiplyAdd(ai, b0, c3a); c3b = Vector256.FusedMultiplyAdd(ai, b1, c3b); }
            if (TRows.Count > 4) { ai = Vector256.Create(a[4]); c4a = Vector256.FusedMultiplyAdd(ai, b0, c4a); c4b = Vector256.FusedMultiplyAdd(ai, b1, c4b); }
            if (TRows.Count > 5) { ai = Vector256.Create(a[5]); c5a = Vector256.FusedMultiplyAdd(ai, b0, c5a); c5b = Vector256.FusedMultiplyAdd(ai, b1, c5b); }
        }
        StoreRow(c, c0a, c0b, epilogue);
        if (TRows.Count > 1) StoreRow(c + ldc, c1a, c1b, epilogue);
        if (TRows.Count > 2) StoreRow(c + 2 * ldc, c2a, c2b, epilogue);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, c3a, c3b, epilogue);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, c4a, c4b, epilogue);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, c5a, c5b, epilogue);
    }

    /// <summary>C row ← alpha·acc (+ beta·C) (+ bias); C is read only when beta ≠ 0, so it may hold garbage then.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, GemmEpilogue e)
    {
        var alpha = Vector256.Create(e.Alpha);
        v0 *= alpha;
        v1 *= alpha;
        if (e.Beta != 0)
        {
            var beta = Vector256.Create(e.Beta);
            v0 = Vector256.FusedMultiplyAdd(Vector256.Load(c), beta, v0);
            v1 = Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), beta, v1);
        }
        if (e.Bias != null)
        {
            v0 += Vector256.Load(e.Bias);
            v1 += Vector256.Load(e.Bias + 8);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
