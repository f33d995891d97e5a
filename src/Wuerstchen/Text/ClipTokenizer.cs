using System.Text;
using System.Text.Json;

namespace Wuerstchen.Text;

/// <summary>
/// The CLIP byte-level BPE tokenizer with the semantics of Hugging Face's <c>CLIPTokenizerFast</c>, the class both
/// Würstchen <c>model_index.json</c> files name and hence what the diffusers pipelines run:
/// special-token strings are split out, the rest is normalised (<see cref="ClipTextNormalizer"/>: NFC, whitespace
/// collapse, lower case), split into words (<see cref="ClipPreTokenizer"/>), and each word is BPE-encoded.
/// Where openai's original tokenizer differs (it runs ftfy and HTML-unescapes twice; the slow HF tokenizer without
/// ftfy also strips format characters and spaces out CJK) we follow the fast tokenizer, because its ids are the
/// ones the released pipelines condition on.
/// Loading reads <c>vocab.json</c> and <c>merges.txt</c> (required) and, when present, <c>tokenizer_config.json</c>
/// and <c>special_tokens_map.json</c>. Instances are immutable and thread-safe.
/// </summary>
public sealed class ClipTokenizer
{
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";
    private const string EndOfWord = "</w>";

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly BytePairEncoder _bpe;
    private readonly (string Text, int Id)[] _specialTokens; // longest first: leftmost-longest matching

    /// <summary>Id of the beginning-of-text token (<c>&lt;|startoftext|&gt;</c>, 49406 for CLIP).</summary>
    public int BosTokenId { get; }
    /// <summary>Id of the end-of-text token (<c>&lt;|endoftext|&gt;</c>, 49407 for CLIP).</summary>
    public int EosTokenId { get; }
    /// <summary>Id used for padding; CLIP pads with <c>&lt;|endoftext|&gt;</c> (49407), not 0.</summary>
    public int PadTokenId { get; }
    /// <summary>Sequence length of the text encoder (77 for CLIP), the default for <see cref="Encode"/>.</summary>
    public int ModelMaxLength { get; }
    /// <summary>Number of entries of the id → token table (49408 for CLIP).</summary>
    public int VocabSize => _idToToken.Length;

    private ClipTokenizer(Dictionary<string, int> vocab, string[] idToToken, BytePairEncoder bpe, ClipTokenizerConfig config, string directory)
    {
        _vocab = vocab;
        _idToToken = idToToken;
        _bpe = bpe;
        ModelMaxLength = config.ModelMaxLength;
        BosTokenId = SpecialId(config.BosToken, "bos_token");
        EosTokenId = SpecialId(config.EosToken, "eos_token");
        PadTokenId = SpecialId(config.PadToken, "pad_token");
        SpecialId(config.UnkToken, "unk_token");
        _specialTokens = new[] { config.BosToken, config.EosToken, config.PadToken, config.UnkToken }
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(t => t.Length)
            .Select(t => (t, vocab[t]))
            .ToArray();

        int SpecialId(string token, string key) => vocab.TryGetValue(token, out int id) ? id
            : throw new InvalidDataException($"{Path.Combine(directory, VocabFile)}: {key} '{token}' is not in the vocabulary.");
    }

    /// <summary>Loads a tokenizer folder (e.g. <c>&lt;model&gt;/tokenizer</c>).</summary>
    public static ClipTokenizer FromDirectory(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Tokenizer folder not found: {directory}");
        var config = ClipTokenizerConfig.Load(directory);
        var (vocab, idToToken) = ReadVocab(Path.Combine(directory, VocabFile));
        var bpe = ReadMerges(Path.Combine(directory, MergesFile), vocab);
        return new ClipTokenizer(vocab, idToToken, bpe, config, directory);
    }

    // ------------------------------------------------------------------ encoding

