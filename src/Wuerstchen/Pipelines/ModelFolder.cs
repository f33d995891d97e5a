using System.Text.Json;

namespace Wuerstchen.Pipelines;

/// <summary>A model folder that cannot be used as asked: missing, not a diffusers pipeline, the wrong pipeline, or a missing component.</summary>
public sealed class ModelFolderException(string message) : Exception(message);

/// <summary>
/// A diffusers pipeline folder as published on the Hugging Face hub: <c>model_index.json</c> naming the pipeline
/// class, its components (each a subfolder: <c>prior</c>, <c>text_encoder</c>, <c>tokenizer</c>, <c>scheduler</c>, …)
/// and pipeline constants such as <c>latent_mean</c>. Only reads JSON; loading a component's weights is the
/// caller's business, through <see cref="ComponentPath"/>.
/// </summary>
public sealed class ModelFolder
{
    public const string IndexFileName = "model_index.json";

    private readonly Dictionary<string, ComponentEntry> _components;
    private readonly Dictionary<string, double> _constants;

    /// <summary>Absolute path of the folder.</summary>
    public string Root { get; }

    /// <summary><c>_class_name</c> of model_index.json, e.g. <c>WuerstchenPriorPipeline</c>.</summary>
    public string PipelineClass { get; }

    /// <summary>Components in model_index.json order.</summary>
    public IReadOnlyList<ComponentEntry> Components { get; }

    /// <summary>Numeric pipeline constants of model_index.json (e.g. latent_mean, resolution_multiple).</summary>
    public IReadOnlyDictionary<string, double> Constants => _constants;

    private ModelFolder(string root, string pipelineClass, List<ComponentEntry> components, Dictionary<string, double> constants)
    {
        Root = root;
        PipelineClass = pipelineClass;
        Components = components;
        _components = components.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _constants = constants;
    }

    /// <summary>
    /// Opens <paramref name="path"/> and, when <paramref name="expectedClass"/> is given, checks that it holds that
    /// pipeline. Errors explain what was found instead (a component folder, the other Würstchen stage, …).
    /// </summary>
    public static ModelFolder Open(string path, string? expectedClass = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ModelFolderException("No model folder given.");
        string root = System.IO.Path.GetFullPath(path);
        if (File.Exists(root))
            throw new ModelFolderException($"'{path}' is a file; expected a diffusers pipeline folder containing {IndexFileName}.");
        if (!Directory.Exists(root))
            throw new ModelFolderException($"Model folder '{path}' does not exist.");

        string indexPath = System.IO.Path.Combine(root, IndexFileName);
        if (!File.Exists(indexPath))
        {
            string hint = File.Exists(System.IO.Path.Combine(root, "config.json")) || File.Exists(System.IO.Path.Combine(root, "scheduler_config.json"))
                ? " It looks like a single component folder; pass the pipeline folder above it."
                : "";
            throw new ModelFolderException(
                $"'{path}' has no {IndexFileName}, so it is not a diffusers pipeline folder (such as warp-ai/wuerstchen-prior or warp-ai/wuerstchen).{hint}");
        }

        var folder = Parse(root, indexPath);
        if (expectedClass != null && folder.PipelineClass != expectedClass)
            throw new ModelFolderException(
                $"'{path}' holds a {folder.PipelineClass} ({IndexFileName} _class_name), but a {expectedClass} folder is needed here.");
        return folder;
    }

    private static ModelFolder Parse(string root, string indexPath)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw new ModelFolderException($"{indexPath}: not valid JSON ({e.Message})."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFolderException($"{indexPath}: expected a JSON object.");
            string? className = null;
            var components = new List<ComponentEntry>();
            var constants = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "_class_name")
                {
                    className = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()
                        : throw new ModelFolderException($"{indexPath}: '_class_name' must be a string.");
                }
                else if (p.Name.StartsWith('_')) { }  // _diffusers_version, _name_or_path: informational
                else if (p.Value.ValueKind == JsonValueKind.Number)
                    constants[p.Name] = p.Value.GetDouble();
                else if (p.Value.ValueKind == JsonValueKind.Array)
                {
                    // A component is ["library", "ClassName"]; [null, null] marks an optional one that is absent.
                    var parts = p.Value.EnumerateArray().ToArray();
                    if (parts.Length != 2)
                        throw new ModelFolderException($"{indexPath}: component '{p.Name}' must be [library, class], got {p.Value.GetRawText()}.");
                    if (parts[0].ValueKind == JsonValueKind.Null || parts[1].ValueKind == JsonValueKind.Null) continue;
                    if (parts[0].ValueKind != JsonValueKind.String || parts[1].ValueKind != JsonValueKind.String)
                        throw new ModelFolderException($"{indexPath}: component '{p.Name}' must be [library, class] strings, got {p.Value.GetRawText()}.");
                    components.Add(new ComponentEntry(p.Name, parts[0].GetString()!, parts[1].GetString()!,
                        System.IO.Path.Combine(root, p.Name)));
                }
            }
            if (string.IsNullOrEmpty(className))
                throw new ModelFolderException($"{indexPath}: missing '_class_name'.");
            return new ModelFolder(root, className, components, constants);
        }
    }

    public bool HasComponent(string name) => _components.ContainsKey(name);

    public ComponentEntry GetComponent(string name) =>
        _components.TryGetValue(name, out var c) ? c
        : throw new ModelFolderException(
            $"{System.IO.Path.Combine(Root, IndexFileName)} has no component '{name}' (it lists: {string.Join(", ", _components.Keys)}).");

    /// <summary>The subfolder of component <paramref name="name"/>; it must be listed in model_index.json and exist.</summary>
    public string ComponentPath(string name)
    {
        var c = GetComponent(name);
        if (!Directory.Exists(c.Path))
            throw new ModelFolderException($"Component '{name}' ({c.ClassName}) is listed in {IndexFileName} but its folder '{c.Path}' is missing.");
        return c.Path;
    }

    /// <summary>The numeric constant <paramref name="key"/> of model_index.json, or <paramref name="fallback"/> (diffusers' register_to_config default) when absent.</summary>
    public double GetConstant(string key, double fallback) => _constants.TryGetValue(key, out var v) ? v : fallback;
}

/// <summary>One component line of model_index.json: <c>"prior": ["wuerstchen", "WuerstchenPrior"]</c>.</summary>
public sealed record ComponentEntry(string Name, string Library, string ClassName, string Path);
