namespace Wuerstchen.Kernels;

/// <summary>
/// One C = alpha·op(A)·op(B) + beta·C + bias problem, row-major. <see cref="PackedB"/>, when set, replaces
/// B/ldb/TransB with panels prepacked for the kernel in use (see <see cref="GemmPackedB"/>).
/// </summary>
internal readonly unsafe struct GemmProblem(
    bool transA, bool transB, int m, int n, int k, float alpha,
    float* a, long lda, float* b, long ldb, float beta, float* c, long ldc, float* bias, float* packedB)
{
    public bool TransA { get; init; } = transA;
    public bool TransB { get; init; } = transB;
    public int M { get; init; } = m;
    public int N { get; init; } = n;
    public int K { get; init; } = k;
    public float Alpha { get; init; } = alpha;
    public float* A { get; init; } = a;
    public long Lda { get; init; } = lda;
    public float* B { get; init; } = b;
    public long Ldb { get; init; } = ldb;
    public float Beta { get; init; } = beta;
    public float* C { get; init; } = c;
    public long Ldc { get; init; } = ldc;
    public float* Bias { get; init; } = bias;
    public float* PackedB { get; init; } = packedB;
}