    /// <summary>
    /// Tokenizes one prompt as <c>tokenizer(prompt, padding="max_length", max_length, truncation=True)</c>:
    /// BOS + the first <c>maxLength − 2</c> content ids + EOS, padded with <see cref="PadTokenId"/>.
    /// </summary>
    public ClipEncoding Encode(string text, int? maxLength = null)
    {
        int length = maxLength ?? ModelMaxLength;
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), $"maxLength must be at least 2 (BOS and EOS), got {length}.");
        var content = EncodeContent(text);
        int kept = Math.Min(content.Length, length - 2);

        var ids = new int[length];
        var mask = new int[length];
        ids[0] = BosTokenId;
        content.AsSpan(0, kept).CopyTo(ids.AsSpan(1));
        ids[kept + 1] = EosTokenId;
        ids.AsSpan(kept + 2).Fill(PadTokenId);
        mask.AsSpan(0, kept + 2).Fill(1);
        return new ClipEncoding
        {
            InputIds = ids,
            AttentionMask = mask,
            Length = kept + 2,
            TruncatedIds = content[kept..],
        };
    }

    /// <summary><see cref="Encode"/> for each prompt of a batch.</summary>
    public ClipEncoding[] EncodeBatch(IEnumerable<string> texts, int? maxLength = null) =>
        texts.Select(t => Encode(t, maxLength)).ToArray();

    /// <summary>All content ids of <paramref name="text"/> (no BOS/EOS, no truncation, no padding).</summary>
    public int[] EncodeContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Special tokens are matched in the normalised text (they are "normalized" added tokens in the CLIP
        // configs), so "<|ENDOFTEXT|>" is the special token too.
        string normalized = ClipTextNormalizer.Normalize(text);
        var ids = new List<int>();
        int pos = 0;
        while (pos <= normalized.Length)
        {
            var (at, special) = FindSpecialToken(normalized, pos);
            int end = at < 0 ? normalized.Length : at;
            EncodeOrdinaryText(normalized.Substring(pos, end - pos), ids);
            if (at < 0) break;
            ids.Add(special.Id);
            pos = at + special.Text.Length;
        }
        return [.. ids];
    }

    /// <summary>The token strings of <see cref="Encode"/>'s unpadded ids, e.g. <c>&lt;|startoftext|&gt;, a&lt;/w&gt;, …</c>.</summary>
    public string[] Tokenize(string text, int? maxLength = null)
    {
        var encoding = Encode(text, maxLength);
        return GetTokens(encoding.InputIds.AsSpan(0, encoding.Length));
    }

    private void EncodeOrdinaryText(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        foreach (var (start, length) in ClipPreTokenizer.Split(text))
            ids.AddRange(_bpe.Encode(text.Substring(start, length)));
    }

    private (int At, (string Text, int Id) Token) FindSpecialToken(string text, int from)
    {
        int best = -1;
        (string, int) bestToken = default;
        foreach (var token in _specialTokens)
        {
            int at = text.IndexOf(token.Text, from, StringComparison.Ordinal);
            // Longest tokens come first, so '<' keeps an earlier longer match at the same position.
            if (at >= 0 && (best < 0 || at < best)) { best = at; bestToken = token; }
        }
        return (best, bestToken);
    }

    // ------------------------------------------------------------------ ids back to text

    /// <summary>The vocabulary string of an id (byte-level characters, <c>&lt;/w&gt;</c> marking a word end).</summary>
    public string GetToken(int id) => (uint)id < (uint)_idToToken.Length && _idToToken[id] is { } t ? t
        : throw new ArgumentOutOfRangeException(nameof(id), $"Token id {id} is not in the vocabulary (size {_idToToken.Length}).");

    public string[] GetTokens(ReadOnlySpan<int> ids)
    {
        var tokens = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) tokens[i] = GetToken(ids[i]);
        return tokens;
    }

    /// <summary>The id of a vocabulary string, if present.</summary>
    public bool TryGetId(string token, out int id) => _vocab.TryGetValue(token, out id);

    /// <summary>
    /// Text of a sequence of ids as transformers' CLIP tokenizer decodes it: byte-level characters back to UTF-8
    /// (invalid sequences become U+FFFD), each <c>&lt;/w&gt;</c> a space, trimmed.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            foreach (char c in GetToken(id))
            {
                if (!ByteLevelAlphabet.TryGetByte(c, out byte b))
                    throw new InvalidDataException($"Token {id} '{GetToken(id)}' contains '{c}', which is not a byte-level character.");
                bytes.Add(b);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace(EndOfWord, " ").Trim();
    }

    private bool IsSpecial(int id)
    {
        foreach (var t in _specialTokens) if (t.Id == id) return true;
        return false;
    }

    // ------------------------------------------------------------------ loading

    private static (Dictionary<string, int>, string[]) ReadVocab(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer vocabulary not found: {path}", path);
        var vocab = new Dictionary<string, int>(50_000, StringComparer.Ordinal);
        int maxId = -1;
        try
        {
            var reader = new Utf8JsonReader(File.ReadAllBytes(path), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new InvalidDataException($"{path}: expected a JSON object mapping token strings to ids.");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string token = reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id) || id < 0)
                    throw new InvalidDataException($"{path}: the id of token '{token}' is not a non-negative integer.");
                if (!vocab.TryAdd(token, id)) throw new InvalidDataException($"{path}: token '{token}' appears twice.");
                maxId = Math.Max(maxId, id);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
        if (vocab.Count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty.");

        var idToToken = new string[maxId + 1];
        foreach (var (token, id) in vocab)
        {
            if (idToToken[id] != null) throw new InvalidDataException($"{path}: tokens '{idToToken[id]}' and '{token}' share id {id}.");
            idToToken[id] = token;
        }
        return (vocab, idToToken);
    }

    private static BytePairEncoder ReadMerges(string path, Dictionary<string, int> vocab)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer merges not found: {path}", path);

        var byteIds = new int[256];
        var finalByteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            string symbol = ByteLevelAlphabet.ToChar((byte)b).ToString();
            if (!vocab.TryGetValue(symbol, out byteIds[b]) || !vocab.TryGetValue(symbol + EndOfWord, out finalByteIds[b]))
                throw new InvalidDataException($"{Path.Combine(Path.GetDirectoryName(path) ?? "", VocabFile)}: byte symbol '{symbol}' (byte {b}) or '{symbol}{EndOfWord}' is missing; not a byte-level BPE vocabulary.");
        }

        var merges = new Dictionary<long, (int, int)>(50_000);
        int lineNumber = 0, rank = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"{path}:{lineNumber}: expected two symbols separated by one space, got '{line}'.");
            string left = line[..space], right = line[(space + 1)..];
            if (!vocab.TryGetValue(left, out int leftId) || !vocab.TryGetValue(right, out int rightId))
                throw new InvalidDataException($"{path}:{lineNumber}: merge '{line}' uses a symbol that is not in {VocabFile}.");
            if (!vocab.TryGetValue(left + right, out int mergedId))
                throw new InvalidDataException($"{path}:{lineNumber}: merged symbol '{left + right}' is not in {VocabFile}.");
            // A repeated pair takes its last rank, as the dict/HashMap construction of transformers and tokenizers does.
            merges[BytePairEncoder.PairKey(leftId, rightId)] = (rank, mergedId);
            rank++;
        }
        return new BytePairEncoder(merges, byteIds, finalByteIds);
    }
}
