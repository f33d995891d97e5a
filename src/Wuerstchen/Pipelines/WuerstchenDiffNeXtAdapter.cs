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

    public void Dispose() => Model.Dispose();
}
