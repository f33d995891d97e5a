namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// Reduced-precision GEMM: C = A·op(B) (+ a bias per column) with both operands rounded to bf16 (round to
/// nearest even) and products accumulated in float32, row-major like <see cref="Gemm"/>. A is float32 M×K,
/// rounded while it is packed; B is either prepacked once (<see cref="Bf16PackedB"/>, a weight) or float32
/// rounded block by block. Blocked as the fp32 GEMM is (<see cref="Bf16Driver{TKernel}"/>) and split across
/// <see cref="Threads"/> by the same <see cref="GemmGrid"/>, so results do not depend on the thread count.
/// The kernel is the run-time generated AVX512_BF16 one (<see cref="Bf16JitKernel"/>) where the CPU has it,
/// else a managed kernel with the same arithmetic.
/// </summary>
public static unsafe class Bf16Gemm
{
    /// <summary>
    /// Process-wide kernel choice for <see cref="Bf16KernelChoice.Auto"/> calls (default: Auto). The environment
    /// variable <c>WUERSTCHEN_BF16_KERNEL=managed</c> forces the managed kernel, e.g. to rule the JIT out.
    /// </summary>
    public static Bf16KernelChoice DefaultKernel { get; set; } =
        string.Equals(Environment.GetEnvironmentVariable("WUERSTCHEN_BF16_KERNEL"), "managed", StringComparison.OrdinalIgnoreCase)
            ? Bf16KernelChoice.Managed : Bf16KernelChoice.Auto;

    /// <summary>True when the <c>vdpbf16ps</c> kernel is generated and usable on this machine.</summary>
    public static bool IsHardwareAccelerated => Bf16JitKernel.IsAvailable;

    /// <summary>The kernel an Auto call runs now, in words (for benchmark and generate reports).</summary>
    public static string KernelDescription => Resolve(Bf16KernelChoice.Auto) == Bf16KernelChoice.Jit
        ? "AVX512_BF16 (run-time generated vdpbf16ps)"
        : $"managed bf16 ({Bf16JitKernel.UnavailableReason ?? "forced"})";

    /// <summary>C (M×N, row stride ldc) = A (M×K, row stride lda) · B (+ bias[N]) with B prepacked.</summary>
    public static void Gemm(int m, float* a, long lda, Bf16PackedB b, float* c, long ldc, float* bias = null,
        Bf16KernelChoice kernel = Bf16KernelChoice.Auto) =>
        Run(new Bf16Problem(m, b.N, b.K, a, lda, false, null, 0, b.Data, c, ldc, bias), kernel);

    /// <summary>C = A · op(B) (+ bias) with float32 B (K×N, or N×K when <paramref name="transB"/>) rounded as it is packed.</summary>
    public static void Gemm(bool transB, int m, int n, int k, float* a, long lda, float* b, long ldb, float* c, long ldc,
        float* bias = null, Bf16KernelChoice kernel = Bf16KernelChoice.Auto) =>
        Run(new Bf16Problem(m, n, k, a, lda, transB, b, ldb, null, c, ldc, bias), kernel);

    /// <summary>
    /// <paramref name="batchCount"/> independent products of one shape (torch.matmul's batch): problem t reads
    /// A at a + aOffsets[t] and B at b + bOffsets[t] and writes C at c + t·strideC.
    /// </summary>
    public static void GemmBatched(bool transB, int m, int n, int k, float* a, long* aOffsets, long lda,
        float* b, long* bOffsets, long ldb, float* c, long strideC, long ldc, int batchCount,
        Bf16KernelChoice kernel = Bf16KernelChoice.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        var p = new Bf16Problem(m, n, k, a, lda, transB, b, ldb, null, c, ldc, null);
        Validate(p);
        if (batchCount == 0 || m == 0 || n == 0) return;
        if (Resolve(kernel) == Bf16KernelChoice.Jit) RunBatched<Bf16JitKernel>(p, aOffsets, bOffsets, strideC, batchCount);
        else RunBatched<Bf16ManagedKernel>(p, aOffsets, bOffsets, strideC, batchCount);
    }

