using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary><see cref="IDecoderModel"/> over the library's <see cref="WuerstchenDiffNeXt"/> (which it owns).</summary>
public sealed class WuerstchenDiffNeXtAdapter(WuerstchenDiffNeXt model) : IDecoderModel
{
    public WuerstchenDiffNeXt Model { get; } = model;

    public static WuerstchenDiffNeXtAdapter Load(ModelFolder folder, string? variant = null)
    {
        string path = folder.ComponentPath("decoder");
        return new(WuerstchenDiffNeXt.FromPretrained(path, WeightVariants.IfPresent(path, variant), foldEffnetMappers: true));
    }

    public int LatentChannels => Model.Config.CIn;

    public Tensor Forward(Tensor x, Tensor r, Tensor effnet, Tensor clip) => Model.Forward(x, r, effnet, clip);

    /// <summary>Prepares the text's mapping and per-block keys and values once (<see cref="WuerstchenDiffNeXt.PrepareCondition"/>).</summary>
    public IConditionedDecoder Condition(Tensor effnet, Tensor clip) => new Prepared(Model, effnet, Model.PrepareCondition(clip));

    private sealed class Prepared(WuerstchenDiffNeXt model, Tensor effnet, DecoderCondition condition) : IConditionedDecoder
    {
        public Tensor Forward(Tensor x, Tensor r) => model.Forward(x, r, effnet, condition);

        public void Dispose() => condition.Dispose();
    }

    public void Dispose() => Model.Dispose();
}
