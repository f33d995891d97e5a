using Wuerstchen.Tensors;

namespace Wuerstchen.Rng;

/// <summary>
/// PyTorch's CPU generator (<c>torch.Generator("cpu")</c>) and the draws the pipelines make from it, bit for bit:
/// <c>manual_seed</c>, <c>torch.randn</c> in float32/float64/float16/bfloat16, <c>torch.rand</c>. All noise of the
/// pipelines is drawn through this class, so a seed gives diffusers' images.
/// <para>
/// <b>randn</b> takes one of two routes, chosen like PyTorch by the element count n of the (contiguous) tensor:
/// <list type="bullet">
/// <item>n ≥ 16: n uniforms are drawn at once and transformed 16 at a time by <see cref="BoxMuller"/>; when n is not a
/// multiple of 16, 16 fresh uniforms are drawn for the last 16 slots and that (overlapping) block is redone.</item>
/// <item>n &lt; 16: element by element, a double Box–Muller pair from two 53-bit uniforms; the second value of the pair
/// is cached in the generator and used by the next element, even one of a later call.</item>
/// </list>
/// </para>
/// Not thread-safe (a generator is a sequential stream; use one per thread).
/// </summary>
public sealed class TorchGenerator
{
    /// <summary>Below this many elements torch.randn takes the serial double path.</summary>
    public const int VectorisedThreshold = 16;

    private readonly Mt19937 _engine;
    private double? _cachedNormal;

    /// <summary>The float32 kernel reproduced for n ≥ 16 (default: PyTorch's AVX2 kernel, as on x86-64).</summary>
    public TorchRandnKernel Kernel { get; set; }

    /// <summary>The seed last given to <see cref="ManualSeed"/> (torch's <c>initial_seed()</c>).</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary><c>torch.Generator().manual_seed(seed)</c>.</summary>
    public TorchGenerator(ulong seed, TorchRandnKernel kernel = TorchRandnKernel.Avx2)
    {
        _engine = new Mt19937(0);
        Kernel = kernel;
        ManualSeed(seed);
    }

    /// <summary>
    /// Reseeds: MT19937 with the low 32 bits of <paramref name="seed"/> (torch keeps the full value as the initial
    /// seed but seeds the engine with <c>seed &amp; 0xFFFFFFFF</c>) and forgets the cached normal. Returns this.
    /// </summary>
    public TorchGenerator ManualSeed(ulong seed)
    {
        InitialSeed = seed;
        _engine.Seed((uint)(seed & 0xFFFFFFFF));
        _cachedNormal = null;
        return this;
    }

    // ------------------------------------------------------------------ raw draws

    /// <summary>The next 32-bit MT19937 output.</summary>
    public uint NextUInt32() => _engine.NextUInt32();

    /// <summary>Two 32-bit outputs, the first as the high half (torch's <c>random64()</c>).</summary>
    public ulong NextUInt64()
    {
        ulong hi = _engine.NextUInt32();
        return (hi << 32) | _engine.NextUInt32();
    }

    /// <summary>Uniform float32 in [0, 1): 24 random bits of one 32-bit draw.</summary>
    public float NextFloat() => (_engine.NextUInt32() & 0xFFFFFF) * (1f / (1 << 24));

