using System.Globalization;

namespace Wuerstchen.Training.Progress;

/// <summary>
/// What a trainer reports after each optimiser update. <see cref="Loss"/> is this update's loss, <see cref="SmoothedLoss"/>
/// an exponential average of it (bias-corrected, so early values are not pulled towards 0), <see cref="StepsPerSecond"/>
/// counts updates of this session only (a resumed run does not inherit the old clock), <see cref="Eta"/> extrapolates it.
/// </summary>
public sealed record TrainingProgress(
    long Step, long TotalSteps, int Epoch, double Loss, double SmoothedLoss, double LearningRate, double GradNorm,
    double StepsPerSecond, TimeSpan Elapsed, TimeSpan? Eta, IReadOnlyDictionary<string, double> Terms)
{
    /// <summary>One human-readable line, e.g. <c>step 120/1000  loss 0.4123  avg 0.4410  lr 1.2e-05  2.31 it/s  ETA 6m20s</c>.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var line = string.Create(c, $"step {Step}/{TotalSteps}  loss {Loss:F4}  avg {SmoothedLoss:F4}  lr {LearningRate:0.###e+00}  |g| {GradNorm:F3}  {StepsPerSecond:F2} it/s");
        if (Eta is { } eta) line += "  ETA " + FormatDuration(eta);
        return line;
    }

    public static string FormatDuration(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:D2}m")
        : t.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:D2}s")
        : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F1}s");
}
