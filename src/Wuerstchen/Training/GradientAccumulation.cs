namespace Wuerstchen.Training;

/// <summary>
/// Gradient accumulation as the authors' scripts do it: every micro-batch's loss is divided by the number of
/// micro-batches (<see cref="LossScale"/>) and backpropagated (gradients add up in the leaves' Grad); the optimiser
/// steps after every <see cref="Steps"/>-th micro-batch. Call <see cref="Advance"/> once per micro-batch after its
/// backward pass.
/// </summary>
public sealed class GradientAccumulation
{
    public GradientAccumulation(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Steps = steps;
    }

    /// <summary>Micro-batches per optimiser update.</summary>
    public int Steps { get; }

    /// <summary>Factor for each micro-batch loss (1/Steps), so the accumulated gradient is that of the mean loss.</summary>
    public float LossScale => 1f / Steps;

    /// <summary>Micro-batches processed so far.</summary>
    public long MicroSteps { get; private set; }

    /// <summary>Optimiser updates due so far (completed accumulation windows).</summary>
    public long Updates => MicroSteps / Steps;

    /// <summary>Counts a micro-batch; true when it completes a window (step the optimiser, then zero the gradients).</summary>
    public bool Advance() => ++MicroSteps % Steps == 0;

    /// <summary>Restores the position of a resumed run.</summary>
    public void Resume(long microSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(microSteps);
        MicroSteps = microSteps;
    }
}
