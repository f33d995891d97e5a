using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>
/// AdamW against the reference's two torch updates (training.safetensors "adamw", fed the recorded prior_step
/// gradients) at the README's float32 tolerances: parameters atol 1e-6·M_T, deltas atol 2e-3·M_T (an F32 parameter
/// resolves a 1e-4 relative update to ~3 digits), moments rtol 1e-5 + atol 1e-6·M_T (M_T = max |reference| per tensor).
/// </summary>
public class AdamWTests
{
    [Fact]
    public void TwoStepsMatchTorch()
    {
        using var data = new TrainingVectors();
        var names = data.NamesUnder("adamw.step1.param.");
        Assert.Equal(32, names.Length);
        var parameters = data.PriorParameters(names, "prior_step");
        using var optimizer = new AdamW(parameters, new AdamWOptions(LearningRate: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01));
        var previous = parameters.ToDictionary(p => p.Name, p => p.Value.ToArray());

        for (int step = 1; step <= 2; step++)
        {
            optimizer.Step(); // the same gradients both times, as the reference
            foreach (var p in parameters)
            {
                var now = p.Value.ToArray();
                using var expected = data.Vectors.ReadTensor($"adamw.step{step}.param.{p.Name}");
                using var expectedDelta = data.Vectors.ReadTensor($"adamw.step{step}.delta.{p.Name}");
                var e = expected.ToArray();
                var ed = expectedDelta.ToArray();
                TensorAssert.Close(e, now, 1e-6 * TrainingVectors.MaxAbs(e), 0, $"step {step} param {p.Name}");
                var delta = now.Zip(previous[p.Name], (a, b) => a - b).ToArray();
                TensorAssert.Close(ed, delta, 2e-3 * TrainingVectors.MaxAbs(ed), 0, $"step {step} delta {p.Name}");
                Assert.Equal(step, optimizer.StepOf(p.Name));
                previous[p.Name] = now;
            }
        }
        foreach (var p in parameters)
        {
            var (m, v) = optimizer.MomentsOf(p.Name);
            using var em = data.Vectors.ReadTensor($"adamw.step2.exp_avg.{p.Name}");
            using var ev = data.Vectors.ReadTensor($"adamw.step2.exp_avg_sq.{p.Name}");
            TensorAssert.Close(em.ToArray(), m!.ToArray(), 1e-6 * TrainingVectors.MaxAbs(em.ToArray()), 1e-5, $"exp_avg {p.Name}");
            TensorAssert.Close(ev.ToArray(), v!.ToArray(), 1e-6 * TrainingVectors.MaxAbs(ev.ToArray()), 1e-5, $"exp_avg_sq {p.Name}");
        }
        foreach (var p in parameters) { p.Value.Grad?.Dispose(); p.Value.Dispose(); }
    }

