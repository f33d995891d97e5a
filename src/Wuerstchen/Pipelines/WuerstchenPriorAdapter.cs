using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary><see cref="IPriorModel"/> over the library's <see cref="WuerstchenPrior"/> (which it owns).</summary>
public sealed class WuerstchenPriorAdapter(WuerstchenPrior model) : IPriorModel
{
    public WuerstchenPrior Model { get; } = model;

    public static WuerstchenPriorAdapter Load(ModelFolder folder, string? variant = null)
    {
        string path = folder.ComponentPath("prior");
        return new(WuerstchenPrior.FromPretrained(path, WeightVariants.IfPresent(path, variant)));
    }

    public int LatentChannels => Model.Config.CIn;

    public Tensor Forward(Tensor x, Tensor r, Tensor c) => Model.Forward(x, r, c);

    /// <summary>Prepares the condition's mapping and per-block keys and values once (<see cref="WuerstchenPrior.PrepareCondition"/>).</summary>
    public IConditionedPrior Condition(Tensor c) => new Prepared(Model, Model.PrepareCondition(c));

    private sealed class Prepared(WuerstchenPrior model, PriorCondition condition) : IConditionedPrior
    {
        public Tensor Forward(Tensor x, Tensor r) => model.Forward(x, r, condition);

        public void Dispose() => condition.Dispose();
    }

    public void Dispose() => Model.Dispose();
}
