namespace Wuerstchen.Kernels;

/// <summary>
/// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose when the flag is set.
/// A is M×K (or K×M when transA), B is K×N (or N×K when transB), C is M×N; lda/ldb/ldc are row strides.
/// PLACEHOLDER (naive, correct) — the optimised packed/blocked AVX-512 implementation replaces this body.
/// </summary>
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, null);

    /// <summary>As above, then adds <paramref name="columnBias"/>[j] (length N, may be null) to every row of C.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc, float* columnBias)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                float r = beta == 0 ? alpha * s : alpha * s + beta * c[i * ldc + j];
                c[i * ldc + j] = columnBias == null ? r : r + columnBias[j];
            }
    }

    /// <summary>
    /// <paramref name="batchCount"/> independent GEMMs: problem t reads A at a + aOffsets[t], B at b + bOffsets[t]
    /// and writes C at c + t·<paramref name="strideC"/>.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, long* aOffsets, long lda, float* b, long* bOffsets, long ldb,
        float beta, float* c, long strideC, long ldc, int batchCount)
    {
        for (int t = 0; t < batchCount; t++)
            Sgemm(transA, transB, m, n, k, alpha, a + aOffsets[t], lda, b + bOffsets[t], ldb, beta, c + t * strideC, ldc);
    }
}
