namespace Wuerstchen.Training;

/// <summary>
/// Learning rate as a function of the number of optimiser updates already taken (<c>step</c> = 0 for the first
/// update), like torch's LambdaLR with diffusers' lambdas. The authors' GradualWarmupScheduler(multiplier=1,
/// total_epoch=W) gives the same rates as <see cref="ConstantWithWarmup"/>: update k uses lr·min(1, (k − 1)/W).
/// </summary>
public abstract record LrSchedule(double BaseRate)
{
    /// <summary>Factor applied to <see cref="BaseRate"/> for the update after <paramref name="step"/> updates.</summary>
    public abstract double Multiplier(long step);

    /// <summary>The learning rate of the update after <paramref name="step"/> updates.</summary>
    public double RateAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return BaseRate * Multiplier(step);
    }

    /// <summary>diffusers "constant".</summary>
    public static LrSchedule Constant(double rate) => new ConstantSchedule(rate);

    /// <summary>diffusers "constant_with_warmup": step/W during the first W updates, then 1 (starts at 0).</summary>
    public static LrSchedule ConstantWithWarmup(double rate, long warmupSteps) => new WarmupSchedule(rate, warmupSteps, 0, Decay.None);

    /// <summary>diffusers "cosine": warm-up, then 0.5·(1 + cos(2π·cycles·progress)) down to 0 at <paramref name="totalSteps"/> (half a cycle by default).</summary>
    public static LrSchedule CosineWithWarmup(double rate, long warmupSteps, long totalSteps, double cycles = 0.5) =>
        new WarmupSchedule(rate, warmupSteps, totalSteps, Decay.Cosine, cycles);

    /// <summary>diffusers "linear": warm-up, then linear decay to 0 at <paramref name="totalSteps"/>.</summary>
    public static LrSchedule LinearWithWarmup(double rate, long warmupSteps, long totalSteps) =>
        new WarmupSchedule(rate, warmupSteps, totalSteps, Decay.Linear);

    private enum Decay { None, Cosine, Linear }

    private sealed record ConstantSchedule(double BaseRate) : LrSchedule(BaseRate)
    {
        public override double Multiplier(long step) => 1.0;
    }

    private sealed record WarmupSchedule(double BaseRate, long Warmup, long Total, Decay Kind, double Cycles = 0.5) : LrSchedule(BaseRate)
    {
        public override double Multiplier(long step)
        {
            if (step < Warmup) return step / (double)Math.Max(1, Warmup);
            double progress = (step - Warmup) / (double)Math.Max(1, Total - Warmup);
            return Kind switch
            {
                Decay.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * Cycles * 2.0 * progress))),
                Decay.Linear => Math.Max(0.0, (Total - step) / (double)Math.Max(1, Total - Warmup)),
                _ => 1.0,
            };
        }
    }
}
