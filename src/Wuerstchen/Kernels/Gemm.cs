namespace Wuerstchen.Kernels;

/// <summary>
/// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C (+ a bias per column), row-major, op = transpose
/// when the flag is set. A is M×K (stored K×M when transA), B is K×N (stored N×K when transB), C is M×N;
/// lda/ldb/ldc are row strides of the stored matrices. When beta is 0, C is not read (it may be garbage).
/// Blocked and packed as BLIS does (see <see cref="GemmDriver{TKernel}"/>), with an AVX-512, an AVX2+FMA
/// and a portable Vector128 micro-kernel chosen at start-up, split across <see cref="Threads"/>.
/// </summary>
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, null);

    /// <summary>As above, then adds <paramref name="columnBias"/>[j] (length N; null for none) to every row of C.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc, float* columnBias) =>
        Run(new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, columnBias, null), default);

    /// <summary>C = alpha·op(A)·B + beta·C (+ bias) with B prepacked by <see cref="GemmPackedB.Pack"/> (K and N come from it).</summary>
    public static void Sgemm(bool transA, int m, float alpha, float* a, long lda, GemmPackedB b,
        float beta, float* c, long ldc, float* columnBias = null) =>
        Run(new GemmProblem(transA, false, m, b.N, b.K, alpha, a, lda, null, 0, beta, c, ldc, columnBias, b.Data),
            new GemmOptions(Isa: b.Isa));

    /// <summary>
    /// <paramref name="batchCount"/> independent GEMMs of one shape: problem t reads A at a + aOffsets[t] and
    /// B at b + bOffsets[t] (offsets may repeat, for broadcast operands) and writes C at c + t·strideC.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long* aOffsets, long lda, float* b, long* bOffsets, long ldb,
        float beta, float* c, long strideC, long ldc, int batchCount) =>
        RunBatched(new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, null, null),
            aOffsets, bOffsets, strideC, batchCount, default);

    /// <summary>Batched GEMM with constant strides between the problems' A, B and C (cuBLAS's strided-batched form).</summary>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long lda, long strideA, float* b, long ldb, long strideB,
        float beta, float* c, long ldc, long strideC, int batchCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        var aOffsets = new long[batchCount];
        var bOffsets = new long[batchCount];
        for (int t = 0; t < batchCount; t++) { aOffsets[t] = t * strideA; bOffsets[t] = t * strideB; }
        fixed (long* ao = aOffsets, bo = bOffsets)
            SgemmBatched(transA, transB, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, strideC, ldc, batchCount);
    }

    // ------------------------------------------------------------------ dispatch

    internal static void Run(in GemmProblem p, GemmOptions options)
    {
        Validate(p);
        if (p.M == 0 || p.N == 0) return;
        if (p.K == 0 || p.Alpha == 0)
        {
            ScaleAndBias(p, 0, p.M);
            return;
        }
        switch (ChooseIsa(options))
        {
            case GemmIsa.Avx512: RunParallel<GemmKernelAvx512>(p, options.Grid); break;
            case GemmIsa.Avx2: RunParallel<GemmKernelAvx2>(p, options.Grid); break;
            default: RunParallel<GemmKernelPortable>(p, options.Grid); break;
        }
    }

    internal static void RunBatched(in GemmProblem p, long* aOffsets, long* bOffsets, long strideC, int batchCount, GemmOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        Validate(p);
        if (batchCount == 0 || p.M == 0 || p.N == 0) return;
        switch (ChooseIsa(options))
        {
            case GemmIsa.Avx512: RunBatched<GemmKernelAvx512>(p, aOffsets, bOffsets, strideC, batchCount, options.Grid); break;
            case GemmIsa.Avx2: RunBatched<GemmKernelAvx2>(p, aOffsets, bOffsets, strideC, batchCount, options.Grid); break;
            default: RunBatched<GemmKernelPortable>(p, aOffsets, bOffsets, strideC, batchCount, options.Grid); break;
        }
    }

    private static GemmIsa ChooseIsa(GemmOptions options)
    {
        var isa = options.Isa ?? GemmIsaInfo.Best;
        if (!GemmIsaInfo.IsSupported(isa))
            throw new PlatformNotSupportedException($"GEMM kernel {isa} is not supported on this machine.");
        return isa;
    }

    private static void RunParallel<TKernel>(GemmProblem p, GemmGrid? forced) where TKernel : struct, IGemmMicroKernel
    {
        var grid = forced ?? GemmGrid.Choose(p.M, p.N, p.K, TKernel.MR, TKernel.NR, Threads.Available);
        if (grid.Count == 1)
        {
            GemmDriver<TKernel>.Run(p, 0, p.M, 0, p.N);
            return;
        }
        Threads.For(grid.Count, task =>
        {
            var (r0, r1) = grid.Rows(task, p.M, TKernel.MR);
            var (c0, c1) = grid.Cols(task, p.N, TKernel.NR);
            GemmDriver<TKernel>.Run(p, r0, r1, c0, c1);
        });
    }

    private static void RunBatched<TKernel>(GemmProblem p, long* aOffsets, long* bOffsets, long strideC, int batchCount, GemmGrid? forced)
        where TKernel : struct, IGemmMicroKernel
    {
        int threads = Threads.Available;
        // Many problems: one thread each, no splitting. Few: split every problem across all threads.
        var grid = forced ?? (batchCount >= 4 * threads ? new GemmGrid(1, 1) : GemmGrid.Choose(p.M, p.N, p.K, TKernel.MR, TKernel.NR, threads));
        int parts = grid.Count;
        Threads.For(batchCount * parts, task =>
        {
            int t = task / parts, part = task % parts;
            var problem = p with { A = p.A + aOffsets[t], B = p.B + bOffsets[t], C = p.C + t * strideC };
            var (r0, r1) = grid.Rows(part, p.M, TKernel.MR);
            var (c0, c1) = grid.Cols(part, p.N, TKernel.NR);
            if (p.K == 0 || p.Alpha == 0) ScaleAndBias(problem, r0, r1);
            else GemmDriver<TKernel>.Run(problem, r0, r1, c0, c1);
        });
    }

    /// <summary>The k = 0 or alpha = 0 case: BLAS leaves A and B unread and only scales C.</summary>
    private static void ScaleAndBias(in GemmProblem p, int rowStart, int rowEnd)
    {
        for (int i = rowStart; i < rowEnd; i++)
        {
            float* row = p.C + i * p.Ldc;
            for (int j = 0; j < p.N; j++)
                row[j] = (p.Beta == 0 ? 0f : p.Beta * row[j]) + (p.Bias == null ? 0f : p.Bias[j]);
        }
    }

    // ------------------------------------------------------------------ validation

    private static void Validate(in GemmProblem p)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p.M, "m");
        ArgumentOutOfRangeException.ThrowIfNegative(p.N, "n");
        ArgumentOutOfRangeException.ThrowIfNegative(p.K, "k");
        ValidateLd(p.TransA ? p.K : p.M, p.TransA ? p.M : p.K, p.Lda, "lda");
        if (p.PackedB == null) ValidateLd(p.TransB ? p.N : p.K, p.TransB ? p.K : p.N, p.Ldb, "ldb");
        ValidateLd(p.M, p.N, p.Ldc, "ldc");
    }

    /// <summary>A stored rows×cols matrix needs a row stride of at least cols (unless it has one row).</summary>
    internal static void ValidateLd(int rows, int cols, long ld, string name)
    {
        if (rows > 1 && cols > 0 && ld < cols)
            throw new ArgumentOutOfRangeException(name, ld, $"GEMM: {name} = {ld} is smaller than the {cols} columns of the stored {rows}×{cols} matrix.");
    }
}
