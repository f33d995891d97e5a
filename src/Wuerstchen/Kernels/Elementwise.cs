using System.Runtime.CompilerServices;

namespace Wuerstchen.Kernels;

/// <summary>A lane-wise function y = f(x), written once for every register width.</summary>
internal interface IUnaryOp
{
    TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV>;
}

/// <summary>A lane-wise function y = f(a, b).</summary>
internal interface IBinaryOp
{
    TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV>;
}

/// <summary>
/// Drivers that run lane-wise ops over contiguous float buffers: widest register body, and the tail (fewer than
/// one register) computed through a zero-padded stack register so every op needs only its vector form.
/// Large buffers are split across <see cref="Threads"/>.
/// </summary>
public static unsafe class Elementwise
{
    /// <summary>Elements per parallel work item: big enough to amortise scheduling, small enough to balance.</summary>
    internal const int ParallelGrain = 1 << 15;

    // ---------------------------------------------------------------- public kernels

    public static void Add(float* a, float* b, float* y, long n) => Zip(default(AddOp), a, 1, b, 1, y, n);
    public static void AddScalar(float* x, float s, float* y, long n) => Map(new AddScalarOp(s), x, y, n);
    public static void MulScalar(float* x, float s, float* y, long n) => Map(new MulScalarOp(s), x, y, n);
    public static void Abs(float* x, float* y, long n) => Map(default(AbsOp), x, y, n);
    public static void Neg(float* x, float* y, long n) => Map(default(NegOp), x, y, n);
    public static void Sqrt(float* x, float* y, long n) => Map(default(SqrtOp), x, y, n);
    public static void Square(float* x, float* y, long n) => Map(default(SquareOp), x, y, n);
    public static void Exp(float* x, float* y, long n) => Map(default(ExpOp), x, y, n);
    public static void Clamp(float* x, float min, float max, float* y, long n) => Map(new ClampOp(min, max), x, y, n);

    /// <summary>torch.lerp with a scalar weight, evaluated in torch's two forms (see <see cref="LerpOp"/>).</summary>
    public static void Lerp(float* start, float* end, float weight, float* y, long n) =>
        Zip(new LerpOp(weight), start, 1, end, 1, y, n);

    // ---------------------------------------------------------------- drivers

    /// <summary>y[i] = op(x[i]) for i &lt; n; x and y may alias exactly.</summary>
    internal static void Map<TOp>(TOp op, float* x, float* y, long n) where TOp : struct, IUnaryOp
    {
        if (n <= 0) return;
        if (n <= ParallelGrain) { MapSerial(op, x, y, n); return; }
        long chunks = (n + ParallelGrain - 1) / ParallelGrain;
        Threads.For((int)chunks, c =>
        {
            long start = c * (long)ParallelGrain;
            MapSerial(op, x + start, y + start, Math.Min(ParallelGrain, n - start));
        });
    }

