namespace Wuerstchen.Data;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a 64-bit
/// state advanced by the golden-ratio increment and passed through a bijective finaliser. Used for everything the
/// data pipeline draws (scene attributes, shuffles, crops, flips) because
/// <list type="bullet">
/// <item>a stream is derived from (seed, epoch, index) in O(1), so any sample is reproducible on its own and samples
/// can be generated in parallel in any order;</item>
/// <item>seeds keep all 64 bits (torch's MT19937 keeps only 32, so per-sample seeds would collide in large sets).</item>
/// </list>
/// Not torch-compatible and not meant to be: the data pipeline has no torch counterpart to match.
/// </summary>
public struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>
    /// A stream for one coordinate path, e.g. <c>Derive(seed, epoch, index)</c>: the seed and every coordinate are
    /// folded through the finaliser, so neighbouring indices give unrelated streams.
    /// </summary>
    public static SplitMix64 Derive(ulong seed, params ReadOnlySpan<ulong> path)
    {
        ulong h = Mix(seed ^ 0x243F6A8885A308D3UL);
        foreach (var p in path) h = Mix(h + Gamma * (p + 1));
        return new SplitMix64(h);
    }

    /// <summary>The SplitMix64 finaliser (a bijection on 64-bit words).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        _state += Gamma;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, count), unbiased (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"Cannot draw from an empty range ({count}).");
        ulong n = (ulong)count;
        ulong threshold = (0UL - n) % n;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * n;
            if ((ulong)product >= threshold) return (int)(ulong)(product >> 64);
        }
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool NextBool(double p = 0.5) => NextDouble() < p;

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/> (non-negative, not all zero).</summary>
    public int NextWeighted(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"Weight {w} is not a finite non-negative number.", nameof(weights));
            total += w;
        }
        if (total <= 0) throw new ArgumentException("All weights are zero.", nameof(weights));
        double u = NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        // Rounding can leave u ≥ 0 after the last subtraction: take the last positive weight.
        for (int i = weights.Length - 1; ; i--) if (weights[i] > 0) return i;
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
