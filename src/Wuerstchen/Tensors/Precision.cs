namespace Wuerstchen.Tensors;

/// <summary>Arithmetic of the GEMM-shaped ops (Linear, 1×1 convolutions, MatMul).</summary>
public enum ComputePrecision
{
    /// <summary>float32 throughout: the reference-matching path (bit-identical to builds without bf16 support).</summary>
    F32,
    /// <summary>
    /// Operands of Linear / PointwiseConv / MatMul rounded to bf16 (round to nearest even), products accumulated
    /// in float32 by the bf16 GEMM (<see cref="Kernels.Bf16.Bf16Gemm"/>); everything else stays float32.
    /// Inference only: an op whose inputs track gradients under a <see cref="Autograd.Tape"/> runs in float32.
    /// </summary>
    Reduced,
}

/// <summary>How models built now store the weights of their Linear and PointwiseConv layers.</summary>
public enum WeightPrecision
{
    /// <summary>float32 tensors (borrowed from the memory-mapped file where it is float32).</summary>
    F32,
    /// <summary>
    /// bf16 panels (<see cref="Bf16LinearWeight"/>): half the resident memory. With <see cref="ComputePrecision.F32"/>
    /// they are widened to float32 for each product; with <see cref="ComputePrecision.Reduced"/> the bf16 kernel
    /// reads them directly. Inference only (the layers then expose no float32 parameter to optimise or save).
    /// </summary>
    Bf16,
}

/// <summary>
/// The precision settings in force: process-wide defaults (what the CLI's <c>--compute</c> / <c>--weights</c> set),
/// overridable for one logical flow of execution by <see cref="Use"/> (an <see cref="AsyncLocal{T}"/> scope, so
/// concurrent callers, e.g. tests running in parallel, do not see each other's settings).
/// <see cref="Compute"/> is read by the ops when they run; <see cref="Weights"/> by layers when they are built.
/// </summary>
public static class Precision
{
    private static readonly AsyncLocal<Settings?> Scoped = new();

    public static ComputePrecision DefaultCompute { get; set; } = ComputePrecision.F32;
    public static WeightPrecision DefaultWeights { get; set; } = WeightPrecision.F32;

    public static ComputePrecision Compute => Scoped.Value?.Compute ?? DefaultCompute;
    public static WeightPrecision Weights => Scoped.Value?.Weights ?? DefaultWeights;

    /// <summary>Sets both for the current flow until the returned scope is disposed (scopes nest).</summary>
    public static IDisposable Use(ComputePrecision compute, WeightPrecision weights = WeightPrecision.F32)
    {
        var previous = Scoped.Value;
        Scoped.Value = new Settings(compute, weights);
        return new Restore(previous);
    }

    /// <summary>"f32" / "reduced" (CLI spelling) → <see cref="ComputePrecision"/>.</summary>
    public static ComputePrecision ParseCompute(string text) => text.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => ComputePrecision.F32,
        "reduced" or "bf16" => ComputePrecision.Reduced,
        _ => throw new ArgumentException($"Unknown compute precision '{text}' (expected f32 or reduced).", nameof(text)),
    };

    /// <summary>"f32" / "bf16" (CLI spelling) → <see cref="WeightPrecision"/>.</summary>
    public static WeightPrecision ParseWeights(string text) => text.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => WeightPrecision.F32,
        "bf16" or "bfloat16" => WeightPrecision.Bf16,
        _ => throw new ArgumentException($"Unknown weight precision '{text}' (expected f32 or bf16).", nameof(text)),
    };

    private sealed record Settings(ComputePrecision Compute, WeightPrecision Weights);

    private sealed class Restore(Settings? previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Scoped.Value = previous;
        }
    }
}
