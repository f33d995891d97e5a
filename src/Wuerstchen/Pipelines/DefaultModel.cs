namespace Wuerstchen.Pipelines;

/// <summary>
/// The model <c>generate</c> uses when no model folders are given: a folder holding <c>prior/</c> (a
/// <c>WuerstchenPriorPipeline</c> folder), <c>decoder/</c> (a <c>WuerstchenDecoderPipeline</c> folder) and optionally
/// <c>defaults.json</c> (<see cref="DefaultModelSettings"/>). It is looked for at <c>$WUERSTCHEN_MODEL</c> when that is
/// set, else at <c>models/default</c> beside the tool (the repo's <c>models/</c> is copied there on build). A set
/// but broken <c>$WUERSTCHEN_MODEL</c> is an error, never silently passed over for the shipped model.
/// </summary>
public sealed record DefaultModel
{
    public const string EnvironmentVariable = "WUERSTCHEN_MODEL";
    public const string ModelsFolderName = "models";
    public const string DefaultFolderName = "default";
    public const string PriorFolderName = "prior";
    public const string DecoderFolderName = "decoder";

    /// <summary>Absolute path of the folder holding <c>prior/</c> and <c>decoder/</c>.</summary>
    public required string Root { get; init; }
    public string PriorFolder => Path.Combine(Root, PriorFolderName);
    public string DecoderFolder => Path.Combine(Root, DecoderFolderName);

    /// <summary>The recommended settings: <c>defaults.json</c>, or <see cref="DefaultModelSettings"/>' own defaults when there is none.</summary>
    public required DefaultModelSettings Settings { get; init; }

    /// <summary>Whether <see cref="Settings"/> came from a <c>defaults.json</c>.</summary>
    public bool HasSettingsFile { get; init; }

    /// <summary>Where the tool looks for the shipped model: <c>models/default</c> beside the running assembly.</summary>
    public static string ShippedPath(string? toolDirectory = null) =>
        Path.Combine(toolDirectory ?? AppContext.BaseDirectory, ModelsFolderName, DefaultFolderName);

    /// <summary>Finds the default model of this process (<c>$WUERSTCHEN_MODEL</c>, else the shipped one).</summary>
    public static DefaultModel Find() => Find(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);

    /// <summary>
    /// Finds the default model given the value of <c>$WUERSTCHEN_MODEL</c> (null or empty: unset) and the tool's
    /// folder. Throws <see cref="ModelFolderException"/> saying where it looked and what to do when there is none.
    /// </summary>
    public static DefaultModel Find(string? environmentValue, string toolDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            if (!Directory.Exists(environmentValue))
                throw new ModelFolderException($"${EnvironmentVariable} is '{environmentValue}', which does not exist; set it to a folder holding {PriorFolderName}/ and {DecoderFolderName}/.");
            return Open(environmentValue, $"${EnvironmentVariable} ('{environmentValue}')");
        }
        string shipped = ShippedPath(toolDirectory);
        if (!Directory.Exists(Path.Combine(shipped, PriorFolderName)) && !Directory.Exists(Path.Combine(shipped, DecoderFolderName)))
            throw new ModelFolderException(
                $"No default model: ${EnvironmentVariable} is not set and '{shipped}' holds no trained model (see models/README.md). " +
                $"Pass --prior and --decoder pipeline folders, or set {EnvironmentVariable} to a folder holding {PriorFolderName}/ and {DecoderFolderName}/.");
        return Open(shipped, $"the default model '{shipped}'");
    }

    /// <summary>Opens a default-model folder, checking that both pipeline folders are there and of the right class.</summary>
    public static DefaultModel Open(string root, string? description = null)
    {
        root = Path.GetFullPath(root);
        description ??= $"'{root}'";
        foreach (var (name, pipelineClass) in new[]
        {
            (PriorFolderName, WuerstchenPriorPipeline.PipelineClassName),
            (DecoderFolderName, WuerstchenDecoderPipeline.PipelineClassName),
        })
        {
            string folder = Path.Combine(root, name);
            if (!Directory.Exists(folder))
                throw new ModelFolderException($"{description} has no {name}/ folder (a {pipelineClass} folder).");
            try { ModelFolder.Open(folder, pipelineClass); }
            catch (ModelFolderException e) { throw new ModelFolderException($"{description}: {e.Message}"); }
        }
        string settingsPath = Path.Combine(root, DefaultModelSettings.FileName);
        bool hasSettings = File.Exists(settingsPath);
        return new DefaultModel
        {
            Root = root,
            Settings = hasSettings ? DefaultModelSettings.Load(settingsPath) : new DefaultModelSettings(),
            HasSettingsFile = hasSettings,
        };
    }
}
