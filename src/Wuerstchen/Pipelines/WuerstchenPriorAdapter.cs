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

    public void Dispose() => Model.Dispose();
}
