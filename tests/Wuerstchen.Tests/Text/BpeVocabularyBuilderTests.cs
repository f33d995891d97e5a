using System.Text;
using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Tests.IO;
using Wuerstchen.Text;

namespace Wuerstchen.Tests.Text;

/// <summary>
/// The BPE trainer: its output is a CLIP tokenizer folder that <see cref="ClipTokenizer"/> loads, it learns the
/// merges a plain recount-everything BPE learns, every shapes caption word becomes one token, any text encodes
/// losslessly through the byte tokens, and it is deterministic.
/// </summary>
public sealed class BpeVocabularyBuilderTests
{
    private static string[] ShapesCaptions(ulong seed, int count)
    {
        var sampler = new ShapeSceneSampler();
        return Enumerable.Range(0, count).Select(i => ShapesSample.Generate(seed, i, sampler).Caption).ToArray();
    }

    private static ClipTokenizer SaveAndLoad(BpeVocabulary vocabulary, TempFolder folder)
    {
        vocabulary.Save(folder.Path);
        return ClipTokenizer.FromDirectory(folder.Path);
    }

    [Fact]
    public void The_saved_folder_loads_as_a_clip_tokenizer_with_clip_special_tokens()
    {
        using var folder = new TempFolder();
        var vocabulary = BpeVocabularyBuilder.Train(ShapesCaptions(0, 200), 600);
        var tokenizer = SaveAndLoad(vocabulary, folder);

        Assert.Equal(600, vocabulary.Count);
        Assert.Equal(vocabulary.Count, tokenizer.VocabSize);
        Assert.Equal((598, 599, 599), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
        Assert.Equal(77, tokenizer.ModelMaxLength);
        // CLIP's layout: the bytes in bytes_to_unicode order, then their word-final forms.
        Assert.Equal(["!", "\"", "#"], new[] { tokenizer.GetToken(0), tokenizer.GetToken(1), tokenizer.GetToken(2) });
        Assert.Equal("!</w>", tokenizer.GetToken(256));
        Assert.Equal("Ā", tokenizer.GetToken(188)); // byte 0, the first remapped one, follows the 188 printable bytes
        Assert.Equal(["<|startoftext|>", "a</w>", "red</w>", "<|endoftext|>"], tokenizer.Tokenize("A RED"));
        Assert.Contains(BpeVocabulary.TokenizerConfigFile, folder.Entries());
        Assert.Contains(BpeVocabulary.SpecialTokensMapFile, folder.Entries());
    }

    [Fact]
    public void Every_word_of_unseen_shapes_captions_is_one_whole_word_token()
    {
        using var folder = new TempFolder();
        var tokenizer = SaveAndLoad(BpeVocabularyBuilder.Train(ShapesCaptions(0, 3000), 1024), folder);

        foreach (string caption in ShapesCaptions(seed: 1, count: 1000))
        {
            string normalized = ClipTextNormalizer.Normalize(caption);
            var words = ClipPreTokenizer.Split(normalized).Select(w => normalized.Substring(w.Start, w.Length) + "</w>").ToArray();
            var tokens = tokenizer.GetTokens(tokenizer.EncodeContent(caption));
            Assert.Equal(words, tokens);
        }
    }

    [Fact]
    public void Any_unicode_text_encodes_into_its_exact_bytes_without_an_unknown_token()
    {
        using var folder = new TempFolder();
        var tokenizer = SaveAndLoad(BpeVocabularyBuilder.Train(ShapesCaptions(0, 300).Append("naïve café 東京 😀"), 700), folder);
        var rng = new Random(7);
        var texts = new List<string> { "Ünïcödé ÄÖÜ ß", "日本語のテキスト", "emoji 👩‍👩‍👧 🇩🇪", "tabs\tand\nnewlines", "\u0000\u0001\u007f\u00ad", "1234567890" };
        for (int t = 0; t < 50; t++) texts.Add(RandomText(rng));

        foreach (string text in texts)
        {
            var ids = tokenizer.EncodeContent(text);
            var bytes = new List<byte>();
            foreach (int id in ids)
            {
                Assert.NotEqual(tokenizer.EosTokenId, id);
                string token = tokenizer.GetToken(id);
                if (token.EndsWith("</w>", StringComparison.Ordinal)) token = token[..^4];
                foreach (char c in token)
                {
                    Assert.True(ByteLevelAlphabet.TryGetByte(c, out byte b), $"'{c}' in token {id} is not a byte symbol");
                    bytes.Add(b);
                }
            }
            // The words are the normalised text without its whitespace, each lone surrogate UTF-8-encoded as U+FFFD.
            string words = new(ClipTextNormalizer.Normalize(text).Where(c => !char.IsWhiteSpace(c)).ToArray());
            Assert.Equal(Encoding.UTF8.GetBytes(words), bytes.ToArray());
        }
    }

    private static string RandomText(Random rng)
    {
        var sb = new StringBuilder();
        int length = rng.Next(1, 40);
        for (int i = 0; i < length; i++)
        {
            int cp = rng.Next(4) switch
            {
                0 => rng.Next(0x20, 0x7F),
                1 => rng.Next(0xA0, 0x800),
                2 => rng.Next(0x3000, 0xD7FF),
                _ => rng.Next(0x1F300, 0x1FAFF),
            };
            sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    [Fact]
    public void Same_corpus_in_any_order_gives_the_same_files()
    {
        var captions = ShapesCaptions(2, 500);
        using var a = new TempFolder();
        using var b = new TempFolder();
        BpeVocabularyBuilder.Train(captions, 800).Save(a.Path);
        BpeVocabularyBuilder.Train(captions.Reverse(), 800).Save(b.Path);

        Assert.Equal(a.Entries(), b.Entries());
        foreach (string name in a.Entries())
            Assert.Equal(File.ReadAllBytes(a.File(name)), File.ReadAllBytes(b.File(name)));
    }

    [Fact]
    public void Learns_the_merges_of_a_straightforward_bpe()
    {
        string[] corpus = [.. ShapesCaptions(3, 150), "low lower lowest newer wider", "aaaa aaa abab ba", "déjà vu, ça va? 東京"];
        var vocabulary = BpeVocabularyBuilder.Train(corpus, 700);
        Assert.Equal(NaiveMerges(corpus, vocabulary.Merges.Count), vocabulary.Merges);
    }

    /// <summary>BPE as textbooks write it: recount every pair of every word occurrence, merge the best, repeat.</summary>
    private static List<(string, string)> NaiveMerges(IEnumerable<string> texts, int count)
    {
        var words = new List<List<string>>();
        foreach (string text in texts)
        {
            string normalized = ClipTextNormalizer.Normalize(text);
            foreach (var (start, length) in ClipPreTokenizer.Split(normalized))
            {
                var symbols = Encoding.UTF8.GetBytes(normalized.Substring(start, length)).Select(b => ByteLevelAlphabet.ToChar(b).ToString()).ToList();
                symbols[^1] += "</w>";
                words.Add(symbols);
            }
        }
        var merges = new List<(string, string)>();
        while (merges.Count < count)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++) counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++)
                    if (w[i] == best.Item1 && w[i + 1] == best.Item2) { w[i] += w[i + 1]; w.RemoveAt(i + 1); }
        }
        return merges;
    }

    [Fact]
    public void Stops_when_every_word_is_one_token()
    {
        var vocabulary = BpeVocabularyBuilder.Train(["abc abc ab"], 10_000);
        // ab, abc</w>, ab</w>: nothing left to merge.
        Assert.Equal(BpeVocabulary.MinimumSize + 3, vocabulary.Count);
        Assert.Equal([("a", "b"), ("ab", "c</w>"), ("a", "b</w>")], vocabulary.Merges);
    }

    [Fact]
    public void A_vocabulary_smaller_than_the_byte_tokens_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BpeVocabularyBuilder.Train(["a"], 513));
        Assert.Equal("vocabSize", e.ParamName);
    }
}
