using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels;

/// <summary>
/// One float SIMD register of some width. The math kernels (exp, erf, GELU, softmax, …) are written once,
/// generic over this interface, and the JIT specialises them for <see cref="V512"/>, <see cref="V256"/> and
/// <see cref="V128"/> (struct type arguments are compiled per type and every member inlines), so there is no
/// per-width copy of each polynomial. (The BCL's own <c>ISimdVector</c> is internal, hence this small shim.)
/// </summary>
internal unsafe interface ISimd<TSelf> where TSelf : unmanaged, ISimd<TSelf>
{
    static abstract int Count { get; }
    static abstract bool IsAccelerated { get; }

    static abstract TSelf Load(float* p);
    static abstract void Store(TSelf v, float* p);
    static abstract TSelf Create(float x);

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf operator &(TSelf a, TSelf b);
    static abstract TSelf operator |(TSelf a, TSelf b);
    static abstract TSelf operator ^(TSelf a, TSelf b);

    /// <summary>a·b + c with one rounding.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Min(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>The CPU's own min/max (x86: the second operand when either is NaN): one instruction, for clamps whose NaN case is handled apart.</summary>
    static abstract TSelf MinNative(TSelf a, TSelf b);
    static abstract TSelf MaxNative(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Sqrt(TSelf a);
    /// <summary>Round to nearest, ties to even.</summary>
    static abstract TSelf Round(TSelf a);
    /// <summary>x·2^n for integral-valued n in [−126, 127].</summary>
    static abstract TSelf ScaleByPow2(TSelf x, TSelf n);

    // Comparisons give all-ones / all-zeros lanes, usable with Select and the bitwise operators.
    static abstract TSelf LessThan(TSelf a, TSelf b);
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    static abstract TSelf IsNaN(TSelf a);
    /// <summary>mask ? a : b per lane.</summary>
    static abstract TSelf Select(TSelf mask, TSelf a, TSelf b);

    static abstract float Sum(TSelf a);
    static abstract float MaxAcross(TSelf a);
}

internal readonly unsafe struct V512 : ISimd<V512>
{
    private readonly Vector512<float> _v;
    private V512(Vector512<float> v) => _v = v;

    public static int Count => Vector512<float>.Count;
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Create(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator +(V512 a, V512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a, V512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator *(V512 a, V512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator /(V512 a, V512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator &(V512 a, V512 b) => new(a._v & b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator |(V512 a, V512 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator ^(V512 a, V512 b) => new(a._v ^ b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Fma(V512 a, V512 b, V512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Min(V512 a, V512 b) => new(Vector512.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 MinNative(V512 a, V512 b) => new(Vector512.MinNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 MaxNative(V512 a, V512 b) => new(Vector512.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Abs(V512 a) => new(Vector512.Abs(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sqrt(V512 a) => new(Vector512.Sqrt(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Round(V512 a) => new(Vector512.Round(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 ScaleByPow2(V512 x, V512 n) =>
        new(x._v * Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n._v) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 LessThan(V512 a, V512 b) => new(Vector512.LessThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 GreaterThan(V512 a, V512 b) => new(Vector512.GreaterThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 IsNaN(V512 a) => new(~Vector512.Equals(a._v, a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Select(V512 m, V512 a, V512 b) => new(Vector512.ConditionalSelect(m._v, a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V512 a) => Vector512.Sum(a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V512 a) => V256.MaxAcross(V256.From(Vector256.Max(a._v.GetLower(), a._v.GetUpper())));
}

internal readonly unsafe struct V256 : ISimd<V256>
{
    private readonly Vector256<float> _v;
    private V256(Vector256<float> v) => _v = v;
    internal static V256 From(Vector256<float> v) => new(v);

    public static int Count => Vector256<float>.Count;
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Create(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator +(V256 a, V256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a, V256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator *(V256 a, V256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator /(V256 a, V256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator &(V256 a, V256 b) => new(a._v & b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator |(V256 a, V256 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator ^(V256 a, V256 b) => new(a._v ^ b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Fma(V256 a, V256 b, V256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Min(V256 a, V256 b) => new(Vector256.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 MinNative(V256 a, V256 b) => new(Vector256.MinNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 MaxNative(V256 a, V256 b) => new(Vector256.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Abs(V256 a) => new(Vector256.Abs(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sqrt(V256 a) => new(Vector256.Sqrt(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Round(V256 a) => new(Vector256.Round(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 ScaleByPow2(V256 x, V256 n) =>
        new(x._v * Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n._v) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 LessThan(V256 a, V256 b) => new(Vector256.LessThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 GreaterThan(V256 a, V256 b) => new(Vector256.GreaterThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 IsNaN(V256 a) => new(~Vector256.Equals(a._v, a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Select(V256 m, V256 a, V256 b) => new(Vector256.ConditionalSelect(m._v, a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V256 a) => Vector256.Sum(a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V256 a) => V128.MaxAcross(V128.From(Vector128.Max(a._v.GetLower(), a._v.GetUpper())));
}

internal readonly unsafe struct V128 : ISimd<V128>
{
    private readonly Vector128<float> _v;
    private V128(Vector128<float> v) => _v = v;
    internal static V128 From(Vector128<float> v) => new(v);

    public static int Count => Vector128<float>.Count;
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(float* p) => new(Vector128.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V128 v, float* p) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Create(float x) => new(Vector128.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator +(V128 a, V128 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator -(V128 a, V128 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator *(V128 a, V128 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator /(V128 a, V128 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator -(V128 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator &(V128 a, V128 b) => new(a._v & b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator |(V128 a, V128 b) => new(a._v | b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 operator ^(V128 a, V128 b) => new(a._v ^ b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Fma(V128 a, V128 b, V128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Min(V128 a, V128 b) => new(Vector128.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Max(V128 a, V128 b) => new(Vector128.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 MinNative(V128 a, V128 b) => new(Vector128.MinNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 MaxNative(V128 a, V128 b) => new(Vector128.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Abs(V128 a) => new(Vector128.Abs(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Sqrt(V128 a) => new(Vector128.Sqrt(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Round(V128 a) => new(Vector128.Round(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 ScaleByPow2(V128 x, V128 n) =>
        new(x._v * Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n._v) + Vector128.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 LessThan(V128 a, V128 b) => new(Vector128.LessThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 GreaterThan(V128 a, V128 b) => new(Vector128.GreaterThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 IsNaN(V128 a) => new(~Vector128.Equals(a._v, a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Select(V128 m, V128 a, V128 b) => new(Vector128.ConditionalSelect(m._v, a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V128 a) => Vector128.Sum(a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V128 a)
    {
        float m = a._v.GetElement(0);
        for (int i = 1; i < Vector128<float>.Count; i++) m = MathF.Max(m, a._v.GetElement(i));
        return m;
    }
}
