using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Wuerstchen.Kernels;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Element conversions between the safetensors dtypes and float32, over raw little-endian memory.
/// The half-precision paths are vectorised and split across <see cref="Threads"/>, since they run over
/// multi-gigabyte fp16/bf16 weight files where page-faulting the mapping dominates a serial loop.
/// Rounding follows torch: F32 → F16/BF16 round to nearest even; BF16 NaNs become the canonical 0x7FC0.
/// </summary>
internal static unsafe class DTypeConversion
{
    /// <summary>Elements per parallel work item: large enough to amortise scheduling, small enough to balance.</summary>
    private const long Block = 1 << 18;

    /// <summary>Converts <paramref name="count"/> elements of <paramref name="type"/> at <paramref name="src"/> to float32.</summary>
    public static void ToFloat32(SafeTensorsDType type, byte* src, float* dst, long count)
    {
        int size = type.ByteSize();
        ForBlocks(count, (start, n) => ToFloat32Serial(type, src + start * size, dst + start, n));
    }

    /// <summary>Converts float32 values to <paramref name="type"/> (a floating-point dtype) at <paramref name="dst"/>.</summary>
    public static void FromFloat32(SafeTensorsDType type, float* src, byte* dst, long count)
    {
        if (!type.IsFloatingPoint())
            throw new ArgumentException($"Float32 data can only be stored as F64, F32, F16 or BF16, not {type}.", nameof(type));
        int size = type.ByteSize();
        ForBlocks(count, (start, n) => FromFloat32Serial(type, src + start, dst + start * size, n));
    }

    private static void ForBlocks(long count, Action<long, int> body)
    {
        if (count <= 0) return;
        if (count <= Block) { body(0, (int)count); return; }
        long blocks = (count + Block - 1) / Block;
        if (blocks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), $"{count} elements are too many to convert.");
        Threads.For((int)blocks, b =>
        {
            long start = b * Block;
            body(start, (int)Math.Min(Block, count - start));
        });
    }

    private static void ToFloat32Serial(SafeTensorsDType type, byte* src, float* dst, int n)
    {
        var d = new Span<float>(dst, n);
        switch (type)
        {
            case SafeTensorsDType.F32: new ReadOnlySpan<float>(src, n).CopyTo(d); break;
            case SafeTensorsDType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, n), d); break;
            case SafeTensorsDType.BF16: BFloat16ToFloat32(new ReadOnlySpan<ushort>(src, n), d); break;
            case SafeTensorsDType.F64: { var s = new ReadOnlySpan<double>(src, n); for (int i = 0; i < n; i++) d[i] = (float)s[i]; break; }
            case SafeTensorsDType.I64: { var s = new ReadOnlySpan<long>(src, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            case SafeTensorsDType.I32: { var s = new ReadOnlySpan<int>(src, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            case SafeTensorsDType.I16: { var s = new ReadOnlySpan<short>(src, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            case SafeTensorsDType.I8: { var s = new ReadOnlySpan<sbyte>(src, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            case SafeTensorsDType.U8: { var s = new ReadOnlySpan<byte>(src, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            // torch reads any non-zero byte of a bool tensor as true.
            case SafeTensorsDType.BOOL: { var s = new ReadOnlySpan<byte>(src, n); for (int i = 0; i < n; i++) d[i] = s[i] != 0 ? 1f : 0f; break; }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void FromFloat32Serial(SafeTensorsDType type, float* src, byte* dst, int n)
    {
        var s = new ReadOnlySpan<float>(src, n);
        switch (type)
        {
            case SafeTensorsDType.F32: s.CopyTo(new Span<float>(dst, n)); break;
            case SafeTensorsDType.F16: TensorPrimitives.ConvertToHalf(s, new Span<Half>(dst, n)); break;
            case SafeTensorsDType.BF16: Float32ToBFloat16(s, new Span<ushort>(dst, n)); break;
            case SafeTensorsDType.F64: { var d = new Span<double>(dst, n); for (int i = 0; i < n; i++) d[i] = s[i]; break; }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>bfloat16 is the top half of a float32, so widening is a 16-bit shift (exact, NaNs and signs kept).</summary>
    public static void BFloat16ToFloat32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("Destination is shorter than the source.", nameof(dst));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var d = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(dst);
            for (; i <= src.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(src[i..]), out Vector<uint> lo, out Vector<uint> hi);
                (lo << 16).CopyTo(d[i..]);
                (hi << 16).CopyTo(d[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < src.Length; i++) dst[i] = BFloat16ToFloat32(src[i]);
    }

    /// <summary>float32 → bfloat16 with round-to-nearest-even, as torch's <c>round_to_nearest_even</c>.</summary>
    public static void Float32ToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("Destination is shorter than the source.", nameof(dst));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(src);
            var one = Vector<uint>.One;
            var bias = new Vector<uint>(0x7FFF);
            var absMask = new Vector<uint>(0x7FFF_FFFF);
            var infinity = new Vector<uint>(0x7F80_0000);
            var quietNaN = new Vector<uint>(0x7FC0);
            for (; i <= src.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                var a = Round(new Vector<uint>(s[i..]));
                var b = Round(new Vector<uint>(s[(i + Vector<uint>.Count)..]));
                Vector.Narrow(a, b).CopyTo(dst[i..]);
            }

            Vector<uint> Round(Vector<uint> u)
            {
                var rounded = (u + bias + ((u >> 16) & one)) >> 16;
                var isNaN = Vector.GreaterThan(u & absMask, infinity);
                return Vector.ConditionalSelect(isNaN, quietNaN, rounded);
            }
        }
        for (; i < src.Length; i++) dst[i] = Float32ToBFloat16(src[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToFloat32(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Float32ToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint u = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
}
