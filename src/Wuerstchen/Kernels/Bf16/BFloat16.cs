using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// bfloat16 (1 sign, 8 exponent, 7 mantissa bits: the top half of a float32) conversions. Narrowing rounds to
/// nearest, ties to even, as <c>vcvtne2ps2bf16</c> does; a NaN stays a NaN (quieted) instead of rounding into
/// an infinity. Widening is exact: the bf16 bits become the float's upper 16 bits.
/// The GEMM stores bf16 in pairs: one uint32 holds depths 2p (low half) and 2p+1 (high half) of a row or
/// column, the operand layout of <c>vdpbf16ps</c>.
/// </summary>
public static class BFloat16
{
    /// <summary>float32 → bf16 bits, round to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x40); // NaN: keep sign and payload top, set the quiet bit
        // Adding 0x7FFF rounds half-way cases down and everything above up; the lowest kept bit breaks ties to even.
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>bf16 bits → float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><paramref name="value"/> rounded to the nearest bf16, as a float32.</summary>
    public static float Round(float value) => ToFloat(FromFloat(value));

    /// <summary>One GEMM pair: <paramref name="even"/> in the low 16 bits, <paramref name="odd"/> in the high 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Pair(float even, float odd) => FromFloat(even) | (uint)FromFloat(odd) << 16;

    /// <summary>Sixteen floats rounded to bf16, each left in the upper half of its lane (lower half zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> RoundToUpperHalf(Vector512<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) & Vector512.Create(0xFFFF_0000u);
        var nan = (bits | Vector512.Create(0x0040_0000u)) & Vector512.Create(0xFFFF_0000u);
        return Vector512.ConditionalSelect(Vector512.IsNaN(v).AsUInt32(), nan, rounded);
    }

    /// <inheritdoc cref="RoundToUpperHalf(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> RoundToUpperHalf(Vector256<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF_0000u);
        var nan = (bits | Vector256.Create(0x0040_0000u)) & Vector256.Create(0xFFFF_0000u);
        return Vector256.ConditionalSelect(Vector256.IsNaN(v).AsUInt32(), nan, rounded);
    }

    /// <summary>Narrows <paramref name="source"/> to bf16 bits in <paramref name="destination"/> (same length).</summary>
    public static unsafe void FromFloat(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length != source.Length)
            throw new ArgumentException($"BFloat16.FromFloat: destination has {destination.Length} elements, source {source.Length}.", nameof(destination));
        int i = 0;
        fixed (float* s = source)
        fixed (ushort* d = destination)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; i + 16 <= source.Length; i += 16)
                {
                    var hi = RoundToUpperHalf(Vector512.Load(s + i)) >> 16;
                    Vector256.Store(Vector512.Narrow(hi, Vector512<uint>.Zero).GetLower(), d + i);
                }
            for (; i < source.Length; i++) d[i] = FromFloat(s[i]);
        }
    }

    /// <summary>Widens bf16 bits in <paramref name="source"/> to floats in <paramref name="destination"/> (same length).</summary>
    public static unsafe void ToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length != source.Length)
            throw new ArgumentException($"BFloat16.ToFloat: destination has {destination.Length} elements, source {source.Length}.", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = ToFloat(source[i]);
    }
}
