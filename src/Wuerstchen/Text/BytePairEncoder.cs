using System.Collections.Concurrent;
using System.Text;

namespace Wuerstchen.Text;

/// <summary>
/// CLIP's byte-level BPE over vocabulary ids. A word's UTF-8 bytes become one symbol each (the byte's
/// <see cref="ByteLevelAlphabet"/> character; the last one carries the end-of-word suffix <c>&lt;/w&gt;</c>), then
/// the adjacent pair with the lowest merge rank is merged everywhere, left to right, until no adjacent pair is a
/// merge. Working on ids rather than strings makes a merge one dictionary lookup; results are cached per word.
/// </summary>
internal sealed class BytePairEncoder
{
    /// <summary>Words are cached until this many are held (prompts draw on a small vocabulary of words).</summary>
    private const int MaxCachedWords = 100_000;

    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int[] _byteIds;        // vocabulary id of each byte's symbol
    private readonly int[] _finalByteIds;   // ... with the end-of-word suffix
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public BytePairEncoder(Dictionary<long, (int Rank, int Merged)> merges, int[] byteIds, int[] finalByteIds)
    {
        _merges = merges;
        _byteIds = byteIds;
        _finalByteIds = finalByteIds;
    }

    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The vocabulary ids of one pre-tokenised word (non-empty).</summary>
    public int[] Encode(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var ids = EncodeUncached(word);
        if (_cache.Count < MaxCachedWords) _cache.TryAdd(word, ids);
        return ids;
    }

    private int[] EncodeUncached(string word)
    {
        // Lone surrogates (not representable in UTF-8) become U+FFFD, as Rust strings cannot hold them at all.
        byte[] bytes = Encoding.UTF8.GetBytes(word);
        var symbols = new List<int>(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
            symbols.Add(i == bytes.Length - 1 ? _finalByteIds[bytes[i]] : _byteIds[bytes[i]]);

        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestLeft = 0, bestRight = 0, merged = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_merges.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (bestRank, bestLeft, bestRight, merged) = (m.Rank, symbols[i], symbols[i + 1], m.Merged);
            }
            if (bestRank == int.MaxValue) break;

            int w = 0;
            for (int r = 0; r < symbols.Count; r++)
            {
                if (r + 1 < symbols.Count && symbols[r] == bestLeft && symbols[r + 1] == bestRight)
                {
                    symbols[w++] = merged;
                    r++;
                }
                else symbols[w++] = symbols[r];
            }
            symbols.RemoveRange(w, symbols.Count - w);
        }
        return [.. symbols];
    }
}
