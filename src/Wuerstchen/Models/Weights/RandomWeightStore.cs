using System.Numerics;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>
/// Deterministic random weights for any key and shape, so a model can be built at real scale from its config
/// alone (benchmarks, smoke tests). Every element is a counter-based hash of (seed, key, index): values do not
/// depend on the order in which a model asks for its tensors, and generation vectorises and parallelises freely
/// (a billion-parameter model takes seconds).
/// Scales follow torch's default initialisers closely enough to keep activations O(1): weights uniform in
/// ±1/√fan_in (fan_in = numel / shape[0]), biases and the learned residual gates (GRN γ/β, Stage A
/// <c>gammas</c>) uniform in ±0.1 so that every term contributes, norm scales and running variances one,
/// running means zero.
/// </summary>
internal sealed class RandomWeightStore(ulong seed) : WeightStore
{
    private const int ChunkSize = 1 << 16;

    public override string Description => $"random weights (seed {seed})";

    public override IEnumerable<string> Keys => [];

    public override bool Contains(string key) => true;

    public override unsafe Tensor Load(string key, int[] shape)
    {
        string name = key[(key.LastIndexOf('.') + 1)..];
        var t = Tensor.Empty(shape);
        long n = t.Numel;
        float scale;
        switch (name)
        {
            case "running_mean":
                t.AsSpan().Clear();
                return t;
            case "running_var":
            case "weight" when shape.Length == 1:
                t.AsSpan().Fill(1f);
                return t;
            case "bias" or "gamma" or "gammas" or "beta":
                scale = 0.1f;
                break;
            default:
                scale = shape.Length >= 2 && shape[0] > 0 ? 1f / MathF.Sqrt(Math.Max(1, n / shape[0])) : 0.1f;
                break;
        }

        uint stream = (uint)Mix(seed ^ Fnv1a(key));
        float* data = t.Data;
        int chunks = (int)((n + ChunkSize - 1) / ChunkSize);
        Threads.For(chunks, c =>
        {
            long begin = (long)c * ChunkSize, end = Math.Min(n, begin + ChunkSize);
            long i = begin;
            var lane = Vector<uint>.Indices;
            // 24 random bits → uniform in [-1, 1) → × scale; the scalar tail computes the same values.
            for (; i + Vector<uint>.Count <= end; i += Vector<uint>.Count)
            {
                var bits = Vector.ShiftRightLogical(Hash(new Vector<uint>((uint)i) + lane, stream), 8);
                var unit = Vector.ConvertToSingle(Vector.AsVectorInt32(bits)) * (2f / (1 << 24)) - Vector<float>.One;
                (unit * scale).Store(data + i);
            }
            for (; i < end; i++)
                data[i] = ((Hash((uint)i, stream) >> 8) * (2f / (1 << 24)) - 1f) * scale;
        });
        return t;
    }

    /// <summary>A counter-based 32-bit hash ("lowbias32") of element index <paramref name="i"/> in stream <paramref name="stream"/>.</summary>
    private static uint Hash(uint i, uint stream)
    {
        uint x = i * 0x9E3779B9u + stream;
        x ^= x >> 16; x *= 0x7FEB352Du;
        x ^= x >> 15; x *= 0x846CA68Bu;
        return x ^ (x >> 16);
    }

    private static Vector<uint> Hash(Vector<uint> i, uint stream)
    {
        var x = i * 0x9E3779B9u + new Vector<uint>(stream);
        x ^= Vector.ShiftRightLogical(x, 16); x *= 0x7FEB352Du;
        x ^= Vector.ShiftRightLogical(x, 15); x *= 0x846CA68Bu;
        return x ^ Vector.ShiftRightLogical(x, 16);
    }

    /// <summary>SplitMix64's finaliser: a strong 64-bit mixing function.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in s) { h ^= ch; h *= 0x100000001B3UL; }
        return h;
    }
}
