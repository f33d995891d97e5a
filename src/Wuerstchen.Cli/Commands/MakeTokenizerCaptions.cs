using System.Text;
using System.Text.Json;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// The caption corpus of <c>make-tokenizer --captions</c>. A folder: its <c>metadata.jsonl</c> (or
/// <c>captions.jsonl</c>) if it has one, as a shapes or Hugging Face image-folder dataset does, else each top-level
/// <c>*.txt</c> file is one caption. A <c>.jsonl</c> file: the <c>text</c> (or <c>caption</c>) field of each line.
/// Any other file: each non-empty line is one caption.
/// </summary>
public static class MakeTokenizerCaptions
{
    public static readonly string[] Manifests = ["metadata.jsonl", "captions.jsonl"];

    public static List<string> Read(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (var manifest in Manifests)
            {
                string file = Path.Combine(path, manifest);
                if (File.Exists(file)) return ReadJsonLines(file);
            }
            var texts = Directory.EnumerateFiles(path, "*.txt").Order(StringComparer.Ordinal)
                .Select(f => File.ReadAllText(f, Encoding.UTF8).Trim())
                .Where(t => t.Length > 0)
                .ToList();
            if (texts.Count == 0)
                throw new CliUsageException("--captions", $"folder '{path}' has neither {string.Join(" nor ", Manifests)} nor any non-empty .txt caption file.");
            return texts;
        }
        if (!File.Exists(path)) throw new CliUsageException("--captions", $"'{path}' does not exist.");
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return ReadJsonLines(path);
        return File.ReadLines(path, Encoding.UTF8).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    private static List<string> ReadJsonLines(string path)
    {
        var texts = new List<string>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                    (doc.RootElement.TryGetProperty("text", out var text) || doc.RootElement.TryGetProperty("caption", out text)) &&
                    text.ValueKind == JsonValueKind.String)
                {
                    texts.Add(text.GetString()!);
                    continue;
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not valid JSON ({e.Message}).", e);
            }
            throw new InvalidDataException($"{path}:{lineNumber}: expected an object with a string 'text' (or 'caption') field.");
        }
        if (texts.Count == 0) throw new CliUsageException("--captions", $"'{path}' holds no captions.");
        return texts;
    }
}
