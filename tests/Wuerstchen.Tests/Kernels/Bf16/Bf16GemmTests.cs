using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary>
/// The bf16 GEMM against a double-precision product of the bf16-rounded operands: edge tiles in M and N,
/// odd K, several K blocks, both layouts of B, prepacked B, padded strides, bias; the run-time generated
/// kernel against the managed one (bit for bit), and any split of C against the whole.
/// </summary>
public unsafe class Bf16GemmTests
{
    internal static IEnumerable<Bf16KernelChoice> Kernels() =>
        Bf16Gemm.IsHardwareAccelerated ? [Bf16KernelChoice.Jit, Bf16KernelChoice.Managed] : [Bf16KernelChoice.Managed];

    private sealed class Case
    {
        public readonly int M, N, K;
        public readonly bool TransB;
        public readonly long Lda, Ldb, Ldc;
        public readonly float[] A, B, Bias;

        public Case(int m, int n, int k, bool transB, int pad = 0, int seed = 1)
        {
            (M, N, K, TransB) = (m, n, k, transB);
            var rng = new Random(seed + 7919 * m + 104729 * n + 31 * k + (transB ? 1 : 0));
            Lda = k + pad;
            Ldb = (transB ? k : n) + pad;
            Ldc = n + pad;
            A = Random(rng, m * Lda);
            B = Random(rng, (transB ? n : k) * Ldb);
            Bias = Random(rng, n);
        }

        private static float[] Random(Random rng, long length)
        {
            var v = new float[Math.Max(length, 1)];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
            return v;
        }

        public float Bv(int p, int j) => TransB ? B[j * Ldb + p] : B[p * Ldb + j];

        public float[] NewC() => Enumerable.Repeat(float.NaN, (int)Math.Max(M * Ldc, 1)).ToArray();

        public void Run(float[] c, bool bias, Bf16KernelChoice kernel, Bf16PackedB? packed = null)
        {
            fixed (float* a = A, b = B, cc = c, bi = Bias)
                if (packed is null) Bf16Gemm.Gemm(TransB, M, N, K, a, Lda, b, Ldb, cc, Ldc, bias ? bi : null, kernel);
                else Bf16Gemm.Gemm(M, a, Lda, packed, cc, Ldc, bias ? bi : null, kernel);
        }

        public Bf16PackedB Pack()
        {
            fixed (float* b = B) return Bf16PackedB.Pack(TransB, K, N, b, Ldb);
        }

