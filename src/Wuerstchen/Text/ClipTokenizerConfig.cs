using System.Text.Json;

namespace Wuerstchen.Text;

/// <summary>
/// The parts of <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> the CLIP tokenizer uses; both files
/// are optional and default to CLIP's values. A special token may be written as a string or as an AddedToken
/// object with a <c>content</c> field. <c>special_tokens_map.json</c> wins where both name a token, as in transformers.
/// (<c>do_lower_case</c> is not read: the fast tokenizer lower-cases unconditionally.)
/// </summary>
internal sealed record ClipTokenizerConfig(string BosToken, string EosToken, string PadToken, string UnkToken, int ModelMaxLength)
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";

    public static ClipTokenizerConfig Default { get; } = new("<|startoftext|>", "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", 77);

    public static ClipTokenizerConfig Load(string directory)
    {
        var config = Default;
        foreach (var file in new[] { ConfigFile, SpecialTokensFile })
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
            catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object.");
                config = config with
                {
                    BosToken = TokenOrDefault(path, root, "bos_token", config.BosToken),
                    EosToken = TokenOrDefault(path, root, "eos_token", config.EosToken),
                    PadToken = TokenOrDefault(path, root, "pad_token", config.PadToken),
                    UnkToken = TokenOrDefault(path, root, "unk_token", config.UnkToken),
                    ModelMaxLength = MaxLengthOrDefault(path, root, config.ModelMaxLength),
                };
            }
        }
        return config;
    }

    private static string TokenOrDefault(string path, JsonElement root, string key, string fallback)
    {
        if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind == JsonValueKind.String) return e.GetString()!;
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            return c.GetString()!;
        throw new InvalidDataException($"{path}: '{key}' must be a string or an object with a string 'content'.");
    }

    private static int MaxLengthOrDefault(string path, JsonElement root, int fallback)
    {
        if (!root.TryGetProperty("model_max_length", out var e)) return fallback;
        // transformers writes 1e30 ("no limit") for tokenizers without one; CLIP's text encoder has 77 positions.
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double v) || v < 2)
            throw new InvalidDataException($"{path}: 'model_max_length' must be a number >= 2.");
        return v > int.MaxValue ? fallback : (int)v;
    }
}