    private static void Run(in Bf16Problem p, Bf16KernelChoice kernel)
    {
        Validate(p);
        if (p.M == 0 || p.N == 0) return;
        if (Resolve(kernel) == Bf16KernelChoice.Jit) RunParallel<Bf16JitKernel>(p);
        else RunParallel<Bf16ManagedKernel>(p);
    }

    internal static Bf16KernelChoice Resolve(Bf16KernelChoice kernel)
    {
        if (kernel == Bf16KernelChoice.Auto) kernel = DefaultKernel;
        return kernel switch
        {
            Bf16KernelChoice.Managed => Bf16KernelChoice.Managed,
            Bf16KernelChoice.Jit when !Bf16JitKernel.IsAvailable =>
                throw new PlatformNotSupportedException($"The bf16 JIT kernel is unavailable: {Bf16JitKernel.UnavailableReason}"),
            Bf16KernelChoice.Jit => Bf16KernelChoice.Jit,
            _ => Bf16JitKernel.IsAvailable ? Bf16KernelChoice.Jit : Bf16KernelChoice.Managed,
        };
    }

    private static void RunParallel<TKernel>(Bf16Problem p) where TKernel : struct, IBf16MicroKernel
    {
        var grid = GemmGrid.Choose(p.M, p.N, p.K, Bf16Packing.MR, Bf16Packing.NR, Threads.Available);
        if (grid.Count == 1)
        {
            Bf16Driver<TKernel>.Run(p, 0, p.M, 0, p.N);
            return;
        }
        Threads.For(grid.Count, task =>
        {
            var (r0, r1) = grid.Rows(task, p.M, Bf16Packing.MR);
            var (c0, c1) = grid.Cols(task, p.N, Bf16Packing.NR);
            Bf16Driver<TKernel>.Run(p, r0, r1, c0, c1);
        });
    }

    private static void RunBatched<TKernel>(Bf16Problem p, long* aOffsets, long* bOffsets, long strideC, int batchCount)
        where TKernel : struct, IBf16MicroKernel
    {
        int threads = Threads.Available;
        // As the fp32 batched GEMM: many problems run one per thread, few are each split across all threads.
        var grid = batchCount >= 4 * threads ? new GemmGrid(1, 1) : GemmGrid.Choose(p.M, p.N, p.K, Bf16Packing.MR, Bf16Packing.NR, threads);
        int parts = grid.Count;
        Threads.For(batchCount * parts, task =>
        {
            int t = task / parts, part = task % parts;
            var problem = p with { A = p.A + aOffsets[t], B = p.B + bOffsets[t], C = p.C + t * strideC };
            var (r0, r1) = grid.Rows(part, p.M, Bf16Packing.MR);
            var (c0, c1) = grid.Cols(part, p.N, Bf16Packing.NR);
            Bf16Driver<TKernel>.Run(problem, r0, r1, c0, c1);
        });
    }

    private static void Validate(in Bf16Problem p)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p.M, "m");
        ArgumentOutOfRangeException.ThrowIfNegative(p.N, "n");
        ArgumentOutOfRangeException.ThrowIfNegative(p.K, "k");
        Kernels.Gemm.ValidateLd(p.M, p.K, p.Lda, "lda");
        if (p.PackedB == null) Kernels.Gemm.ValidateLd(p.TransB ? p.N : p.K, p.TransB ? p.K : p.N, p.Ldb, "ldb");
        Kernels.Gemm.ValidateLd(p.M, p.N, p.Ldc, "ldc");
    }
}

/// <summary>One C = A·op(B) + bias problem; <see cref="PackedB"/>, when set, replaces B/Ldb/TransB with whole-K bf16 panels.</summary>
internal readonly unsafe struct Bf16Problem(int m, int n, int k, float* a, long lda, bool transB, float* b, long ldb,
    uint* packedB, float* c, long ldc, float* bias)
{
    public int M { get; } = m;
    public int N { get; } = n;
    public int K { get; } = k;
    public float* A { get; init; } = a;
    public long Lda { get; } = lda;
    public bool TransB { get; } = transB;
    public float* B { get; init; } = b;
    public long Ldb { get; } = ldb;
    public uint* PackedB { get; } = packedB;
    public float* C { get; init; } = c;
    public long Ldc { get; } = ldc;
    public float* Bias { get; } = bias;
}
