using System.Text.Json;

namespace Wuerstchen.Models.Configs;

/// <summary>
/// Typed, validated access to one <c>config.json</c> as diffusers/transformers write it. Every error names the
/// file and the key: a missing key, a value of the wrong JSON type, or a value the model cannot support.
/// </summary>
public sealed class ConfigJson
{
    private readonly JsonElement _root;

    /// <summary>Where the JSON came from (a path, or a description for in-memory text); used in every error.</summary>
    public string Source { get; }

    private ConfigJson(JsonElement root, string source)
    {
        _root = root;
        Source = source;
    }

    /// <summary>Reads <paramref name="path"/>: a <c>config.json</c> file, or a component folder that contains one.</summary>
    public static ConfigJson Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found.", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static ConfigJson Parse(string json, string source)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: the top level must be a JSON object, found {root.ValueKind}.");
        return new ConfigJson(root, source);
    }

    /// <summary>The nested object <paramref name="key"/> (e.g. a CLIPModel config's <c>text_config</c>), if present.</summary>
    public ConfigJson? Section(string key)
    {
        if (!_root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object) throw WrongType(key, "an object", e);
        return new ConfigJson(e, $"{Source} [{key}]");
    }

    public bool Has(string key) => _root.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null;

    /// <summary>
    /// Checks the class-name field (<c>_class_name</c> for diffusers, <c>architectures</c>/<c>model_type</c> for
    /// transformers) when the file has one, so that a decoder config handed to the prior fails early and clearly.
    /// </summary>
    public void ExpectClass(string className)
    {
        if (_root.TryGetProperty("_class_name", out var e) && e.ValueKind == JsonValueKind.String && e.GetString() != className)
            throw Unsupported("_class_name", $"\"{e.GetString()}\"", $"expected \"{className}\"");
    }

    public int Int(string key)
    {
        var e = Required(key);
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v)) throw WrongType(key, "an integer", e);
        return v;
    }

    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;

    public float Float(string key)
    {
        var e = Required(key);
        if (e.ValueKind != JsonValueKind.Number) throw WrongType(key, "a number", e);
        return (float)e.GetDouble();
    }

    public float Float(string key, float fallback) => Has(key) ? Float(key) : fallback;

    public string String(string key)
    {
        var e = Required(key);
        if (e.ValueKind != JsonValueKind.String) throw WrongType(key, "a string", e);
        return e.GetString()!;
    }

    public string String(string key, string fallback) => Has(key) ? String(key) : fallback;

    public int[] IntArray(string key) => Array(key, "an array of integers", e =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : (int?)null);

    public bool[] BoolArray(string key) => Array(key, "an array of booleans", e =>
        e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : (bool?)null);

    public string[] StringArray(string key) => Array(key, "an array of strings", e =>
        e.ValueKind == JsonValueKind.String ? e.GetString() : null);

    /// <summary>A number, or an array of numbers with one entry per level (diffusers accepts both for dropout).</summary>
    public float[] FloatOrFloatArray(string key, int count, float fallback)
    {
        if (!Has(key)) return Enumerable.Repeat(fallback, count).ToArray();
        var e = _root.GetProperty(key);
        if (e.ValueKind == JsonValueKind.Number) return Enumerable.Repeat((float)e.GetDouble(), count).ToArray();
        var values = Array(key, "a number or an array of numbers", x => x.ValueKind == JsonValueKind.Number ? (float)x.GetDouble() : (float?)null);
        if (values.Length != count) throw Unsupported(key, $"{values.Length} entries", $"expected {count}, one per level");
        return values;
    }

    /// <summary>An error for a present, well-typed value that the model does not support.</summary>
    public InvalidDataException Unsupported(string key, object? value, string why) =>
        new($"{Source}: unsupported value {Show(value)} for '{key}': {why}.");

    private JsonElement Required(string key)
    {
        if (!_root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
            throw new InvalidDataException($"{Source}: required key '{key}' is missing.");
        return e;
    }

    private T[] Array<T>(string key, string what, Func<JsonElement, T?> convert) where T : struct
    {
        var e = Required(key);
        if (e.ValueKind != JsonValueKind.Array) throw WrongType(key, what, e);
        var result = new List<T>();
        foreach (var item in e.EnumerateArray())
            result.Add(convert(item) ?? throw WrongType(key, what, e));
        return [.. result];
    }

    private string[] Array(string key, string what, Func<JsonElement, string?> convert)
    {
        var e = Required(key);
        if (e.ValueKind != JsonValueKind.Array) throw WrongType(key, what, e);
        var result = new List<string>();
        foreach (var item in e.EnumerateArray())
            result.Add(convert(item) ?? throw WrongType(key, what, e));
        return [.. result];
    }

    private InvalidDataException WrongType(string key, string expected, JsonElement found) =>
        new($"{Source}: '{key}' must be {expected}, found {found.GetRawText()}.");

    private static string Show(object? value) => value switch
    {
        null => "null",
        int[] a => $"[{string.Join(", ", a)}]",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };

    /// <summary>Throws the "unsupported value" error unless <paramref name="ok"/>; for configs built in code as well as loaded ones.</summary>
    public static void Require(bool ok, string source, string key, object? value, string why)
    {
        if (!ok) throw new InvalidDataException($"{source}: unsupported value {Show(value)} for '{key}': {why}.");
    }
}
