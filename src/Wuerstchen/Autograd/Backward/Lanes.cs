using System.Runtime.Intrinsics;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// The vector loops the backward kernels share. Each lane does the scalar loop's float or double operations in the
/// scalar order (separate multiply and add, never fused), so a kernel that keeps one accumulator per element gives
/// the same bits as its scalar form; the scalar tails handle the last elements.
/// </summary>
internal static unsafe class Lanes
{
    /// <summary>Four floats at <paramref name="p"/>, widened to double.</summary>
    public static Vector256<double> Widen(float* p) => Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe());

    /// <summary>Four doubles rounded to float (as a cast) and stored at <paramref name="p"/>.</summary>
    public static void StoreNarrowed(Vector256<double> v, float* p) => Vector256.Narrow(v, v).GetLower().Store(p);

    /// <summary>acc[i] += row[i] in double.</summary>
    public static void AddWidened(double* acc, float* row, int n)
    {
        int i = 0;
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
        {
            var v = Vector256.Load(row + i);
            (Vector256.Load(acc + i) + Vector256.WidenLower(v)).Store(acc + i);
            (Vector256.Load(acc + i + 4) + Vector256.WidenUpper(v)).Store(acc + i + 4);
        }
        for (; i < n; i++) acc[i] += row[i];
    }

    /// <summary>acc[i] += (double)a[i]·b[i] in double (the product of two widened floats is exact).</summary>
    public static void AccumulateProducts(double* acc, float* a, float* b, int n)
    {
        int i = 0;
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
        {
            var va = Vector256.Load(a + i);
            var vb = Vector256.Load(b + i);
            (Vector256.Load(acc + i) + Vector256.WidenLower(va) * Vector256.WidenLower(vb)).Store(acc + i);
            (Vector256.Load(acc + i + 4) + Vector256.WidenUpper(va) * Vector256.WidenUpper(vb)).Store(acc + i + 4);
        }
        for (; i < n; i++) acc[i] += (double)a[i] * b[i];
    }

    /// <summary>dst[i] += src[i]·w[i] in float.</summary>
    public static void MultiplyAdd(float* dst, float* src, float* w, int n)
    {
        int i = 0;
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            (Vector256.Load(dst + i) + Vector256.Load(src + i) * Vector256.Load(w + i)).Store(dst + i);
        for (; i < n; i++) dst[i] += src[i] * w[i];
    }
}
