using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>Both EMA rules of SPEC §7: the authors' schedule/formula and diffusers' EMAModel decay/update.</summary>
public class ExponentialMovingAverageTests
{
    private static NamedParameter P(string name, params float[] v) => new(name, Tensor.FromArray(v, v.Length));

    [Fact]
    public void AuthorsScheduleCopiesEvery100UpdatesUntil5000ThenBlendsWithBeta09()
    {
        var w = P("w", 1f, 2f);
        using var ema = new ExponentialMovingAverage([w]);
        w.Value.AsSpan().Fill(3f);
        Assert.Equal(EmaAction.None, ema.StepAuthors([w], 99));
        Assert.Equal([1f, 2f], ema["w"].ToArray());
        Assert.Equal(EmaAction.Copy, ema.StepAuthors([w], 4900));
        Assert.Equal([3f, 3f], ema["w"].ToArray());
        w.Value.AsSpan().Fill(13f);
        Assert.Equal(EmaAction.None, ema.StepAuthors([w], 5001));
        Assert.Equal(EmaAction.Blend, ema.StepAuthors([w], 5000));
        Assert.Equal([3f * 0.9f + 13f * 0.1f, 3f * 0.9f + 13f * 0.1f], ema["w"].ToArray()); // ema·β + p·(1 − β) in float32
        Assert.Equal(EmaAction.Blend, ema.StepAuthors([w], 5003, isLast: true));
        w.Value.Dispose();
    }

    [Fact]
    public void DiffusersDecaySchedule()
    {
        Assert.Equal(0.0, ExponentialMovingAverage.DiffusersDecay(1));                 // first update: a copy
        Assert.Equal(2.0 / 11.0, ExponentialMovingAverage.DiffusersDecay(2), 1e-16);   // s = 1
        Assert.Equal(101.0 / 110.0, ExponentialMovingAverage.DiffusersDecay(101), 1e-16);
        Assert.Equal(0.9999, ExponentialMovingAverage.DiffusersDecay(10_000_000));     // capped
        Assert.Equal(0.0, ExponentialMovingAverage.DiffusersDecay(5, updateAfterStep: 4));
        Assert.Equal(0.5, ExponentialMovingAverage.DiffusersDecay(3, minDecay: 0.5));
        Assert.Equal(1 - Math.Pow(1 + 9.0, -2.0 / 3.0), ExponentialMovingAverage.DiffusersDecay(10, useEmaWarmup: true), 1e-15);
    }

    [Fact]
    public void DiffusersStepsFollowTheRecurrence()
    {
        var w = P("w", 0f, 1f, -2f);
        using var ema = new ExponentialMovingAverage([w]);
        var expected = w.Value.ToArray().Select(v => (double)v).ToArray();
        var rng = new System.Random(3);
        for (int k = 1; k <= 30; k++)
        {
            var now = w.Value.AsSpan();
            for (int i = 0; i < now.Length; i++) now[i] = (float)(rng.NextDouble() * 4 - 2);
            double d = ema.StepDiffusers([w]);
            Assert.Equal(ExponentialMovingAverage.DiffusersDecay(k), d);
            for (int i = 0; i < expected.Length; i++) expected[i] -= (1 - d) * (expected[i] - now[i]);
            if (k == 1) Assert.Equal(w.Value.ToArray(), ema["w"].ToArray()); // decay 0: exactly a copy
        }
        TensorAssert.Close(expected.Select(v => (float)v).ToArray(), ema["w"].ToArray(), 1e-6, 1e-5, "EMA after 30 steps");
        Assert.Equal(30, ema.OptimizationStep);
        w.Value.Dispose();
    }

    [Fact]
    public void StateRoundTripAndCopyTo()
    {
        var w = P("w", 1f, 2f);
        using var ema = new ExponentialMovingAverage([w]);
        w.Value.AsSpan().Fill(5f);
        ema.StepDiffusers([w]); ema.StepDiffusers([w]);
        using var state = ema.StateDict();
        using var other = new ExponentialMovingAverage([w]);
        other.LoadStateDict(state);
        Assert.Equal(ema["w"].ToArray(), other["w"].ToArray());
        Assert.Equal(2, other.OptimizationStep);
        other.CopyTo([w]);
        Assert.Equal(ema["w"].ToArray(), w.Value.ToArray());
        w.Value.Dispose();
    }

    [Fact]
    public void UnknownParameterIsAnError()
    {
        var w = P("w", 1f);
        using var ema = new ExponentialMovingAverage([w]);
        var e = Assert.Throws<KeyNotFoundException>(() => ema.Blend([P("v", 1f)], 0.9));
        Assert.Contains("'v'", e.Message);
        w.Value.Dispose();
    }
}