        /// <summary>
        /// C against Σ bf16(a)·bf16(b) in double, to float32 accumulation error: K·2⁻²³·Σ|products| bounds it.
        /// Padding columns must stay untouched (NaN).
        /// </summary>
        public void Check(float[] c, bool bias, string what)
        {
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double sum = bias ? Bias[j] : 0, magnitude = Math.Abs(sum);
                    for (int p = 0; p < K; p++)
                    {
                        double prod = (double)BFloat16.Round(A[i * Lda + p]) * BFloat16.Round(Bv(p, j));
                        sum += prod;
                        magnitude += Math.Abs(prod);
                    }
                    double tol = (K + 2) * magnitude / (1 << 23) + 1e-30;
                    double got = c[i * Ldc + j];
                    if (!(Math.Abs(got - sum) <= tol))
                        Assert.Fail($"{what}: C[{i},{j}] = {got}, expected {sum} ± {tol:g3}");
                }
                for (long j = N; j < Ldc; j++)
                    Assert.True(float.IsNaN(c[i * Ldc + j]), $"{what}: padding C[{i},{j}] was written");
            }
        }
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 32, 2 }, { 12, 32, 2 }, { 13, 33, 3 }, { 11, 31, 7 }, { 25, 65, 64 },
        { 37, 100, 129 }, { 200, 70, 33 }, { 24, 96, 1537 }, { 5, 40, 3100 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesADoubleReferenceOfTheRoundedOperands(int m, int n, int k)
    {
        foreach (var kernel in Kernels())
            foreach (bool transB in new[] { true, false })
            {
                var cs = new Case(m, n, k, transB, pad: 3);
                var c = cs.NewC();
                cs.Run(c, bias: true, kernel);
                cs.Check(c, bias: true, $"{kernel} transB={transB} {m}×{n}×{k}");
                c = cs.NewC();
                using var packed = cs.Pack();
                cs.Run(c, bias: false, kernel, packed);
                cs.Check(c, bias: false, $"{kernel} prepacked transB={transB} {m}×{n}×{k}");
            }
    }

    [Fact]
    public void JitKernelMatchesTheManagedKernelBitForBit()
    {
        if (!Bf16Gemm.IsHardwareAccelerated) return; // only the managed kernel exists here
        foreach (var (m, n, k) in new[] { (12, 32, 2), (29, 70, 301), (50, 96, 1600), (7, 33, 5) })
        {
            var cs = new Case(m, n, k, transB: true);
            var jit = cs.NewC();
            var managed = cs.NewC();
            cs.Run(jit, bias: true, Bf16KernelChoice.Jit);
            cs.Run(managed, bias: true, Bf16KernelChoice.Managed);
            Assert.Equal(managed, jit);
        }
    }

    [Fact]
    public void PrepackedAndPerCallPackingAgreeBitForBit()
    {
        var cs = new Case(40, 75, 3001, transB: true); // two K blocks, ragged N
        var perCall = cs.NewC();
        var prepacked = cs.NewC();
        cs.Run(perCall, bias: true, Bf16KernelChoice.Auto);
        using var packed = cs.Pack();
        cs.Run(prepacked, bias: true, Bf16KernelChoice.Auto, packed);
        Assert.Equal(perCall, prepacked);
    }

    [Fact]
    public void AnySplitOfCGivesTheSameBits()
    {
        // The threaded GEMM gives each task a rectangle on tile boundaries; the result must not depend on the cut.
        var cs = new Case(61, 130, 200, transB: true);
        var whole = cs.NewC();
        var split = cs.NewC();
        cs.Run(whole, bias: true, Bf16KernelChoice.Auto);
        fixed (float* a = cs.A, b = cs.B, c = split, bias = cs.Bias)
        {
            var p = new Bf16Problem(cs.M, cs.N, cs.K, a, cs.Lda, true, b, cs.Ldb, null, c, cs.Ldc, bias);
            foreach (var (r0, r1) in new[] { (0, 24), (24, 61) })
                foreach (var (c0, c1) in new[] { (0, 64), (64, 96), (96, 130) })
                    if (Bf16Gemm.Resolve(Bf16KernelChoice.Auto) == Bf16KernelChoice.Jit) Bf16Driver<Bf16JitKernel>.Run(p, r0, r1, c0, c1);
                    else Bf16Driver<Bf16ManagedKernel>.Run(p, r0, r1, c0, c1);
        }
        Assert.Equal(whole, split);
    }

    [Fact]
    public void EmptyDepthGivesTheBias()
    {
        var cs = new Case(3, 5, 0, transB: true);
        var c = cs.NewC();
        cs.Run(c, bias: true, Bf16KernelChoice.Auto);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) Assert.Equal(cs.Bias[j], c[i * cs.Ldc + j]);
    }

    [Fact]
    public void BatchedRunsEachProblem()
    {
        const int m = 14, n = 40, k = 9, batches = 3;
        var rng = new Random(3);
        var a = Enumerable.Range(0, batches * m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(); // broadcast B
        var c = new float[batches * m * n];
        var aOff = new long[] { 0, m * k, 2 * m * k };
        var bOff = new long[] { 0, 0, 0 };
        fixed (float* pa = a, pb = b, pc = c)
        fixed (long* ao = aOff, bo = bOff)
            Bf16Gemm.GemmBatched(false, m, n, k, pa, ao, k, pb, bo, n, pc, m * n, n, batches);
        for (int t = 0; t < batches; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double)BFloat16.Round(a[t * m * k + i * k + p]) * BFloat16.Round(b[p * n + j]);
                    Assert.Equal(sum, c[t * m * n + i * n + j], 5e-6);
                }
    }

    [Fact]
    public void WideningRecoversTheRoundedWeight()
    {
        var cs = new Case(1, 45, 37, transB: true, pad: 2);
        using var packed = cs.Pack();
        var widened = new float[cs.N * cs.K];
        fixed (float* w = widened) packed.Widen(w, cs.K);
        for (int j = 0; j < cs.N; j++)
            for (int p = 0; p < cs.K; p++)
                Assert.Equal(BFloat16.Round(cs.B[j * cs.Ldb + p]), widened[j * cs.K + p]);

        // Packing bf16 rows directly (a BF16 checkpoint) gives the same panels.
        var bits = new ushort[cs.N * cs.K];
        BFloat16.FromFloat(widened, bits);
        fixed (ushort* pb = bits)
        {
            using var direct = Bf16PackedB.FromBf16Rows(cs.K, cs.N, pb, cs.K);
            var again = new float[cs.N * cs.K];
            fixed (float* w = again) direct.Widen(w, cs.K);
            Assert.Equal(widened, again);
        }
    }
}
