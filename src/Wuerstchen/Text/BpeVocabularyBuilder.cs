using System.Text;

namespace Wuerstchen.Text;

/// <summary>
/// Trains a byte-level BPE vocabulary in CLIP's format from a text corpus, so that a model of our own needs no
/// third-party vocabulary. Words are found exactly as <see cref="ClipTokenizer"/> finds them (special tokens cut out,
/// <see cref="ClipTextNormalizer"/>, <see cref="ClipPreTokenizer"/>) and start as one symbol per UTF-8 byte, the last
/// carrying <c>&lt;/w&gt;</c>. Then, repeatedly, the adjacent pair occurring most often in the corpus (weighted by
/// word frequency) becomes a merge and a new token, until the vocabulary has the requested size or every word is a
/// single token. Ties go to the pair whose left, then right, token is smaller in ordinal string order, so the
/// same corpus always gives the same vocabulary, whatever the order of its texts.
/// Pair counts are updated incrementally: a merge only revisits the words that contain its pair.
/// </summary>
public static class BpeVocabularyBuilder
{
    /// <summary>
    /// A vocabulary of at most <paramref name="vocabSize"/> tokens (at least <see cref="BpeVocabulary.MinimumSize"/>:
    /// the byte tokens and the two specials) learned from <paramref name="texts"/>. It is smaller only when the
    /// corpus runs out of pairs to merge.
    /// </summary>
    public static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < BpeVocabulary.MinimumSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"A byte-level vocabulary needs at least {BpeVocabulary.MinimumSize} tokens (256 bytes, 256 word-final bytes, 2 special tokens).");
        return new Trainer(CountWords(texts)).Run(vocabSize - 2);
    }

    /// <summary>How often each pre-tokenised word occurs in <paramref name="texts"/> (normalised as the tokenizer does).</summary>
    public static Dictionary<string, long> CountWords(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            // The tokenizer cuts special tokens out of the normalised text before splitting words; so do we, lest
            // "<|endoftext|>" in a caption teach merges of its punctuation.
            string normalized = ClipTextNormalizer.Normalize(text)
                .Replace(BpeVocabulary.BosToken, " ", StringComparison.Ordinal)
                .Replace(BpeVocabulary.EosToken, " ", StringComparison.Ordinal);
            foreach (var (start, length) in ClipPreTokenizer.Split(normalized))
            {
                string word = normalized.Substring(start, length);
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }
        return counts;
    }

    /// <summary>The byte tokens in id order: bytes_to_unicode's order is the code-point order of the characters.</summary>
    internal static string[] ByteTokens()
    {
        var chars = new char[256];
        for (int b = 0; b < 256; b++) chars[b] = ByteLevelAlphabet.ToChar((byte)b);
        Array.Sort(chars);
        return chars.Select(c => c.ToString()).ToArray();
    }

    private sealed class Trainer
    {
        private readonly List<string> _tokens;
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly int[][] _words;          // symbol ids of each distinct word
        private readonly long[] _wordCounts;
        private readonly Dictionary<long, long> _pairCounts = [];
        private readonly Dictionary<long, HashSet<int>> _pairWords = [];   // words that contained a pair (may be stale)
        private readonly PriorityQueue<long, (long Count, string Left, string Right)> _queue;
        private readonly List<(string, string)> _merges = [];

        public Trainer(Dictionary<string, long> wordCounts)
        {
            var bytes = ByteTokens();
            _tokens = [.. bytes, .. bytes.Select(t => t + BpeVocabulary.EndOfWord)];
            for (int i = 0; i < _tokens.Count; i++) _ids[_tokens[i]] = i;
            var byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = _ids[ByteLevelAlphabet.ToChar((byte)b).ToString()];

            // Distinct words in ordinal order: nothing below depends on the corpus order.
            var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal).ToArray();
            _words = new int[words.Length][];
            _wordCounts = new long[words.Length];
            for (int w = 0; w < words.Length; w++)
            {
                // Lone surrogates become U+FFFD here exactly as in BytePairEncoder.
                byte[] utf8 = Encoding.UTF8.GetBytes(words[w].Key);
                var symbols = new int[utf8.Length];
                for (int i = 0; i < utf8.Length; i++) symbols[i] = byteIds[utf8[i]] + (i == utf8.Length - 1 ? 256 : 0);
                _words[w] = symbols;
                _wordCounts[w] = words[w].Value;
                AddPairs(w, null);
            }
            _queue = new PriorityQueue<long, (long, string, string)>(_pairCounts.Count, new PairOrder());
            foreach (var (pair, count) in _pairCounts) Enqueue(pair, count);
        }

        public BpeVocabulary Run(int tokenBudget)
        {
            while (_tokens.Count < tokenBudget && NextPair() is long pair)
            {
                var (left, right) = Unpack(pair);
                string merged = _tokens[left] + _tokens[right];
                // Different splits can spell the same token ("ab"+"c", "a"+"bc"): one token, several merges.
                if (!_ids.TryGetValue(merged, out int mergedId))
                {
                    mergedId = _tokens.Count;
                    _tokens.Add(merged);
                    _ids[merged] = mergedId;
                }
                _merges.Add((_tokens[left], _tokens[right]));
                ApplyMerge(pair, left, right, mergedId);
            }
            return new BpeVocabulary([.. _tokens, BpeVocabulary.BosToken, BpeVocabulary.EosToken], [.. _merges]);
        }

        /// <summary>The most frequent pair still present, skipping queue entries whose count has changed since.</summary>
        private long? NextPair()
        {
            while (_queue.TryDequeue(out long pair, out var priority))
                if (_pairCounts.TryGetValue(pair, out long count) && count == priority.Count && count > 0) return pair;
            return null;
        }

        private void ApplyMerge(long pair, int left, int right, int mergedId)
        {
            var changed = new HashSet<long>();
            foreach (int w in _pairWords[pair].Order())
            {
                RemovePairs(w, changed);
                var symbols = _words[w];
                var result = new List<int>(symbols.Length);
                for (int i = 0; i < symbols.Length; i++)
                {
                    if (i + 1 < symbols.Length && symbols[i] == left && symbols[i + 1] == right) { result.Add(mergedId); i++; }
                    else result.Add(symbols[i]);
                }
                _words[w] = [.. result];
                AddPairs(w, changed);
            }
            _pairWords.Remove(pair);
            _pairCounts.Remove(pair);
            foreach (long p in changed.Order())
                if (_pairCounts.TryGetValue(p, out long count) && count > 0) Enqueue(p, count);
        }

        private void AddPairs(int w, HashSet<long>? changed)
        {
            var s = _words[w];
            for (int i = 0; i + 1 < s.Length; i++)
            {
                long p = Pack(s[i], s[i + 1]);
                _pairCounts[p] = _pairCounts.GetValueOrDefault(p) + _wordCounts[w];
                if (!_pairWords.TryGetValue(p, out var set)) _pairWords[p] = set = [];
                set.Add(w);
                changed?.Add(p);
            }
        }

        private void RemovePairs(int w, HashSet<long> changed)
        {
            var s = _words[w];
            for (int i = 0; i + 1 < s.Length; i++)
            {
                long p = Pack(s[i], s[i + 1]);
                _pairCounts[p] -= _wordCounts[w];
                changed.Add(p);
            }
        }

        private void Enqueue(long pair, long count)
        {
            var (left, right) = Unpack(pair);
            _queue.Enqueue(pair, (count, _tokens[left], _tokens[right]));
        }

        private static long Pack(int left, int right) => ((long)left << 32) | (uint)right;

        private static (int Left, int Right) Unpack(long pair) => ((int)(pair >> 32), (int)(uint)pair);
    }

    /// <summary>Most frequent first; ties by the left, then the right token in ordinal order.</summary>
    private sealed class PairOrder : IComparer<(long Count, string Left, string Right)>
    {
        public int Compare((long Count, string Left, string Right) x, (long Count, string Left, string Right) y)
        {
            int c = y.Count.CompareTo(x.Count);
            if (c != 0) return c;
            c = string.CompareOrdinal(x.Left, y.Left);
            return c != 0 ? c : string.CompareOrdinal(x.Right, y.Right);
        }
    }
}
