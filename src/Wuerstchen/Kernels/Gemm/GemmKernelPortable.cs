using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels;

/// <summary>
/// Portable micro-kernel on Vector128: a 6×8 tile in 12 accumulators, which fit the 16 registers of SSE and
/// the 32 of NEON. MultiplyAddEstimate fuses where the hardware has FMA and falls back to multiply + add
/// elsewhere (a true fused op would be emulated in software there, orders of magnitude slower).
/// </summary>
internal readonly unsafe struct GemmKernelPortable : IGemmMicroKernel
{
    public static int MR => 6;
    public static int NR => 8;
    public static bool IsSupported => true;
    // Conservative blocking (unknown caches): MC×KC A block (256 KB) in L2, KC×NC B block (2 MB) in L3.
    public static int KC => 256;
    public static int NC => 2048;
    public static int NCSingleBlock => 256;
    public static int MC => 256;

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
        Vector128<float> c0a = default, c0b = default;
        Vector128<float> c1a = default, c1b = default;
        Vector128<float> c2a = default, c2b = default;
        Vector128<float> c3a = default, c3b = default;
        Vector128<float> c4a = default, c4b = default;
        Vector128<float> c5a = default, c5b = default;
        for (int p = 0; p < kc; p++, a += 6, b += 8)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            Vector128<float> ai;
            ai = Vector128.Create(a[0]); c0a = Vector128.MultiplyAddEstimate(ai, b0, c0a); c0b = Vector128.MultiplyAddEstimate(ai, b1, c0b);
            if (TRows.Count > 1) { ai = Vector128.Create(a[1]); c1a = Vector128.MultiplyAddEstimate(ai, b0, c1a); c1b = Vector128.MultiplyAddEstimate(ai, b1, c1b); }
            if (TRows.Count > 2) { ai = Vector128.Create(a[2]); c2a = Vector128.MultiplyAddEstimate(ai, b0, c2a); c2b = Vector128.MultiplyAddEstimate(ai, b1, c2b); }
            if (TRows.Count > 3) { ai = Vector128.Create(a[3]); c3a = Vector128.MultiplyAddEstimate(ai, b0, c3a); c3b = Vector128.MultiplyAddEstimate(ai, b1, c3b); }
            if (TRows.Count > 4) { ai = Vector128.Create(a[4]); c4a = Vector128.MultiplyAddEstimate(ai, b0, c4a); c4b = Vector128.MultiplyAddEstimate(ai, b1, c4b); }
            if (TRows.Count > 5) { ai = Vector128.Create(a[5]); c5a = Vector128.MultiplyAddEstimate(ai, b0, c5a); c5b = Vector128.MultiplyAddEstimate(ai, b1, c5b); }
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
    private static void StoreRow(float* c, Vector128<float> v0, Vector128<float> v1, GemmEpilogue e)
    {
        var alpha = Vector128.Create(e.Alpha);
        v0 *= alpha;
        v1 *= alpha;
        if (e.Beta != 0)
        {
            var beta = Vector128.Create(e.Beta);
            v0 = Vector128.MultiplyAddEstimate(Vector128.Load(c), beta, v0);
            v1 = Vector128.MultiplyAddEstimate(Vector128.Load(c + 4), beta, v1);
        }
        if (e.Bias != null)
        {
            v0 += Vector128.Load(e.Bias);
            v1 += Vector128.Load(e.Bias + 4);
        }
        Vector128.Store(v0, c);
        Vector128.Store(v1, c + 4);
    }
}
