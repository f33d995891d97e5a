namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Finds the safetensors weights of one component folder of a diffusers / transformers checkpoint,
/// following their file naming: a base name (<c>diffusion_pytorch_model</c> for diffusers models,
/// <c>model</c> for transformers text encoders) and an optional variant (<c>fp16</c>, <c>bf16</c>, <c>ema</c>…)
/// inserted before the last extension, for single files and sharded indexes alike:
/// <code>
///   diffusion_pytorch_model.safetensors               diffusion_pytorch_model.fp16.safetensors
///   diffusion_pytorch_model.safetensors.index.json    diffusion_pytorch_model.safetensors.index.fp16.json
/// </code>
/// </summary>
public static class DiffusersWeightFiles
{
    public const string DiffusersModel = "diffusion_pytorch_model";
    public const string TransformersModel = "model";

    /// <summary>The weights found: one file, or the shards listed by <see cref="Index"/>.</summary>
    public sealed record Resolved(IReadOnlyList<string> Files, SafeTensorsIndex? Index);

    /// <summary>
    /// The file names looked for, in order of preference: a single file before a sharded index (transformers'
    /// order; diffusers checks for the index first, but a folder holds one or the other, never both in practice).
    /// </summary>
    public static IReadOnlyList<string> CandidateNames(string baseName, string? variant)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        if (variant is null)
            return [$"{baseName}.safetensors", $"{baseName}.safetensors.index.json"];
        if (variant.Length == 0 || variant.IndexOfAny(['.', '/', '\\']) >= 0)
            throw new ArgumentException($"Variant '{variant}' must be a plain name such as fp16 or bf16.", nameof(variant));
        return
        [
            $"{baseName}.{variant}.safetensors",
            $"{baseName}.safetensors.index.{variant}.json",
            // Written by some older tools; accepted so such checkpoints still load.
            $"{baseName}.{variant}.safetensors.index.json",
        ];
    }

    /// <summary>
    /// Resolves <paramref name="folder"/> + <paramref name="baseName"/> + <paramref name="variant"/> to the files to
    /// open; throws <see cref="FileNotFoundException"/> listing what was looked for and what the folder offers.
    /// </summary>
    public static Resolved Resolve(string folder, string baseName = DiffusersModel, string? variant = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Weights folder '{folder}' does not exist.");
        var names = CandidateNames(baseName, variant);
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            if (!name.EndsWith(".json", StringComparison.Ordinal)) return new Resolved([path], null);
            var index = SafeTensorsIndex.Read(path);
            foreach (var shard in index.Shards)
            {
                if (!File.Exists(shard))
                    throw new FileNotFoundException($"{path} lists shard '{Path.GetFileName(shard)}', which is missing.", shard);
            }
            return new Resolved(index.Shards, index);
        }

        var offered = Directory.EnumerateFiles(folder, baseName + "*")
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var hint = offered.Length == 0
            ? "it has no files starting with that name"
            : $"it has {string.Join(", ", offered)}" +
              (offered.Any(f => f!.EndsWith(".bin", StringComparison.Ordinal)) ? " (PyTorch .bin pickles are not supported; convert them to safetensors)" : "");
        throw new FileNotFoundException(
            $"No {(variant is null ? "" : $"'{variant}' variant ")}safetensors weights in '{folder}': looked for {string.Join(", ", names)}; {hint}.",
            Path.Combine(folder, names[0]));
    }
}
