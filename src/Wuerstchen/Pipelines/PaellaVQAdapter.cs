using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary><see cref="IVqDecoder"/> over the library's <see cref="PaellaVQModel"/> (which it owns).</summary>
public sealed class PaellaVQAdapter(PaellaVQModel model) : IVqDecoder
{
    public PaellaVQModel Model { get; } = model;

    public static PaellaVQAdapter Load(ModelFolder folder, string? variant = null)
    {
        string path = folder.ComponentPath("vqgan");
        return new(PaellaVQModel.FromPretrained(path, WeightVariants.IfPresent(path, variant)));
    }

    public float ScaleFactor => Model.Config.ScaleFactor;

    public Tensor Decode(Tensor latents) => Model.Decode(latents, forceNotQuantize: true);

    public void Dispose() => Model.Dispose();
}
