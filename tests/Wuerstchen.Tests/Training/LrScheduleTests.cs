using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>The schedules' rates at landmark steps (diffusers' lambdas; the authors' GradualWarmupScheduler).</summary>
public class LrScheduleTests
{
    [Fact]
    public void Constant() => Assert.All(new long[] { 0, 1, 10_000_000 }, s => Assert.Equal(1e-5, LrSchedule.Constant(1e-5).RateAt(s)));

    [Fact]
    public void AuthorsWarmupStartsAtZeroAndReachesTheRateAfter10000Updates()
    {
        // train_stage_C.py: GradualWarmupScheduler(multiplier=1, total_epoch=10000); update k uses lr·(k − 1)/10000.
        var s = LrSchedule.ConstantWithWarmup(1e-4, 10_000);
        Assert.Equal(0, s.RateAt(0));
        Assert.Equal(1e-8, s.RateAt(1), 1e-20);
        Assert.Equal(0.5e-4, s.RateAt(5_000), 1e-18);
        Assert.Equal(1e-4, s.RateAt(10_000));
        Assert.Equal(1e-4, s.RateAt(900_000));
    }

    [Fact]
    public void CosineWithWarmup()
    {
        var s = LrSchedule.CosineWithWarmup(2.0, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(1.0, s.RateAt(5), 1e-15);
        Assert.Equal(2.0, s.RateAt(10), 1e-15);
        Assert.Equal(1.0, s.RateAt(60), 1e-12);                                  // halfway down
        Assert.Equal(2.0 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.RateAt(35), 1e-12);
        Assert.Equal(0.0, s.RateAt(110), 1e-15);
        Assert.Equal(2.0 * 0.5 * (1 + Math.Cos(Math.PI * 1.9)), s.RateAt(200), 1e-12); // diffusers does not clamp past the end
        var full = LrSchedule.CosineWithWarmup(1.0, 0, 100, cycles: 1);
        Assert.Equal(1.0, full.RateAt(100), 1e-12);                              // a full cycle comes back up
    }

    [Fact]
    public void LinearWithWarmup()
    {
        var s = LrSchedule.LinearWithWarmup(1.0, 4, 14);
        Assert.Equal(0.25, s.RateAt(1));
        Assert.Equal(1.0, s.RateAt(4));
        Assert.Equal(0.5, s.RateAt(9));
        Assert.Equal(0.0, s.RateAt(14));
        Assert.Equal(0.0, s.RateAt(20));
    }

    [Fact]
    public void NegativeStepIsRejected() => Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Constant(1).RateAt(-1));
}