    /// <summary>y[i] = op(a[i·sa], b[i·sb]) with element strides sa, sb ∈ {0, 1} (0 broadcasts one value).</summary>
    internal static void Zip<TOp>(TOp op, float* a, int sa, float* b, int sb, float* y, long n) where TOp : struct, IBinaryOp
    {
        if (n <= 0) return;
        if (n <= ParallelGrain) { ZipSerial(op, a, sa, b, sb, y, n); return; }
        long chunks = (n + ParallelGrain - 1) / ParallelGrain;
        Threads.For((int)chunks, c =>
        {
            long start = c * (long)ParallelGrain;
            ZipSerial(op, a + start * sa, sa, b + start * sb, sb, y + start, Math.Min(ParallelGrain, n - start));
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MapSerial<TOp>(TOp op, float* x, float* y, long n) where TOp : struct, IUnaryOp
    {
        if (V512.IsAccelerated) MapCore<TOp, V512>(op, x, y, n);
        else if (V256.IsAccelerated) MapCore<TOp, V256>(op, x, y, n);
        else MapCore<TOp, V128>(op, x, y, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ZipSerial<TOp>(TOp op, float* a, int sa, float* b, int sb, float* y, long n) where TOp : struct, IBinaryOp
    {
        if (V512.IsAccelerated) ZipCore<TOp, V512>(op, a, sa, b, sb, y, n);
        else if (V256.IsAccelerated) ZipCore<TOp, V256>(op, a, sa, b, sb, y, n);
        else ZipCore<TOp, V128>(op, a, sa, b, sb, y, n);
    }

    private static void MapCore<TOp, TV>(TOp op, float* x, float* y, long n)
        where TOp : struct, IUnaryOp where TV : unmanaged, ISimd<TV>
    {
        long i = 0;
        for (; i + 4 * TV.Count <= n; i += 4 * TV.Count)
        {
            var v0 = op.Invoke(TV.Load(x + i));
            var v1 = op.Invoke(TV.Load(x + i + TV.Count));
            var v2 = op.Invoke(TV.Load(x + i + 2 * TV.Count));
            var v3 = op.Invoke(TV.Load(x + i + 3 * TV.Count));
            TV.Store(v0, y + i);
            TV.Store(v1, y + i + TV.Count);
            TV.Store(v2, y + i + 2 * TV.Count);
            TV.Store(v3, y + i + 3 * TV.Count);
        }
        for (; i + TV.Count <= n; i += TV.Count)
            TV.Store(op.Invoke(TV.Load(x + i)), y + i);
        if (i < n)
        {
            int rest = (int)(n - i);
            float* pad = stackalloc float[TV.Count];
            new Span<float>(pad, TV.Count).Clear();
            new Span<float>(x + i, rest).CopyTo(new Span<float>(pad, rest));
            TV.Store(op.Invoke(TV.Load(pad)), pad);
            new Span<float>(pad, rest).CopyTo(new Span<float>(y + i, rest));
        }
    }

    private static void ZipCore<TOp, TV>(TOp op, float* a, int sa, float* b, int sb, float* y, long n)
        where TOp : struct, IBinaryOp where TV : unmanaged, ISimd<TV>
    {
        long i = 0;
        if (sa == 1 && sb == 1)
            for (; i + TV.Count <= n; i += TV.Count) TV.Store(op.Invoke(TV.Load(a + i), TV.Load(b + i)), y + i);
        else if (sa == 1)
        {
            var vb = TV.Create(*b);
            for (; i + TV.Count <= n; i += TV.Count) TV.Store(op.Invoke(TV.Load(a + i), vb), y + i);
        }
        else if (sb == 1)
        {
            var va = TV.Create(*a);
            for (; i + TV.Count <= n; i += TV.Count) TV.Store(op.Invoke(va, TV.Load(b + i)), y + i);
        }
        else
        {
            // Both broadcast: one value, repeated.
            var v = op.Invoke(TV.Create(*a), TV.Create(*b));
            for (; i + TV.Count <= n; i += TV.Count) TV.Store(v, y + i);
        }
        if (i < n)
        {
            int rest = (int)(n - i);
            float* pa = stackalloc float[TV.Count];
            float* pb = stackalloc float[TV.Count];
            for (int j = 0; j < TV.Count; j++)
            {
                pa[j] = j < rest ? a[(i + j) * sa] : 0f;
                pb[j] = j < rest ? b[(i + j) * sb] : 0f;
            }
            TV.Store(op.Invoke(TV.Load(pa), TV.Load(pb)), pa);
            new Span<float>(pa, rest).CopyTo(new Span<float>(y + i, rest));
        }
    }
}

// -------------------------------------------------------------------- the simple ops

internal readonly struct AddOp : IBinaryOp { public TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV> => a + b; }
internal readonly struct SubOp : IBinaryOp { public TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV> => a - b; }
internal readonly struct MulOp : IBinaryOp { public TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV> => a * b; }
internal readonly struct DivOp : IBinaryOp { public TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV> => a / b; }

/// <summary>
/// torch.lerp: start + w·(end − start) when |w| &lt; 0.5, else end − (end − start)·(1 − w). torch switches form
/// on |w| so that both ends are reproduced exactly (w = 0 gives start, w = 1 gives end); guidance uses w &gt; 1.
/// Both forms are fused multiply-adds, as torch's vectorised lerp (and its FMA-contracted AVX2 build) computes them.
/// </summary>
internal readonly struct LerpOp(float weight) : IBinaryOp
{
    public TV Invoke<TV>(TV start, TV end) where TV : unmanaged, ISimd<TV>
    {
        var diff = end - start;
        return MathF.Abs(weight) < 0.5f
            ? TV.Fma(TV.Create(weight), diff, start)
            : TV.Fma(-diff, TV.Create(1f - weight), end);
    }
}

/// <summary>a + s·b, rounded twice as torch's <c>a + b * s</c> (no fused multiply-add): a gated residual in one pass.</summary>
internal readonly struct AddScaledOp(float s) : IBinaryOp { public TV Invoke<TV>(TV a, TV b) where TV : unmanaged, ISimd<TV> => a + b * TV.Create(s); }

internal readonly struct AddScalarOp(float s) : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => x + TV.Create(s); }
internal readonly struct MulScalarOp(float s) : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => x * TV.Create(s); }
/// <summary>x / s, a true division (x·(1/s) rounds differently).</summary>
internal readonly struct DivScalarOp(float s) : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => x / TV.Create(s); }
/// <summary>s − x.</summary>
internal readonly struct ScalarSubOp(float s) : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Create(s) - x; }
internal readonly struct AbsOp : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Abs(x); }
internal readonly struct NegOp : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => -x; }
internal readonly struct SqrtOp : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Sqrt(x); }
internal readonly struct SquareOp : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => x * x; }
internal readonly struct ExpOp : IUnaryOp { public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => VectorMath.Exp(x); }

/// <summary>torch.clamp: min(max(x, lo), hi); NaN stays NaN.</summary>
internal readonly struct ClampOp(float min, float max) : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Min(TV.Max(x, TV.Create(min)), TV.Create(max));
}
