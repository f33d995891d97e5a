using System.Runtime.InteropServices;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Rng;

namespace Wuerstchen.Tests.Rng;

/// <summary>Bit-exact comparisons with PyTorch's own CPU generator output (vectors/rng.safetensors).</summary>
public sealed class TorchGeneratorTests : IDisposable
{
    private readonly SafeTensorsFile _rng = SafeTensorsFile.Open(Reference.Vectors("rng.safetensors"));

    public void Dispose() => _rng.Dispose();

    private static readonly Lazy<string[]> _drawKeys = new(() =>
    {
        using var f = SafeTensorsFile.Open(Reference.Vectors("rng.safetensors"));
        return f.Keys.Where(k => k.StartsWith("rand", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
    });

    public static TheoryData<string> DrawKeys => [.. _drawKeys.Value];

    private static byte[] Bytes<T>(ReadOnlySpan<T> values) where T : struct => MemoryMarshal.AsBytes(values).ToArray();

    /// <summary>Asserts equal bit patterns, naming the first differing element.</summary>
    private void AssertBits(string key, byte[] actual)
    {
        var info = _rng.GetInfo(key);
        var expected = _rng.ReadRaw(key);
        Assert.Equal(expected.Length, actual.Length);
        int size = info.DType.ByteSize();
        for (int i = 0; i < expected.Length; i += size)
            Assert.True(expected.AsSpan(i, size).SequenceEqual(actual.AsSpan(i, size)),
                $"{key}: element {i / size} differs (expected bytes {Convert.ToHexString(expected, i, size)}, got {Convert.ToHexString(actual, i, size)}).");
    }

    /// <summary>Keys look like <c>randn_f32.seed42.2x4x32x64</c>.</summary>
    [Theory]
    [MemberData(nameof(DrawKeys))]
    public void Draw_IsBitExactWithTorch(string key)
    {
        var parts = key.Split('.');
        ulong seed = ulong.Parse(parts[1]["seed".Length..]);
        var shape = parts[2].Split('x').Select(int.Parse).ToArray();
        int n = shape.Aggregate(1, (a, b) => a * b);
        var kernel = parts[0].EndsWith("_scalarbuild", StringComparison.Ordinal) ? TorchRandnKernel.Scalar : TorchRandnKernel.Avx2;
        var g = new TorchGenerator(seed, kernel);

        byte[] actual;
        switch (parts[0])
        {
            case "randn_f32" or "randn_f32_scalarbuild":
                using (var t = g.Randn(shape))
                {
                    Assert.Equal(shape, t.Shape.ToArray());
                    actual = Bytes<float>(t.AsSpan());
                }
                break;
            case "rand_f32":
                using (var t = g.Rand(shape)) actual = Bytes<float>(t.AsSpan());
                break;
            case "randn_f64": actual = Bytes<double>(g.RandnFloat64(n)); break;
            case "randn_f16": actual = Bytes<Half>(g.RandnFloat16(n)); break;
            case "randn_bf16": actual = Bytes<ushort>(g.RandnBFloat16(n)); break;
            default: throw new InvalidOperationException($"Unexpected key {key}.");
        }
        AssertBits(key, actual);
    }

    [Fact]
    public void Mt19937_FirstOutputsMatchTorch()
    {
        var expected = _rng.ReadInt64("mt19937.seed0.first16_u32_as_i64");
        var g = new TorchGenerator(0);
        Assert.Equal(expected, Enumerable.Range(0, 16).Select(_ => (long)g.NextUInt32()));
    }

    [Fact]
    public void Mt19937_MatchesTheReferenceSequenceAfterManyTwists()
    {
        // The 10000th output of std::mt19937 with the default seed 5489 (C++ standard, [rand.predef]).
        var mt = new Mt19937(5489);
        uint last = 0;
        for (int i = 0; i < 10000; i++) last = mt.NextUInt32();
        Assert.Equal(4123659995u, last);
    }

    [Theory]
    [InlineData(TorchRandnKernel.Avx2)]
    [InlineData(TorchRandnKernel.Scalar)]
    public void SuccessiveCalls_ShareTheStreamAndTheCachedNormal(TorchRandnKernel kernel)
    {
        // seed 0: randn (5,), (100,), (3,), (16,), (1,), (20,), (7,), (2,2) on one generator
        var g = new TorchGenerator(0, kernel);
        int[][] shapes = [[5], [100], [3], [16], [1], [20], [7], [2, 2]];
        for (int call = 0; call < shapes.Length; call++)
        {
            using var t = g.Randn(shapes[call]);
            AssertBits(SequenceKey(0, call, kernel), Bytes<float>(t.AsSpan()));
        }

        // seed 1: randn(3), randn(3, float64), randn(18), rand(5), randn(1)
        g.ManualSeed(1);
        AssertBits(SequenceKey(1, 0, kernel), Bytes<float>(g.RandnFloat32(3)));
        AssertBits(SequenceKey(1, 1, kernel), Bytes<double>(g.RandnFloat64(3)));
        AssertBits(SequenceKey(1, 2, kernel), Bytes<float>(g.RandnFloat32(18)));
        using (var r = g.Rand(5)) AssertBits(SequenceKey(1, 3, kernel), Bytes<float>(r.AsSpan()));
        AssertBits(SequenceKey(1, 4, kernel), Bytes<float>(g.RandnFloat32(1)));
    }

    /// <summary>The scalar-build sequence values are stored only where they differ from the AVX2 ones.</summary>
    private string SequenceKey(int seed, int call, TorchRandnKernel kernel)
    {
        string scalar = $"sequence_scalarbuild.seed{seed}.call{call}";
        return kernel == TorchRandnKernel.Scalar && _rng.Contains(scalar) ? scalar : $"sequence.seed{seed}.call{call}";
    }

    [Fact]
    public void SeedUsesTheLow32Bits()
    {
        var a = new TorchGenerator(4294967303).RandnFloat32(40);
        var b = new TorchGenerator(7).RandnFloat32(40);
        Assert.Equal(a, b);
        Assert.Equal(4294967303ul, new TorchGenerator(4294967303).InitialSeed);
    }

    [Fact]
    public void PublishedTorchValues_AreReproduced()
    {
        // torch.manual_seed(0); torch.randn(2, 3) and torch.randn(4, 4), as printed in countless tutorials.
        float[] small = [1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f, -1.3986f];
        float[] block = [-1.1258f, -1.1524f, -0.2506f, -0.4339f, 0.8487f, 0.6920f, -0.3160f, -2.1152f,
                         0.3223f, -1.2633f, 0.3500f, 0.3081f, 0.1198f, 1.2377f, 1.1168f, -0.2473f];
        TensorAssert.Close(small, new TorchGenerator(0).RandnFloat32(6), 5e-5, 0, "randn(2,3)");
        TensorAssert.Close(block, new TorchGenerator(0).RandnFloat32(16), 5e-5, 0, "randn(4,4)");
    }

    [Fact]
    public void Kernels_AgreeToAFewUlp()
    {
        var avx2 = new TorchGenerator(3, TorchRandnKernel.Avx2).RandnFloat32(4096);
        var scalar = new TorchGenerator(3, TorchRandnKernel.Scalar).RandnFloat32(4096);
        TensorAssert.Close(avx2, scalar, 5e-6, 0, "AVX2 vs scalar kernel");
        Assert.NotEqual(avx2, scalar);
    }
}
