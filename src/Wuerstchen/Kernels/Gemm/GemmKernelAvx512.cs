using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wuerstchen.Kernels;

/// <summary>
/// AVX-512 micro-kernel: a 12×32 tile of C held in 24 zmm accumulators (of 32 registers), leaving room for
/// two B vectors and one broadcast A value so nothing spills. Each k step issues 24 independent FMAs, enough
/// to cover the FMA latency on both Zen 4 (double-pumped, 1 zmm FMA/cycle) and Zen 5 (2/cycle).
/// </summary>
internal readonly unsafe struct GemmKernelAvx512 : IGemmMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
    // Blocking for 32-48 KB L1d / 1 MB L2 per core / large L3: the KC×32 B micro-panel (96 KB, L2) is reused
    // by all MC/12 A micro-panels of the MC×KC A block (576 KB, L2); the KC×NC B block (12 MB) sits in L3.
    // A deep KC matters most on Zen 4 (fewer passes over C, longer kernel calls): KC 128 → 768 gained ~10%,
    // while MC 96–768 and NC 1024–8192 measured within noise (docs/BENCHMARKS.md).
    public static int KC => 768;
    public static int NC => 4096;
    public static int NCSingleBlock => 512;
    public static int MC => 192;

    public static void Run(int rows, int kc, float* a, float* b, float* c, long ldc, GemmEpilogue epilogue) =>
        Run(rows, kc, a, b, 32, c, ldc, epilogue);

    /// <summary>
    /// As <see cref="Run(int, int, float*, float*, float*, long, GemmEpilogue)"/> with B's depth rows <paramref name="ldb"/>
    /// floats apart instead of packed back to back: any row-major K×N matrix whose 32 columns at b are
    /// 64-byte aligned serves as the B panel without packing (attention's probabilities).
    /// </summary>
    public static void Run(int rows, int kc, float* a, float* b, long ldb, float* c, long ldc, GemmEpilogue epilogue)
    {
        switch (rows)
        {
            case 12: Tile<GemmRows12>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 11: Tile<GemmRows11>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 10: Tile<GemmRows10>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 9: Tile<GemmRows9>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 8: Tile<GemmRows8>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 7: Tile<GemmRows7>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 6: Tile<GemmRows6>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 5: Tile<GemmRows5>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 4: Tile<GemmRows4>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 3: Tile<GemmRows3>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 2: Tile<GemmRows2>(kc, a, b, ldb, c, ldc, epilogue); break;
            case 1: Tile<GemmRows1>(kc, a, b, ldb, c, ldc, epilogue); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "A micro-tile has 1..12 rows.");
        }
    }

    // One body serves every row count: TRows is a struct, so the JIT compiles one copy per count and folds
    // the `TRows.Count > r` tests away, leaving edge tiles as tight as the full one (no masks, no spills).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(int kc, float* a, float* b, long ldb, float* c, long ldc, GemmEpilogue epilogue)
        where TRows : struct, IGemmRows
    {
        Vector512<float> c0a = default, c0b = default;
        Vector512<float> c1a = default, c1b = default;
        Vector512<float> c2a = default, c2b = default;
        Vector512<float> c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default;
        Vector512<float> c5a = default, c5b = default;
        Vector512<float> c6a = default, c6b = default;
        Vector512<float> c7a = default, c7b = default;
        Vector512<float> c8a = default, c8b = default;
        Vector512<float> c9a = default, c9b = default;
        Vector512<float> c10a = default, c10b = default;
        Vector512<float> c11a = default, c11b = default;
        // Start fetching this tile of C now; the epilogue would otherwise stall on it (beta ≠ 0 or the
        // later K passes read it, and every store needs the line).
        Sse.Prefetch0(c); Sse.Prefetch0(c + 16);
        if (TRows.Count > 1) { Sse.Prefetch0(c + ldc); Sse.Prefetch0(c + ldc + 16); }
        if (TRows.Count > 2) { Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 16); }
        if (TRows.Count > 3) { Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 16); }
        if (TRows.Count > 4) { Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 16); }
        if (TRows.Count > 5) { Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 16); }
        if (TRows.Count > 6) { Sse.Prefetch0(c + 6 * ldc); Sse.Prefetch0(c + 6 * ldc + 16); }
        if (TRows.Count > 7) { Sse.Prefetch0(c + 7 * ldc); Sse.Prefetch0(c + 7 * ldc + 16); }
        if (TRows.Count > 8) { Sse.Prefetch0(c + 8 * ldc); Sse.Prefetch0(c + 8 * ldc + 16); }
        if (TRows.Count > 9) { Sse.Prefetch0(c + 9 * ldc); Sse.Prefetch0(c + 9 * ldc + 16); }
        if (TRows.Count > 10) { Sse.Prefetch0(c + 10 * ldc); Sse.Prefetch0(c + 10 * ldc + 16); }
        if (TRows.Count > 11) { Sse.Prefetch0(c + 11 * ldc); Sse.Prefetch0(c + 11 * ldc + 16); }
        for (int p = 0; p < kc; p++, a += 12, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0a = Vector512.FusedMultiplyAdd(ai, b0, c0a); c0b = Vector512.FusedMultiplyAdd(ai, b1, c0b);
            if (TRows.Count > 1) { ai = Vector512.Create(a[1]); c1a = Vector512.FusedMultiplyAdd(ai, b0, c1a); c1b = Vector512.FusedMultiplyAdd(ai, b1, c1b); }
            if (TRows.Count > 2) { ai = Vector512.Create(a[2]); c2a = Vector512.FusedMultiplyAdd(ai, b0, c2a); c2b = Vector512.FusedMultiplyAdd(ai, b1, c2b); }
            if (TRows.Count > 3) { ai = Vector512.Create(a[3]); c3a = Vector512.FusedMultiplyAdd(ai, b0, c3a); c3b = Vector512.FusedMultiplyAdd(ai, b1, c3b); }
            if (TRows.Count > 4) { ai = Vector512.Create(a[4]); c4a = Vector512.FusedMultiplyAdd(ai, b0, c4a); c4b = Vector512.FusedMultiplyAdd(ai, b1, c4b); }
            if (TRows.Count > 5) { ai = Vector512.Create(a[5]); c5a = Vector512.FusedMultiplyAdd(ai, b0, c5a); c5b = Vector512.FusedMultiplyAdd(ai, b1, c5b); }
            if (TRows.Count > 6) { ai = Vector512.Create(a[6]); c6a = Vector512.FusedMultiplyAdd(ai, b0, c6a); c6b = Vector512.FusedMultiplyAdd(ai, b1, c6b); }
            if (TRows.Count > 7) { ai = Vector512.Create(a[7]); c7a = Vector512.FusedMultiplyAdd(ai, b0, c7a); c7b = Vector512.FusedMultiplyAdd(ai, b1, c7b); }
            if (TRows.Count > 8) { ai = Vector512.Create(a[8]); c8a = Vector512.FusedMultiplyAdd(ai, b0, c8a); c8b = Vector512.FusedMultiplyAdd(ai, b1, c8b); }
            if (TRows.Count > 9) { ai = Vector512.Create(a[9]); c9a = Vector512.FusedMultiplyAdd(ai, b0, c9a); c9b = Vector512.FusedMultiplyAdd(ai, b1, c9b); }
            if (TRows.Count > 10) { ai = Vector512.Create(a[10]); c10a = Vector512.FusedMultiplyAdd(ai, b0, c10a); c10b = Vector512.FusedMultiplyAdd(ai, b1, c10b); }
            if (TRows.Count > 11) { ai = Vector512.Create(a[11]); c11a = Vector512.FusedMultiplyAdd(ai, b0, c11a); c11b = Vector512.FusedMultiplyAdd(ai, b1, c11b); }
        }
        StoreRow(c, c0a, c0b, epilogue);
        if (TRows.Count > 1) StoreRow(c + ldc, c1a, c1b, epilogue);
        if (TRows.Count > 2) StoreRow(c + 2 * ldc, c2a, c2b, epilogue);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, c3a, c3b, epilogue);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, c4a, c4b, epilogue);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, c5a, c5b, epilogue);
        if (TRows.Count > 6) StoreRow(c + 6 * ldc, c6a, c6b, epilogue);
        if (TRows.Count > 7) StoreRow(c + 7 * ldc, c7a, c7b, epilogue);
        if (TRows.Count > 8) StoreRow(c + 8 * ldc, c8a, c8b, epilogue);
        if (TRows.Count > 9) StoreRow(c + 9 * ldc, c9a, c9b, epilogue);
        if (TRows.Count > 10) StoreRow(c + 10 * ldc, c10a, c10b, epilogue);
        if (TRows.Count > 11) StoreRow(c + 11 * ldc, c11a, c11b, epilogue);
    }

    /// <summary>C row ← alpha·acc (+ beta·C) (+ bias); C is read only when beta ≠ 0, so it may hold garbage then.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> v0, Vector512<float> v1, GemmEpilogue e)
    {
        var alpha = Vector512.Create(e.Alpha);
        v0 *= alpha;
        v1 *= alpha;
        if (e.Beta != 0)
        {
            var beta = Vector512.Create(e.Beta);
            v0 = Vector512.FusedMultiplyAdd(Vector512.Load(c), beta, v0);
            v1 = Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), beta, v1);
        }
        if (e.Bias != null)
        {
            v0 += Vector512.Load(e.Bias);
            v1 += Vector512.Load(e.Bias + 16);
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }
}