    /// <summary>Uniform double in [0, 1): 53 random bits of one 64-bit draw.</summary>
    public double NextDouble() => (NextUInt64() & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));

    /// <summary>Uniform float16 in [0, 1): 11 random bits of one 32-bit draw.</summary>
    public Half NextHalf() => (Half)((_engine.NextUInt32() & 0x7FF) * (1f / (1 << 11)));

    /// <summary>Uniform bfloat16 in [0, 1) as its bit pattern: 8 random bits of one 32-bit draw.</summary>
    public ushort NextBFloat16() => BFloat16Bits.FromSingle((_engine.NextUInt32() & 0xFF) * (1f / (1 << 8)));

    /// <summary>
    /// One standard normal of the serial path (<c>at::normal_distribution&lt;double&gt;</c>): the cached second value
    /// of the previous pair if there is one, otherwise a new pair from u1, u2 (53-bit):
    /// r = sqrt(−2 ln(1 − u2)), θ = 2π u1; r sin θ is cached, r cos θ returned.
    /// </summary>
    public double NextNormal()
    {
        if (_cachedNormal is double cached)
        {
            _cachedNormal = null;
            return cached;
        }
        double u1 = NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _cachedNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    // ------------------------------------------------------------------ randn

    /// <summary><c>torch.randn(shape, generator=g)</c> (float32) as a new tensor.</summary>
    public Tensor Randn(params ReadOnlySpan<int> shape)
    {
        var t = Tensor.Empty(shape);
        RandnInto(t.AsSpan());
        return t;
    }

    /// <summary><c>torch.randn(n)</c> (float32) as an array.</summary>
    public float[] RandnFloat32(int n)
    {
        var a = new float[CheckCount(n)];
        RandnInto(a);
        return a;
    }

    /// <summary>Fills <paramref name="destination"/> as <c>torch.randn</c> fills a contiguous float32 tensor of that many elements.</summary>
    public void RandnInto(Span<float> destination)
    {
        int n = destination.Length;
        if (n < VectorisedThreshold)
        {
            // The double normal is narrowed to float32 once.
            for (int i = 0; i < n; i++) destination[i] = (float)NextNormal();
            return;
        }
        for (int i = 0; i < n; i++) destination[i] = NextFloat();
        if (Kernel == TorchRandnKernel.Avx2) FillBlocks(destination, BoxMuller.Fill16Avx2, NextFloat);
        else FillBlocks(destination, BoxMuller.Fill16Scalar, NextFloat);
    }

    /// <summary><c>torch.randn(n, dtype=torch.float64)</c>.</summary>
    public double[] RandnFloat64(int n)
    {
        var a = new double[CheckCount(n)];
        RandnInto(a);
        return a;
    }

    public void RandnInto(Span<double> destination)
    {
        int n = destination.Length;
        if (n < VectorisedThreshold)
        {
            for (int i = 0; i < n; i++) destination[i] = NextNormal();
            return;
        }
        for (int i = 0; i < n; i++) destination[i] = NextDouble();
        FillBlocks(destination, BoxMuller.Fill16, NextDouble);
    }

    /// <summary><c>torch.randn(n, dtype=torch.float16)</c> (what a float16 pipeline with a CPU generator draws; it is
    /// not float32 randn rounded to half).</summary>
    public Half[] RandnFloat16(int n)
    {
        var a = new Half[CheckCount(n)];
        RandnInto(a);
        return a;
    }

    public void RandnInto(Span<Half> destination)
    {
        int n = destination.Length;
        if (n < VectorisedThreshold)
        {
            // C++ narrows double → half through float.
            for (int i = 0; i < n; i++) destination[i] = (Half)(float)NextNormal();
            return;
        }
        for (int i = 0; i < n; i++) destination[i] = NextHalf();
        FillBlocks(destination, BoxMuller.Fill16, NextHalf);
    }

    /// <summary><c>torch.randn(n, dtype=torch.bfloat16)</c> as bfloat16 bit patterns.</summary>
    public ushort[] RandnBFloat16(int n)
    {
        var a = new ushort[CheckCount(n)];
        RandnBFloat16Into(a);
        return a;
    }

    public void RandnBFloat16Into(Span<ushort> destination)
    {
        int n = destination.Length;
        if (n < VectorisedThreshold)
        {
            for (int i = 0; i < n; i++) destination[i] = BFloat16Bits.FromSingle((float)NextNormal());
            return;
        }
        for (int i = 0; i < n; i++) destination[i] = NextBFloat16();
        FillBlocks(destination, BoxMuller.Fill16BFloat16, NextBFloat16);
    }

    private delegate void Fill16<T>(Span<T> block);

    /// <summary>
    /// The block loop of <c>normal_fill</c>: every complete block of 16 in place; for a ragged end, 16 fresh uniforms
    /// overwrite the last 16 slots (overlapping finished values) and that block is transformed again.
    /// </summary>
    private static void FillBlocks<T>(Span<T> d, Fill16<T> fill16, Func<T> nextUniform)
    {
        int n = d.Length;
        for (int i = 0; i + 16 <= n; i += 16) fill16(d.Slice(i, 16));
        if (n % 16 != 0)
        {
            var tail = d[(n - 16)..];
            for (int i = 0; i < 16; i++) tail[i] = nextUniform();
            fill16(tail);
        }
    }

    // ------------------------------------------------------------------ rand

    /// <summary><c>torch.rand(shape, generator=g)</c> (float32 uniform in [0, 1)) as a new tensor.</summary>
    public Tensor Rand(params ReadOnlySpan<int> shape)
    {
        var t = Tensor.Empty(shape);
        RandInto(t.AsSpan());
        return t;
    }

    public void RandInto(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = NextFloat();
    }

    /// <summary><c>torch.rand(n, dtype=torch.float64)</c>.</summary>
    public void RandInto(Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = NextDouble();
    }

    // ------------------------------------------------------------------ state

    /// <summary>A snapshot of everything that determines future draws (engine words and position, cached normal, seed).</summary>
    public TorchGeneratorState GetState()
    {
        var words = new uint[Mt19937.StateSize];
        int index = _engine.CopyState(words);
        return new TorchGeneratorState(InitialSeed, words, index, _cachedNormal);
    }

    /// <summary>Continues exactly where <paramref name="state"/> was taken (the kernel choice is not part of it).</summary>
    public void SetState(TorchGeneratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _engine.RestoreState(state.EngineWords, state.EngineIndex);
        InitialSeed = state.InitialSeed;
        _cachedNormal = state.CachedNormal;
    }

    /// <summary>An independent generator in the same state.</summary>
    public TorchGenerator Clone()
    {
        var g = new TorchGenerator(0, Kernel);
        g.SetState(GetState());
        return g;
    }

    private static int CheckCount(int n) =>
        n >= 0 ? n : throw new ArgumentOutOfRangeException(nameof(n), $"Element count must be non-negative, got {n}.");
}
