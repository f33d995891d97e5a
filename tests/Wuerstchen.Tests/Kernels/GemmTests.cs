using Wuerstchen.Kernels;

namespace Wuerstchen.Tests.Kernels;

/// <summary>
/// Every kernel (AVX-512, AVX2, portable — those this machine runs), both transposes of both operands,
/// edge tiles in M and N, several K passes, padded strides, alpha/beta/bias and forced thread grids,
/// against a double-precision reference.
/// </summary>
public unsafe class GemmTests
{
    internal static IEnumerable<GemmIsa> SupportedIsas() =>
        Enum.GetValues<GemmIsa>().Where(GemmIsaInfo.IsSupported);

    /// <summary>Dense-with-padding operands for one problem, plus the reference result.</summary>
    internal sealed class Case
    {
        public readonly bool TransA, TransB;
        public readonly int M, N, K;
        public readonly float Alpha, Beta;
        public readonly long Lda, Ldb, Ldc;
        public readonly float[] A, B, C0, Bias;

        public Case(bool transA, bool transB, int m, int n, int k, float alpha = 1, float beta = 0, int pad = 0, int seed = 1)
        {
            (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
            var rng = new Random(seed + 7919 * m + 104729 * n + 31 * k + (transA ? 1 : 0) + (transB ? 2 : 0));
            Lda = (transA ? m : k) + pad;
            Ldb = (transB ? k : n) + pad;
            Ldc = n + pad;
            A = Random(rng, (transA ? k : m) * Lda);
            B = Random(rng, (transB ? n : k) * Ldb);
            C0 = Random(rng, m * Ldc);
            Bias = Random(rng, n);
        }

        private static float[] Random(Random rng, long length)
        {
            var v = new float[Math.Max(length, 1)];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
            return v;
        }

        public float Av(int i, int p) => TransA ? A[p * Lda + i] : A[i * Lda + p];
        public float Bv(int p, int j) => TransB ? B[j * Ldb + p] : B[p * Ldb + j];

        /// <summary>Asserts C (including its padding, which must be untouched) against a double reference.</summary>
        public void Check(float[] c, bool withBias, string what)
        {
            const double eps = 1.0 / (1 << 23);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double prod = (double)Av(i, p) * Bv(p, j);
                        sum += prod;
                        magnitude += Math.Abs(prod);
                    }
                    double c0 = C0[i * Ldc + j], bias = withBias ? Bias[j] : 0;
                    double expected = Alpha * sum + (Beta == 0 ? 0 : Beta * c0) + bias;
                    // Rounding of a blocked fp32 sum grows like √K (times the terms' magnitude); a wrong or
                    // missing term is ~|a·b| ≈ 0.3 and far outside this bound.
                    double tolerance = 4 * eps * (Math.Sqrt(Math.Max(K, 1)) * Math.Abs(Alpha) * magnitude + Math.Abs(Beta * c0) + Math.Abs(bias)) + 1e-30;
                    double actual = c[i * Ldc + j];
                    if (!(Math.Abs(actual - expected) <= tolerance))
                        Assert.Fail($"{what}: C[{i},{j}] = {actual}, expected {expected} ± {tolerance:G3}");
                }
                for (long j = N; j < Ldc; j++)
                    if (c[i * Ldc + j] != C0[i * Ldc + j]) Assert.Fail($"{what}: padding C[{i},{j}] was overwritten");
            }
        }

        public float[] Run(GemmOptions options, bool withBias)
        {
            var c = (float[])C0.Clone();
            fixed (float* a = A, b = B, cp = c, bias = Bias)
                Gemm.Run(new GemmProblem(TransA, TransB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, cp, Ldc, withBias ? bias : null, null), options);
            return c;
        }

        public override string ToString() =>
            $"{(TransA ? "Aᵀ" : "A")}·{(TransB ? "Bᵀ" : "B")} {M}×{N}×{K} α={Alpha} β={Beta} ld=({Lda},{Ldb},{Ldc})";
    }

    // Odd sizes straddle every tile edge: MR ∈ {6, 12}, NR ∈ {8, 16, 32}; K = 400 and 800 take 2–3 passes of KC.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (7, 33, 97), (33, 97, 7), (97, 7, 33), (13, 130, 1), (130, 17, 400), (25, 65, 800), (1, 97, 130),
    ];

    // Kernels are named by string: GemmIsa is internal and theory parameters must be public.
    public static TheoryData<string, bool, bool> IsaAndTransposes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var isa in SupportedIsas())
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    data.Add(isa.ToString(), ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(IsaAndTransposes))]
    public void OddShapesMatchReference(string kernel, bool transA, bool transB)
    {
        var isa = Enum.Parse<GemmIsa>(kernel);
        foreach (var (m, n, k) in Shapes)
        {
            var c = new Case(transA, transB, m, n, k);
            c.Check(c.Run(new GemmOptions(isa), withBias: false), false, $"{isa} {c}");
        }
    }

    [Theory]
    [MemberData(nameof(IsaAndTransposes))]
    public void AlphaBetaBiasAndPaddedStrides(string kernel, bool transA, bool transB)
    {
        var isa = Enum.Parse<GemmIsa>(kernel);
        foreach (var (alpha, beta) in new[] { (1f, 1f), (0.5f, -1.5f), (-2f, 0f) })
        {
            var c = new Case(transA, transB, 29, 71, 420, alpha, beta, pad: 5);
            c.Check(c.Run(new GemmOptions(isa), withBias: true), true, $"{isa} {c} +bias");
        }
    }

    [Fact]
    public void ForcedThreadGridsCoverEveryRectangle()
    {
        foreach (var isa in SupportedIsas())
            foreach (var grid in new GemmGrid[] { new(2, 1), new(1, 2), new(3, 2), new(1, 5) })
            {
                var c = new Case(false, true, 77, 150, 64, beta: 0.25f, pad: 3);
                c.Check(c.Run(new GemmOptions(isa, grid), withBias: true), true, $"{isa} grid {grid} {c}");
            }
    }

    [Fact]
    public void BlocksLargerThanOneCachePanel()
    {
        // M above MC (≤ 384) with N above NC (≤ 4096) exercises every outer block loop of every kernel; a
        // skinny M with N above NCSingleBlock exercises the packed-once A path across column blocks.
        foreach (var isa in SupportedIsas())
        {
            var c = new Case(true, false, 400, 4200, 3);
            c.Check(c.Run(new GemmOptions(isa), false), false, $"{isa} {c}");
            var d = new Case(false, true, 3, 1001, 9, beta: 1);
            d.Check(d.Run(new GemmOptions(isa), true), true, $"{isa} {d}");
        }
    }

    [Fact]
    public void BetaZeroIgnoresGarbageInC()
    {
        var c = new Case(false, false, 13, 40, 17);
        Array.Fill(c.C0, float.NaN);
        var result = c.Run(default, withBias: false);
        Assert.DoesNotContain(result, float.IsNaN);
        c.C0.AsSpan().Clear();
        c.Check(result, false, "NaN C with beta 0");
    }

    [Fact]
    public void EmptyDepthOrZeroAlphaOnlyScalesC()
    {
        foreach (var (k, alpha) in new[] { (0, 1f), (9, 0f) })
        {
            var c = new Case(false, false, 5, 6, k, alpha, beta: 3f, pad: 1);
            if (alpha == 0) Array.Fill(c.A, float.NaN); // BLAS: A and B are not read when alpha is 0
            var result = c.Run(default, withBias: true);
            if (alpha == 0) c.A.AsSpan().Clear();
            c.Check(result, true, $"k={k} alpha={alpha}");
        }
    }

    [Fact]
    public void PrepackedBMatchesReferenceForEveryKernel()
    {
        foreach (var isa in SupportedIsas())
            foreach (var transB in new[] { false, true })
            {
                var c = new Case(false, transB, 77, 97, 450, beta: 0.5f);
                var result = (float[])c.C0.Clone();
                fixed (float* a = c.A, b = c.B, cp = result, bias = c.Bias)
                {
                    using var packed = GemmPackedB.Pack(transB, c.K, c.N, b, c.Ldb, isa);
                    Assert.Equal((c.K, c.N), (packed.K, packed.N));
                    Gemm.Sgemm(false, c.M, c.Alpha, a, c.Lda, packed, c.Beta, cp, c.Ldc, bias);
                }
                c.Check(result, true, $"{isa} packed {c}");
            }
    }

    [Fact]
    public void BatchedGemmWithBroadcastOperandAndForcedSplits()
    {
        const int batch = 5, m = 19, n = 37, k = 23;
        var rng = new Random(3);
        var a = new float[batch * m * k];
        var b = new float[k * n];   // one B shared by all problems (offset 0 repeated)
        foreach (var arr in new[] { a, b }) for (int i = 0; i < arr.Length; i++) arr[i] = (float)(rng.NextDouble() * 2 - 1);
        foreach (var grid in new GemmGrid?[] { null, new GemmGrid(1, 1), new GemmGrid(2, 2) })
        {
            var c = new float[batch * m * n];
            var aOff = Enumerable.Range(0, batch).Select(t => (long)t * m * k).ToArray();
            var bOff = new long[batch];
            fixed (float* ap = a, bp = b, cp = c)
            fixed (long* ao = aOff, bo = bOff)
                Gemm.RunBatched(new GemmProblem(false, false, m, n, k, 1f, ap, k, bp, n, 0f, cp, n, null, null), ao, bo, (long)m * n, batch,
                    new GemmOptions(null, grid));
            for (int t = 0; t < batch; t++)
            {
                var one = new Case(false, false, m, n, k);
                Array.Copy(a, t * m * k, one.A, 0, m * k);
                Array.Copy(b, one.B, k * n);
                one.Check(c[(t * m * n)..((t + 1) * m * n)], false, $"batch {t} grid {grid}");
            }
        }
    }

    [Fact]
    public void StridedBatchedMatchesPerProblemGemm()
    {
        const int batch = 3, m = 8, n = 33, k = 12;
        var one = new Case(true, true, m, n, k);
        var a = Enumerable.Range(0, batch).SelectMany(_ => one.A).ToArray();
        var b = Enumerable.Range(0, batch).SelectMany(_ => one.B).ToArray();
        var c = new float[batch * m * n];
        fixed (float* ap = a, bp = b, cp = c)
            Gemm.SgemmStridedBatched(true, true, m, n, k, 1f, ap, one.Lda, one.A.Length, bp, one.Ldb, one.B.Length, 0f, cp, n, m * n, batch);
        for (int t = 0; t < batch; t++) one.Check(c[(t * m * n)..((t + 1) * m * n)], false, $"strided batch {t}");
    }

    [Fact]
    public void TooSmallLeadingDimensionIsRejectedByName()
    {
        var a = new float[64];
        fixed (float* p = a)
        {
            float* ptr = p;
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1, ptr, 3, ptr, 4, 0, ptr, 4));
            Assert.Equal("lda", e.ParamName);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, true, 4, 4, 4, 1, ptr, 4, ptr, 4, 0, ptr, 2));
            Assert.Equal("ldc", e.ParamName);
        }
    }

    [Fact]
    public void GridChoicePrefersColumnSplitsAndBalancesSkinnyShapes()
    {
        Assert.Equal(new GemmGrid(1, 2), GemmGrid.Choose(77, 5120, 1280, 12, 32, 2));   // text encoder MLP
        Assert.Equal(new GemmGrid(2, 1), GemmGrid.Choose(4096, 32, 64, 12, 32, 2));     // one column tile
        Assert.Equal(new GemmGrid(1, 1), GemmGrid.Choose(8, 8, 8, 12, 32, 2));          // too small to split
        var grid = new GemmGrid(3, 2);
        var covered = new int[100 * 70];
        for (int t = 0; t < grid.Count; t++)
        {
            var (r0, r1) = grid.Rows(t, 100, 12);
            var (c0, c1) = grid.Cols(t, 70, 32);
            Assert.True(r0 % 12 == 0 && c0 % 32 == 0, "cuts fall on tile boundaries");
            for (int i = r0; i < r1; i++) for (int j = c0; j < c1; j++) covered[i * 70 + j]++;
        }
        Assert.All(covered, x => Assert.Equal(1, x));
    }
}
