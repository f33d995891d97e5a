using System.Text.Json;

namespace Wuerstchen.Models.Weights;

/// <summary>
/// Finds the safetensors files of a diffusers/transformers component folder, as <c>from_pretrained</c> names
/// them: <c>diffusion_pytorch_model.safetensors</c> (diffusers models) or <c>model.safetensors</c>
/// (transformers), a variant inserted before the extension (<c>….fp16.safetensors</c>), or a sharded
/// checkpoint described by <c>….safetensors.index.json</c> / <c>….safetensors.index.fp16.json</c>.
/// </summary>
public static class WeightFiles
{
    private static readonly string[] BaseNames = ["diffusion_pytorch_model", "model"];

    /// <summary>The files holding the component's tensors; throws naming the folder and every name tried.</summary>
    public static IReadOnlyList<string> Resolve(string folder, string? variant = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: weight folder not found.");
        if (variant is not null && (variant.Length == 0 || variant.IndexOfAny(['.', '/', '\\']) >= 0))
            throw new ArgumentException($"Weight variant '{variant}' must be a plain name such as fp16 or bf16.", nameof(variant));

        var tried = new List<string>();
        foreach (var baseName in BaseNames)
        {
            string single = Path.Combine(folder, WithVariant($"{baseName}.safetensors", variant));
            tried.Add(Path.GetFileName(single));
            if (File.Exists(single)) return [single];

            string index = Path.Combine(folder, WithVariant($"{baseName}.safetensors.index.json", variant));
            tried.Add(Path.GetFileName(index));
            if (File.Exists(index)) return ReadIndex(index);
        }

        string hint = Directory.EnumerateFiles(folder, "*.bin").Any()
            ? " Only PyTorch pickle (.bin) weights are present; convert them to safetensors."
            : "";
        throw new FileNotFoundException(
            $"{folder}: no safetensors weights{(variant is null ? "" : $" for variant '{variant}'")} (looked for {string.Join(", ", tried)}).{hint}");
    }

    /// <summary>diffusers' <c>_add_variant</c>: "a.safetensors" → "a.fp16.safetensors", "a.safetensors.index.json" → "a.safetensors.index.fp16.json".</summary>
    internal static string WithVariant(string fileName, string? variant)
    {
        if (variant is null) return fileName;
        int dot = fileName.LastIndexOf('.');
        return $"{fileName[..dot]}.{variant}{fileName[dot..]}";
    }

    private static IReadOnlyList<string> ReadIndex(string indexPath)
    {
        string folder = Path.GetDirectoryName(indexPath)!;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{indexPath}: not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{indexPath}: required object 'weight_map' is missing.");
            var files = new List<string>();
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{indexPath}: 'weight_map' entry '{entry.Name}' must be a file name, found {entry.Value.GetRawText()}.");
                string name = entry.Value.GetString()!;
                if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
                    throw new InvalidDataException($"{indexPath}: 'weight_map' entry '{entry.Name}' names '{name}', which is not a file beside the index.");
                string path = Path.Combine(folder, name);
                if (!files.Contains(path)) files.Add(path);
            }
            if (files.Count == 0) throw new InvalidDataException($"{indexPath}: 'weight_map' lists no files.");
            foreach (var f in files)
                if (!File.Exists(f)) throw new FileNotFoundException($"{indexPath}: shard '{Path.GetFileName(f)}' listed in 'weight_map' is missing.", f);
            return files;
        }
    }
}
