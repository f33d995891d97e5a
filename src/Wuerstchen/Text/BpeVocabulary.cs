using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Wuerstchen.IO;

namespace Wuerstchen.Text;

/// <summary>
/// A byte-level BPE vocabulary in CLIP's layout, as <see cref="BpeVocabularyBuilder"/> trains it: ids 0–255 are the
/// 256 byte symbols (<see cref="ByteLevelAlphabet"/> characters in code-point order, which is openai's
/// <c>bytes_to_unicode</c> order), 256–511 the same with the end-of-word suffix <c>&lt;/w&gt;</c>, then one token
/// per new merge result in the order learned, then <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>.
/// <see cref="Save"/> writes the files a <c>CLIPTokenizer</c>/<c>CLIPTokenizerFast</c> folder holds, which
/// <see cref="ClipTokenizer.FromDirectory"/> loads.
/// </summary>
public sealed class BpeVocabulary
{
    public const string EndOfWord = "</w>";
    public const string BosToken = "<|startoftext|>";
    public const string EosToken = "<|endoftext|>";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    /// <summary>The 512 byte tokens plus the two special tokens: the smallest possible vocabulary.</summary>
    public const int MinimumSize = 2 * 256 + 2;

    // Tokens stay readable (byte-level characters such as 'Ġ' rather than \u0120 escapes), as transformers writes them.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
    private static readonly JsonWriterOptions IndentedJsonOptions = JsonOptions with { Indented = true };

    /// <summary>Token strings by id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The merges by rank (first learned first); each joins two tokens into the token <c>Left + Right</c>.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Sequence length written as <c>model_max_length</c> (the text encoder's positions; 77 for CLIP).</summary>
    public int ModelMaxLength { get; }

    public int Count => Tokens.Count;

    public BpeVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges, int modelMaxLength = 77)
    {
        if (tokens.Count < MinimumSize || tokens[^2] != BosToken || tokens[^1] != EosToken)
            throw new ArgumentException($"A CLIP vocabulary has at least {MinimumSize} tokens and ends with {BosToken}, {EosToken}.", nameof(tokens));
        if (modelMaxLength < 2) throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength, "Must be at least 2 (BOS and EOS).");
        Tokens = tokens;
        Merges = merges;
        ModelMaxLength = modelMaxLength;
    }

    /// <summary>
    /// Writes <c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>
    /// into <paramref name="directory"/> (created if missing), each atomically. Same vocabulary, same bytes.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, ClipTokenizer.VocabFile), WriteVocab);
        AtomicFile.WriteAllBytes(Path.Combine(directory, ClipTokenizer.MergesFile), Encoding.UTF8.GetBytes(MergesText()));
        AtomicFile.Write(Path.Combine(directory, TokenizerConfigFile), WriteTokenizerConfig);
        AtomicFile.Write(Path.Combine(directory, SpecialTokensMapFile), WriteSpecialTokensMap);
    }

    private void WriteVocab(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, JsonOptions);
        w.WriteStartObject();
        for (int id = 0; id < Tokens.Count; id++) w.WriteNumber(Tokens[id], id);
        w.WriteEndObject();
    }

    private string MergesText()
    {
        // The header line is what openai's and transformers' merges files start with; readers skip it.
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in Merges) sb.Append(left).Append(' ').Append(right).Append('\n');
        return sb.ToString();
    }

    private void WriteTokenizerConfig(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, IndentedJsonOptions);
        w.WriteStartObject();
        w.WriteBoolean("add_prefix_space", false);
        WriteAddedToken(w, "bos_token", BosToken);
        w.WriteBoolean("clean_up_tokenization_spaces", true);
        w.WriteBoolean("do_lower_case", true);
        WriteAddedToken(w, "eos_token", EosToken);
        w.WriteString("errors", "replace");
        w.WriteNumber("model_max_length", ModelMaxLength);
        w.WriteString("pad_token", EosToken);
        w.WriteString("tokenizer_class", "CLIPTokenizer");
        WriteAddedToken(w, "unk_token", EosToken);
        w.WriteEndObject();
    }

    private static void WriteSpecialTokensMap(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, IndentedJsonOptions);
        w.WriteStartObject();
        WriteAddedToken(w, "bos_token", BosToken);
        WriteAddedToken(w, "eos_token", EosToken);
        w.WriteString("pad_token", EosToken);
        WriteAddedToken(w, "unk_token", EosToken);
        w.WriteEndObject();
    }

    // CLIP marks its special tokens "normalized": they are matched after lower-casing, like ClipTokenizer does.
    private static void WriteAddedToken(Utf8JsonWriter w, string key, string content)
    {
        w.WriteStartObject(key);
        w.WriteString("content", content);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("normalized", true);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("single_word", false);
        w.WriteEndObject();
    }
}
