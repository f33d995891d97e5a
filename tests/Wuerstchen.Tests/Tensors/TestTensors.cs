using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

/// <summary>Random test tensors (contiguous and strided) and multi-index helpers for reference implementations.</summary>
public static class TestTensors
{
    /// <summary>Uniform values in [lo, hi) from a seeded generator.</summary>
    public static Tensor Random(int seed, int[] shape, float lo = -3f, float hi = 3f)
    {
        var rng = new System.Random(seed);
        var t = Tensor.Empty(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = lo + (hi - lo) * rng.NextSingle();
        return t;
    }

    /// <summary>
    /// A non-contiguous tensor of <paramref name="shape"/> with random values: a permuted view of a tensor laid
    /// out with the dims reversed (the view keeps the storage alive).
    /// </summary>
    public static Tensor RandomStrided(int seed, int[] shape, float lo = -3f, float hi = 3f)
    {
        var reversed = shape.Reverse().ToArray();
        var perm = Enumerable.Range(0, shape.Length).Reverse().ToArray();
        return Random(seed, reversed, lo, hi).Permute(perm);
    }

    public static int[] Unravel(long flat, ReadOnlySpan<int> shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = (int)(flat % shape[d]); flat /= shape[d]; }
        return idx;
    }

    public static long Ravel(ReadOnlySpan<int> idx, ReadOnlySpan<int> shape)
    {
        long flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + idx[d];
        return flat;
    }

    /// <summary>Reads element <paramref name="idx"/> of <paramref name="values"/> (row-major <paramref name="shape"/>) broadcast from the trailing-aligned output index.</summary>
    public static float Broadcast(float[] values, int[] shape, int[] outIdx)
    {
        long flat = 0;
        int lead = outIdx.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[lead + d]);
        return values[flat];
    }

    public static double[] ToDouble(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);
}
