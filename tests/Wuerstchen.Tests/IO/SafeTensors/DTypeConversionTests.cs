using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Tests.IO.SafeTensors;

public unsafe class DTypeConversionTests
{
    /// <summary>Nearest bfloat16 by exhaustive comparison in double, ties to the even pattern: independent of the bit trick.</summary>
    private static ushort ReferenceBFloat16(float x)
    {
        if (float.IsNaN(x)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort lo = (ushort)(bits >> 16);
        if ((bits & 0xFFFF) == 0) return lo;
        ushort hi = (ushort)(lo + 1);
        double dl = Math.Abs((double)x - DTypeConversion.BFloat16ToFloat32(lo));
        double dh = Math.Abs((double)x - DTypeConversion.BFloat16ToFloat32(hi));
        if (float.IsInfinity(DTypeConversion.BFloat16ToFloat32(hi)))
        {
            // Overflow threshold: values at or past max + half an ulp round to infinity.
            double maxBf16 = Math.Abs(DTypeConversion.BFloat16ToFloat32(lo));
            double halfUlp = Math.Pow(2, 127 - 8);
            return Math.Abs(x) >= maxBf16 + halfUlp ? hi : lo;
        }
        if (dl < dh) return lo;
        if (dh < dl) return hi;
        return (lo & 1) == 0 ? lo : hi;
    }

    private static float[] InterestingFloats()
    {
        var rng = new System.Random(1234);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0x7F80_0001),
            BitConverter.UInt32BitsToSingle(0x3F80_8000), // exactly halfway, even below: rounds down
            BitConverter.UInt32BitsToSingle(0x3F81_8000), // exactly halfway, odd below: rounds up
            BitConverter.UInt32BitsToSingle(0x3F80_8001), BitConverter.UInt32BitsToSingle(0x3F80_7FFF),
            BitConverter.UInt32BitsToSingle(0x7F7F_8000), BitConverter.UInt32BitsToSingle(0x7F7F_7FFF),
            BitConverter.UInt32BitsToSingle(0x0000_8000), BitConverter.UInt32BitsToSingle(0x8001_8000),
        };
        for (int i = 0; i < 5000; i++) values.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)));
        for (int i = 0; i < 1000; i++) values.Add((float)(rng.NextDouble() * 4 - 2));
        return [.. values];
    }

    [Fact]
    public void Float32ToBFloat16_RoundsToNearestEven_WithCanonicalNaN()
    {
        foreach (var x in InterestingFloats())
            if (ReferenceBFloat16(x) != DTypeConversion.Float32ToBFloat16(x)) Assert.Fail($"bf16({x:R}, bits {BitConverter.SingleToUInt32Bits(x):X8})");
    }

    [Fact]
    public void VectorPaths_MatchScalar_ForEveryTailLength()
    {
        var all = InterestingFloats();
        for (int n = 0; n <= 80; n++)
        {
            var src = all.AsSpan(7, n);
            var bf = new ushort[n + 1];
            DTypeConversion.Float32ToBFloat16(src, bf);
            var back = new float[n + 1];
            DTypeConversion.BFloat16ToFloat32(bf.AsSpan(0, n), back);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(DTypeConversion.Float32ToBFloat16(src[i]), bf[i]);
                Assert.Equal(BitConverter.SingleToUInt32Bits(DTypeConversion.BFloat16ToFloat32(bf[i])), BitConverter.SingleToUInt32Bits(back[i]));
            }
            Assert.Equal(0, bf[n]);
            Assert.Equal(0f, back[n]);
        }
    }

    [Fact]
    public void BFloat16Widening_IsExact_ForAllBitPatterns()
    {
        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var dst = new float[src.Length];
        DTypeConversion.BFloat16ToFloat32(src, dst);
        for (int i = 0; i < src.Length; i++) Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(dst[i]));
    }

    [Fact]
    public void HalfWidening_MatchesSystemHalf_ForAllBitPatterns()
    {
        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var dst = new float[src.Length];
        fixed (ushort* s = src) fixed (float* d = dst)
            DTypeConversion.ToFloat32(SafeTensorsDType.F16, (byte*)s, d, src.Length);
        for (int i = 0; i < src.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(dst[i]));
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(dst[i]));
        }
    }

    [Theory]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    [InlineData(SafeTensorsDType.F64)]
    public void LargeConversions_SplitIntoBlocks_AgreeWithElementwise(SafeTensorsDType type)
    {
        // More than one parallel block (2^18 elements) with a ragged last block.
        const int n = (1 << 19) + 12345;
        var rng = new System.Random(5);
        var src = new float[n];
        for (int i = 0; i < n; i++) src[i] = (float)(rng.NextDouble() * 200 - 100);
        var encoded = new byte[n * type.ByteSize()];
        var decoded = new float[n];
        fixed (float* s = src) fixed (byte* e = encoded) fixed (float* d = decoded)
        {
            DTypeConversion.FromFloat32(type, s, e, n);
            DTypeConversion.ToFloat32(type, e, d, n);
        }
        for (int i = 0; i < n; i++)
        {
            float expected = type switch
            {
                SafeTensorsDType.F16 => (float)(Half)src[i],
                SafeTensorsDType.BF16 => DTypeConversion.BFloat16ToFloat32(ReferenceBFloat16(src[i])),
                _ => src[i],
            };
            if (expected != decoded[i]) Assert.Fail($"{type} element {i}: {src[i]:R} → {decoded[i]:R}, expected {expected:R}.");
        }
    }

    [Fact]
    public void IntegerTypes_CannotBeWrittenFromFloat32()
    {
        Assert.Throws<ArgumentException>(() =>
        {
            float* x = stackalloc float[1];
            byte* b = stackalloc byte[4];
            DTypeConversion.FromFloat32(SafeTensorsDType.I32, x, b, 1);
        });
    }
}
