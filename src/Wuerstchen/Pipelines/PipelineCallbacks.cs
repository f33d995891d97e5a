using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>The parts of a generation that report progress.</summary>
public enum PipelineStage { PriorTextEncoder, Prior, DecoderTextEncoder, Decoder, VqGan }

/// <summary>
/// <paramref name="Step"/> of <paramref name="Total"/> steps of <paramref name="Stage"/> are done. Every stage reports
/// step 0 when it starts, then each completed step (a sampling stage has one step per model evaluation).
/// </summary>
public readonly record struct PipelineProgress(PipelineStage Stage, int Step, int Total);

/// <summary>Optional observers of a pipeline call. All run synchronously on the calling thread.</summary>
public sealed class PipelineCallbacks
{
    public static PipelineCallbacks None { get; } = new();

    /// <summary>Per-step progress of each stage.</summary>
    public Action<PipelineProgress>? Progress { get; init; }

    /// <summary>Non-fatal problems, e.g. a prompt longer than 77 tokens that was truncated.</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// Intermediate tensors under the names of the reference vectors (<c>initial_latents</c>,
    /// <c>text_encoder_hidden_states</c>, <c>effnet</c>, <c>step3.model_output_raw</c>, …; prefixed <c>prior.</c> /
    /// <c>decoder.</c> by the combined pipeline). The tensor is only valid during the callback: clone it to keep it.
    /// </summary>
    public Action<string, Tensor>? Inspect { get; init; }

    internal void Report(PipelineStage stage, int step, int total) => Progress?.Invoke(new PipelineProgress(stage, step, total));

    internal void Warn(string message) => Warning?.Invoke(message);

    internal void Show(string name, Tensor value) => Inspect?.Invoke(name, value);

    internal bool Inspecting => Inspect != null;

    /// <summary>The same callbacks with tensor names prefixed (the combined pipeline's <c>prior.</c> / <c>decoder.</c>).</summary>
    internal PipelineCallbacks WithTensorPrefix(string prefix) =>
        Inspect == null ? this : new PipelineCallbacks { Progress = Progress, Warning = Warning, Inspect = (n, t) => Inspect(prefix + n, t) };
}
