using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// What one stage trains and how: the parameters the optimiser updates, the loss of a batch (forward and
/// backward), and how the trained weights are written out. The shared <see cref="Trainer"/> loop does the rest
/// (data order, learning rate, clipping, AdamW, EMA, checkpoints, resume, progress), so the four trainers differ
/// only here. An objective owns its models and disposes them.
/// </summary>
public interface ITrainingObjective : IDisposable
{
    /// <summary>The trainer's name in logs and checkpoints (<c>stage-c</c>, <c>stage-b</c>, <c>stage-a</c>, <c>lora</c>); a checkpoint of another kind is not resumed.</summary>
    string Name { get; }

    /// <summary>Trainable tensors, named <c>&lt;component&gt;.&lt;state-dict key&gt;</c> (unique across components).</summary>
    IReadOnlyList<NamedParameter> Parameters { get; }

    /// <summary>Non-parameter state of the trained models that a resumed run needs back (BatchNorm running statistics), by the same naming.</summary>
    IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>
    /// Computes the loss of <paramref name="batch"/> and back-propagates it into the parameters' gradients
    /// (which the loop has zeroed). Every random draw comes from <see cref="StepContext.Draws"/>, in a fixed order.
    /// </summary>
    StepResult Step(CaptionBatch batch, StepContext context);

    /// <summary>
    /// Writes the trained model into <paramref name="folder"/> (component folders, <c>model_index.json</c> when the
    /// result is a pipeline, or a LoRA file). <paramref name="weightOf"/> gives the tensor to save for each parameter:
    /// the parameter itself, or its EMA average.
    /// </summary>
    void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype);
}

/// <summary>The update about to be taken (<see cref="Step"/> updates done before it) and the run's random draws.</summary>
public sealed record StepContext(long Step, DiffusionTrainingDraws Draws);

/// <summary>A batch's loss and its named terms (e.g. <c>loss_recon</c>, <c>loss_vq</c>) for the log.</summary>
public sealed record StepResult(double Loss, IReadOnlyDictionary<string, double> Terms)
{
    public StepResult(double loss) : this(loss, new Dictionary<string, double>()) { }
}
