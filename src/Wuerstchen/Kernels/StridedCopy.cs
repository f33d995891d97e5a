namespace Wuerstchen.Kernels;

/// <summary>Copies between a strided n-d layout and a dense row-major buffer.</summary>
public static unsafe class StridedCopy
{
    /// <summary>dst (dense) ← src (strided).</summary>
    public static void Gather(float* src, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, float* dst) =>
        Walk(src, shape, strides, dst, gather: true);

    /// <summary>dst (strided) ← src (dense).</summary>
    public static void Scatter(float* src, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, float* dst) =>
        Walk(dst, shape, strides, src, gather: false);

    private static void Walk(float* strided, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, float* dense, bool gather)
    {
        int rank = shape.Length;
        long numel = 1;
        foreach (var d in shape) numel *= d;
        if (numel == 0) return;
        if (rank == 0) { if (gather) *dense = *strided; else *strided = *dense; return; }
        int inner = shape[rank - 1];
        long innerStride = strides[rank - 1];
        long outer = numel / inner;
        Span<int> idx = stackalloc int[rank];
        for (long o = 0; o < outer; o++)
        {
            long off = 0;
            for (int d = 0; d < rank - 1; d++) off += idx[d] * strides[d];
            float* s = strided + off;
            float* t = dense + o * inner;
            if (innerStride == 1)
            {
                if (gather) Buffer.MemoryCopy(s, t, inner * 4L, inner * 4L);
                else Buffer.MemoryCopy(t, s, inner * 4L, inner * 4L);
            }
            else if (gather) for (int i = 0; i < inner; i++) t[i] = s[i * innerStride];
            else for (int i = 0; i < inner; i++) s[i * innerStride] = t[i];
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
    }
}
