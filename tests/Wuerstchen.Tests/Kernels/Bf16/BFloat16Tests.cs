using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Tests.Kernels.Bf16;

public unsafe class BFloat16Tests
{
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(3.4028235e38f, 0x7F80)]          // max float rounds up to infinity, as in hardware
    public void NarrowsKnownValues(float value, int bits) => Assert.Equal((ushort)bits, BFloat16.FromFloat(value));

    [Fact]
    public void RoundsToNearestWithTiesToEven()
    {
        // 1 + 2⁻⁸ is half-way between 1 and 1 + 2⁻⁷: ties go to the even mantissa (1).
        Assert.Equal(0x3F80, BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F80_8000)));
        // 1 + 3·2⁻⁸ is half-way between 1 + 2⁻⁷ (odd) and 1 + 2·2⁻⁷ (even): rounds up.
        Assert.Equal(0x3F82, BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F81_8000)));
        // Just above and below half-way.
        Assert.Equal(0x3F81, BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F80_8001)));
        Assert.Equal(0x3F80, BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F80_7FFF)));
    }

    [Fact]
    public void NaNStaysNaN()
    {
        // A NaN whose payload lives only in the low 16 bits would truncate to infinity; it must stay a NaN.
        ushort b = BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x7F80_0001));
        Assert.True(float.IsNaN(BFloat16.ToFloat(b)));
    }

    [Fact]
    public void VectorPathsMatchTheScalarRounding()
    {
        var rng = new Random(5);
        var values = new float[1000];
        for (int i = 0; i < values.Length; i++)
            values[i] = i % 97 == 0 ? float.NaN : BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
        var narrowed = new ushort[values.Length];
        BFloat16.FromFloat(values, narrowed);
        for (int i = 0; i < values.Length; i++) Assert.Equal(BFloat16.FromFloat(values[i]), narrowed[i]);

        // The GEMM's pair packing (vector body + scalar tail, odd count) against BFloat16.Pair.
        var pairs = new uint[(values.Length - 1 + 1) / 2];
        fixed (float* v = values)
        fixed (uint* p = pairs)
            Bf16Packing.RowPairs(v, values.Length - 1, p);
        for (int i = 0; i + 1 < values.Length - 1; i += 2) Assert.Equal(BFloat16.Pair(values[i], values[i + 1]), pairs[i / 2]);
        Assert.Equal((uint)BFloat16.FromFloat(values[^2]), pairs[^1]);
    }
}
