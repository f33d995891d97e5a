using System.Text;

namespace Wuerstchen.Text.Unicode;

/// <summary>
/// Unicode normalization form C (canonical decomposition, canonical ordering, canonical composition; UAX #15).
/// The engine runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves non-ASCII text
/// unchanged, yet the CLIP fast tokenizer NFC-normalises every prompt ("café" typed with a combining accent
/// must tokenize like the precomposed "café"), so the tables ship with the engine
/// (<see cref="UnicodeNormalizationData"/>).
/// </summary>
public static class CanonicalComposition
{
    // Hangul syllables decompose and compose algorithmically (Unicode §3.12).
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> _tables = new(Tables.Build);

    /// <summary>The NFC form of <paramref name="text"/>. Lone surrogates pass through unchanged.</summary>
    public static string Normalize(string text)
    {
        // Code points below U+0300 are all starters that never combine with anything before or after them
        // and are already composed, so such text is its own NFC form (the usual fast path).
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u02FF')) return text;

        var tables = _tables.Value;
        var cps = new List<int>(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            Decompose(tables, cp, cps);
        }
        ReorderCombiningMarks(tables, cps);
        Compose(tables, cps);

        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp); // a lone surrogate of the input
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    /// <summary>The canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint) => _tables.Value.CombiningClass(codePoint);

    private static void Decompose(Tables tables, int cp, List<int> output)
    {
        int s = cp - SBase;
        if ((uint)s < SCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (tables.Decomposition.TryGetValue(cp, out var pair))
        {
            Decompose(tables, pair.First, output);
            if (pair.Second >= 0) Decompose(tables, pair.Second, output);
            return;
        }
        output.Add(cp);
    }

    /// <summary>Stable sort of every run of non-starters by combining class (the canonical ordering algorithm).</summary>
    private static void ReorderCombiningMarks(Tables tables, List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cls = tables.CombiningClass(cps[i]);
            if (cls == 0) continue;
            int cp = cps[i], j = i;
            while (j > 0 && tables.CombiningClass(cps[j - 1]) > cls)
            {
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    /// <summary>Canonical composition in place: each character joins the last starter unless blocked.</summary>
    private static void Compose(Tables tables, List<int> cps)
    {
        if (cps.Count == 0) return;
        int starterPos = 0, starter = cps[0];
        int lastClass = tables.CombiningClass(starter) == 0 ? 0 : 256; // a leading non-starter composes with nothing
        int written = 1;
        for (int i = 1; i < cps.Count; i++)
        {
            int cp = cps[i], cls = tables.CombiningClass(cp);
            // Not blocked: nothing in between, or everything in between has a lower, non-zero class.
            if ((lastClass < cls || lastClass == 0) && TryCompose(tables, starter, cp, out int composite))
            {
                cps[starterPos] = starter = composite;
                continue;
            }
            if (cls == 0) { starterPos = written; starter = cp; }
            lastClass = cls;
            cps[written++] = cp;
        }
        cps.RemoveRange(written, cps.Count - written);
    }

    private static bool TryCompose(Tables tables, int first, int second, out int composite)
    {
        int l = first - LBase, v = second - VBase;
        if ((uint)l < LCount && (uint)v < VCount)
        {
            composite = SBase + (l * VCount + v) * TCount;
            return true;
        }
        int s = first - SBase, t = second - TBase;
        if ((uint)s < SCount && s % TCount == 0 && t > 0 && t < TCount)
        {
            composite = first + t;
            return true;
        }
        return tables.Composition.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private sealed class Tables
    {
        private readonly int[] _classRanges;
        public readonly Dictionary<int, (int First, int Second)> Decomposition;
        public readonly Dictionary<long, int> Composition;

        private Tables(int[] classRanges, Dictionary<int, (int, int)> decomposition, Dictionary<long, int> composition)
        {
            _classRanges = classRanges;
            Decomposition = decomposition;
            Composition = composition;
        }

        public static Tables Build()
        {
            var data = UnicodeNormalizationData.Decompositions;
            var decomposition = new Dictionary<int, (int, int)>(data.Length / 4);
            var composition = new Dictionary<long, int>();
            for (int i = 0; i < data.Length; i += 4)
            {
                decomposition[data[i]] = (data[i + 1], data[i + 2]);
                if (data[i + 3] != 0) composition[((long)data[i + 1] << 21) | (uint)data[i + 2]] = data[i];
            }
            return new Tables(UnicodeNormalizationData.CombiningClassRanges.ToArray(), decomposition, composition);
        }

        public int CombiningClass(int cp)
        {
            if (cp < 0x300) return 0;
            int lo = 0, hi = _classRanges.Length / 3 - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                if (cp < _classRanges[3 * mid]) hi = mid - 1;
                else if (cp > _classRanges[3 * mid + 1]) lo = mid + 1;
                else return _classRanges[3 * mid + 2];
            }
            return 0;
        }
    }
}
