namespace Wuerstchen.Pipelines;

/// <summary>How <c>FromPretrained</c> loads a pipeline's components.</summary>
public sealed record PipelineLoadOptions
{
    /// <summary>Weight variant (<c>fp16</c>, <c>bf16</c>) for the components that ship it; computation stays float32.</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// Keep every model in memory after its stage (faster for repeated calls). By default each is loaded when its
    /// stage starts and freed when it ends, so only one large model is resident at a time.
    /// </summary>
    public bool KeepModelsLoaded { get; init; }
}
