using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Models;
using Wuerstchen.Training;
using Wuerstchen.Training.Objectives;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Wuerstchen.Tests.Training.ReferenceSteps;

/// <summary>
/// One Stage C training step on the tiny prior against training.safetensors "prior_step" (the authors' p2-weighted
/// ε loss) and "prior_step_ft" (diffusers' plain MSE): the diffusion constants, add_noise, the prediction, the loss and
/// the gradient of every prior parameter and of the inputs x_t and c, at the README's float32 tolerances.
/// </summary>
public class PriorStepTests(ITestOutputHelper output)
{
    [Fact]
    public void AuthorsStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "prior_step", output);
        var scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen-prior", "scheduler"));
        var t = cmp.ReadValues("t");
        Assert.Equal(1f, t[0]);

        // ᾱ(t) and the P2 weight as a trainer computes them (float32, torch's arithmetic) vs the double reference.
        cmp.Values("alpha_cumprod", t.Select(scheduler.AlphaCumprod).ToArray(), 0, 1e-5);
        var weights = DiffusionLoss.P2Weights(scheduler, t);
        cmp.Values("p2_weight", weights, 0, 1e-5);

        // add_noise recomputed from x0, ε, t; the step itself is fed the stored x_t (what the reference model saw).
        using (var x0 = cmp.Read("x0"))
        using (var eps = cmp.Read("eps"))
        using (var noised = scheduler.AddNoise(x0, eps, t))
            cmp.Values("x_t", noised.ToArray(), 1e-6, 1e-6);

        using var step = PriorStep.Run(cmp, (pred, eps) => DiffusionLoss.P2Weighted(pred, eps, weights));
        cmp.Values("pred", step.Pred, 1e-4, 1e-4);
        cmp.Scalar("loss", step.Loss, 1e-5);
        cmp.Values("loss_per_sample", step.PerSample(), 0, 1e-5);
        Assert.Equal(48, cmp.Gradients(step.Parameters));
        Assert.Equal(2, cmp.Gradients(step.Inputs, "input_grad"));
        cmp.Report();
    }

    [Fact]
    public void FineTuningStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "prior_step_ft", output);
        using var step = PriorStep.Run(cmp, DiffusionLoss.Mse, inputsFrom: "prior_step");
        cmp.Scalar("loss", step.Loss, 1e-5);
        Assert.Equal(32, cmp.Gradients(step.Parameters));
        Assert.Equal(1, cmp.Gradients(step.Inputs, "input_grad"));
        cmp.Report();
    }

    /// <summary>The comparison can fail: the step without sample 0's term (its P2 weight set to 0) misses the reference gradients.</summary>
    [Fact]
    public void DroppingOneTermOfTheLossIsDetected()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "prior_step", output);
        var scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen-prior", "scheduler"));
        var weights = DiffusionLoss.P2Weights(scheduler, cmp.ReadValues("t"));
        weights[0] = 0;
        using var step = PriorStep.Run(cmp, (pred, eps) => DiffusionLoss.P2Weighted(pred, eps, weights));
        Assert.ThrowsAny<XunitException>(() => cmp.Gradients(step.Parameters));
        Assert.ThrowsAny<XunitException>(() => cmp.Gradients(step.Inputs, "input_grad"));
    }
}

/// <summary>The tiny prior (owned, writable weights, every parameter requiring grad) run forward and backward on a case's inputs.</summary>
internal sealed class PriorStep : IDisposable
{
    private readonly WuerstchenPrior _prior;
    private readonly Tensor _xt, _c, _eps, _r;
    private Tensor? _perSample;

    public float[] Pred { get; private set; } = [];
    public float Loss { get; private set; }
    public Dictionary<string, Tensor> Parameters { get; }
    public Dictionary<string, Tensor> Inputs => new() { ["x_t"] = _xt, ["c"] = _c };

    private PriorStep(WuerstchenPrior prior, Tensor xt, Tensor c, Tensor eps, Tensor r)
    {
        _prior = prior; _xt = xt; _c = c; _eps = eps; _r = r;
        Parameters = prior.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
    }

    /// <param name="loss">(pred, ε) → scalar loss, run under the tape</param>
    /// <param name="inputsFrom">the case holding x_t, t, c, ε (prior_step_ft reuses prior_step's)</param>
    public static PriorStep Run(StepComparison cmp, Func<Tensor, Tensor, Tensor> loss, string inputsFrom = "prior_step", Action<WuerstchenPrior>? prepare = null)
    {
        var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior, writable: true);
        prepare?.Invoke(prior);
        var step = new PriorStep(prior, Read(cmp, inputsFrom, "x_t"), Read(cmp, inputsFrom, "c"), Read(cmp, inputsFrom, "eps"), Read(cmp, inputsFrom, "t"));
        step.Forward(loss, requireGrad: prepare is null);
        return step;
    }

    private static Tensor Read(StepComparison cmp, string caseName, string name) => cmp.Vectors.ReadTensor($"{caseName}.{name}");

    private void Forward(Func<Tensor, Tensor, Tensor> lossOf, bool requireGrad)
    {
        if (requireGrad) foreach (var p in Parameters.Values) p.RequiresGrad = true;
        _xt.RequiresGrad = true;
        _c.RequiresGrad = true;
        using var tape = Tape.Record();
        using var pred = _prior.Forward(_xt, _r, _c);
        using var loss = lossOf(pred, _eps);
        tape.Backward(loss);
        Pred = pred.ToArray();
        Loss = loss.Item();
        _perSample = DiffusionLoss.PerSample(pred.Detach(), _eps);
    }

    public float[] PerSample() => _perSample!.ToArray();

    public void Dispose()
    {
        foreach (var p in Parameters.Values) { p.Grad?.Dispose(); p.Grad = null; }
        foreach (var t in new[] { _xt, _c, _eps, _r, _perSample })
        {
            if (t is null) continue;
            t.Grad?.Dispose();
            t.Dispose();
        }
        _prior.Dispose();
    }
}
