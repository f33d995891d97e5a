using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>Stage C as the prior pipeline uses it: <c>WuerstchenPrior.forward(x, r, c)</c>, ε-prediction.</summary>
public interface IPriorModel : IDisposable
{
    /// <summary>Channels of the Stage C latent (config <c>c_in</c>, 16 for the released model).</summary>
    int LatentChannels { get; }

    /// <summary>x [B, c_in, h, w], r [B] (the timestep ratio in [0, 1]), c [B, 77, c_cond] → ε̂ [B, c_in, h, w].</summary>
    Tensor Forward(Tensor x, Tensor r, Tensor c);

    /// <summary>
    /// Binds the text conditioning c for a whole sampling loop, so that a model can compute its step-invariant part
    /// once. The default forwards c at every step.
    /// </summary>
    IConditionedPrior Condition(Tensor c) => new ConditionEveryStep(this, c);

    private sealed class ConditionEveryStep(IPriorModel model, Tensor c) : IConditionedPrior
    {
        public Tensor Forward(Tensor x, Tensor r) => model.Forward(x, r, c);

        public void Dispose() { }
    }
}

/// <summary>Stage C with its text conditioning bound (<see cref="IPriorModel.Condition"/>): x [B, c_in, h, w], r [B] → ε̂.</summary>
public interface IConditionedPrior : IDisposable
{
    Tensor Forward(Tensor x, Tensor r);
}
