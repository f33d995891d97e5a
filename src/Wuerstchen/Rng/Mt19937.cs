namespace Wuerstchen.Rng;

/// <summary>
/// The 32-bit Mersenne Twister (Matsumoto &amp; Nishimura 1998) with the reference <c>init_genrand</c> seeding,
/// i.e. C++ <c>std::mt19937</c> and PyTorch's <c>at::mt19937</c>. (Python's <c>random</c> and NumPy seed it
/// differently: do not compare against them.)
/// </summary>
public sealed class Mt19937
{
    public const int StateSize = 624;
    private const int Shift = 397;
    private const uint MatrixA = 0x9908B0DF, UpperMask = 0x80000000, LowerMask = 0x7FFFFFFF;

    private readonly uint[] _state = new uint[StateSize];
    private int _index; // next word of _state to temper; StateSize means "regenerate first"

    public Mt19937(uint seed) => Seed(seed);

    public void Seed(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < StateSize; i++)
            _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        _index = StateSize;
    }

    public uint NextUInt32()
    {
        if (_index >= StateSize) Twist();
        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        // The recurrence x[i] = x[i+397] ^ twist(x[i], x[i+1]) over the ring of 624 words, split at the wrap-arounds.
        var s = _state;
        int i = 0;
        for (; i < StateSize - Shift; i++) s[i] = s[i + Shift] ^ Mix(s[i], s[i + 1]);
        for (; i < StateSize - 1; i++) s[i] = s[i + Shift - StateSize] ^ Mix(s[i], s[i + 1]);
        s[StateSize - 1] = s[Shift - 1] ^ Mix(s[StateSize - 1], s[0]);
        _index = 0;
    }

    private static uint Mix(uint upper, uint lower)
    {
        uint y = (upper & UpperMask) | (lower & LowerMask);
        return (y >> 1) ^ ((0u - (y & 1)) & MatrixA);
    }

    /// <summary>Copies the 624 state words and the position of the next word into the given storage.</summary>
    public int CopyState(Span<uint> words)
    {
        _state.CopyTo(words);
        return _index;
    }

    /// <summary>Restores what <see cref="CopyState"/> captured.</summary>
    public void RestoreState(ReadOnlySpan<uint> words, int index)
    {
        if (words.Length != StateSize) throw new ArgumentException($"MT19937 state needs {StateSize} words, got {words.Length}.", nameof(words));
        if ((uint)index > StateSize) throw new ArgumentOutOfRangeException(nameof(index), $"MT19937 position must be in [0, {StateSize}], got {index}.");
        words.CopyTo(_state);
        _index = index;
    }
}
