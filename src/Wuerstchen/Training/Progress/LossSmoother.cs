namespace Wuerstchen.Training.Progress;

/// <summary>
/// Exponential moving average of the loss with Adam-style bias correction: avg = m / (1 − βⁿ), m ← β·m + (1 − β)·loss.
/// Its two numbers are part of a checkpoint, so a resumed run logs the same smoothed values as an uninterrupted one.
/// </summary>
public sealed class LossSmoother(double beta = 0.98)
{
    public double Beta { get; } = beta;
    public double Accumulator { get; private set; }
    public long Count { get; private set; }

    public double Value => Count == 0 ? double.NaN : Accumulator / (1 - Math.Pow(Beta, Count));

    public double Add(double loss)
    {
        Accumulator = Beta * Accumulator + (1 - Beta) * loss;
        Count++;
        return Value;
    }

    public void Restore(double accumulator, long count)
    {
        Accumulator = accumulator;
        Count = count;
    }
}