    [Fact]
    public void ParametersWithoutGradientAreSkipped()
    {
        var a = Tensor.Full(1f, 3); var b = Tensor.Full(2f, 2);
        a.Grad = Tensor.Full(0.5f, 3);
        using var opt = new AdamW([new("a", a), new("b", b)], new AdamWOptions(LearningRate: 0.1));
        opt.Step();
        Assert.Equal(1, opt.StepOf("a"));
        Assert.Equal(0, opt.StepOf("b"));
        Assert.Equal([2f, 2f], b.ToArray());
        // First step of Adam moves every coordinate by ≈ lr (m̂/√v̂ = sign g), after the decay p·(1 − lr·wd).
        TensorAssert.Close(Enumerable.Repeat((float)(1 * (1 - 0.1 * 0.01) - 0.1), 3).ToArray(), a.ToArray(), 1e-6, 1e-6, "first step");
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void ResumingFromAStateDictReproducesTheRunExactly()
    {
        float[] Gradient(int step, int n) => Enumerable.Range(0, n).Select(i => MathF.Sin(step * 7 + i * 3.1f)).ToArray();
        (Tensor, Tensor) Fresh() => (Tensor.FromArray([0.5f, -1f, 2f, 0.25f], 2, 2), Tensor.FromArray([3f, -0.5f], 2));
        var options = new AdamWOptions(LearningRate: 1e-2, WeightDecay: 0.1);

        var (w, b) = Fresh();
        using (var straight = new AdamW([new("w", w), new("b", b)], options))
            for (int step = 0; step < 5; step++)
            {
                w.Grad = Tensor.FromArray(Gradient(step, 4), 2, 2); b.Grad = Tensor.FromArray(Gradient(step + 100, 2), 2);
                straight.LearningRate = 1e-2 * (step + 1);
                straight.Step(); straight.ZeroGrad();
            }

        var (w2, b2) = Fresh();
        TrainingState saved;
        using (var first = new AdamW([new("w", w2), new("b", b2)], options))
        {
            for (int step = 0; step < 3; step++)
            {
                w2.Grad = Tensor.FromArray(Gradient(step, 4), 2, 2); b2.Grad = Tensor.FromArray(Gradient(step + 100, 2), 2);
                first.LearningRate = 1e-2 * (step + 1);
                first.Step(); first.ZeroGrad();
            }
            saved = first.StateDict();
        }
        using (saved)
        using (var resumed = new AdamW([new("b", b2), new("w", w2)], options)) // another order: state is keyed by name
        {
            resumed.LoadStateDict(saved);
            Assert.Equal(3, resumed.StepOf("w"));
            for (int step = 3; step < 5; step++)
            {
                w2.Grad = Tensor.FromArray(Gradient(step, 4), 2, 2); b2.Grad = Tensor.FromArray(Gradient(step + 100, 2), 2);
                resumed.LearningRate = 1e-2 * (step + 1);
                resumed.Step(); resumed.ZeroGrad();
            }
        }
        Assert.Equal(w.ToArray(), w2.ToArray());
        Assert.Equal(b.ToArray(), b2.ToArray());
    }

    [Fact]
    public void StateForAnUnknownParameterIsRejected()
    {
        using var p = Tensor.Zeros(2);
        p.Grad = Tensor.Full(1f, 2);
        using var opt = new AdamW([new("p", p)]);
        opt.Step();
        using var state = opt.StateDict();
        using var q = Tensor.Zeros(2);
        using var other = new AdamW([new("q", q)]);
        var e = Assert.Throws<ArgumentException>(() => other.LoadStateDict(state));
        Assert.Contains("'p'", e.Message);
    }

    [Fact]
    public void DuplicateNamesAndBadOptionsAreRejected()
    {
        using var p = Tensor.Zeros(2);
        Assert.Throws<ArgumentException>(() => new AdamW([new("p", p), new("p", p)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([new("p", p)], new AdamWOptions(Beta1: 1.0)));
    }
}

/// <summary>A whole training checkpoint (optimiser + EMA + random draws) through one safetensors file.</summary>
public class TrainingStateFileTests
{
    [Fact]
    public void CheckpointRoundTripsThroughAFile()
    {
        var w = Tensor.FromArray([1f, -2f, 0.5f], 3);
        w.Grad = Tensor.FromArray([0.1f, 0.2f, -0.3f], 3);
        NamedParameter[] ps = [new("w", w)];
        using var opt = new AdamW(ps, new AdamWOptions(LearningRate: 0.01));
        using var ema = new ExponentialMovingAverage(ps);
        var draws = new DiffusionTrainingDraws(11);
        opt.Step(); ema.StepDiffusers(ps); draws.AuthorsTimesteps(2);

        var path = Path.Combine(Path.GetTempPath(), $"wuerstchen-training-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var state = opt.StateDict().Add(ema.StateDict()).Add(draws.StateDict())) state.Save(path);
            using var loaded = TrainingState.Load(path);
            using var opt2 = new AdamW(ps, new AdamWOptions(LearningRate: 0.5));
            using var ema2 = new ExponentialMovingAverage(ps);
            var draws2 = new DiffusionTrainingDraws(0);
            opt2.LoadStateDict(loaded); ema2.LoadStateDict(loaded); draws2.LoadStateDict(loaded);
            Assert.Equal(0.01, opt2.LearningRate);
            Assert.Equal(opt.MomentsOf("w").ExpAvg!.ToArray(), opt2.MomentsOf("w").ExpAvg!.ToArray());
            Assert.Equal(opt.MomentsOf("w").ExpAvgSq!.ToArray(), opt2.MomentsOf("w").ExpAvgSq!.ToArray());
            Assert.Equal(1, opt2.StepOf("w"));
            Assert.Equal(ema["w"].ToArray(), ema2["w"].ToArray());
            Assert.Equal(1, ema2.OptimizationStep);
            Assert.Equal(draws.UniformTimesteps(4), draws2.UniformTimesteps(4));
        }
        finally { File.Delete(path); }
        w.Grad.Dispose(); w.Dispose();
    }
}
