using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>training.safetensors and the tiny prior it was generated from.</summary>
internal sealed class TrainingVectors : IDisposable
{
    public SafeTensorsFile Vectors { get; } = SafeTensorsFile.Open(Reference.Vectors("training.safetensors"));
    public SafeTensorsFile PriorWeights { get; } = SafeTensorsFile.Open(Reference.Path_("tiny-wuerstchen-prior", "prior", "diffusion_pytorch_model.safetensors"));

    /// <summary>Parameter names under a key prefix, e.g. "adamw.step1.param." → the handful.</summary>
    public string[] NamesUnder(string prefix) =>
        Vectors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Owned (writable) copies of the prior weights <paramref name="names"/> with the recorded gradients of <paramref name="gradCase"/> attached.</summary>
    public NamedParameter[] PriorParameters(string[] names, string gradCase) => names.Select(n =>
    {
        var p = PriorWeights.ReadTensor(n);
        p.RequiresGrad = true;
        p.Grad = Vectors.ReadTensor($"{gradCase}.grad.{n}");
        return new NamedParameter(n, p);
    }).ToArray();

    /// <summary>Gradient-only holders (tensors with Grad set) for a case's every recorded gradient.</summary>
    public Tensor[] GradientHolders(string gradCase) => NamesUnder(gradCase + ".grad.").Select(n =>
    {
        var g = Vectors.ReadTensor($"{gradCase}.grad.{n}");
        var holder = Tensor.Zeros(g.Shape);
        holder.Grad = g;
        return holder;
    }).ToArray();

    public float Scalar(string key)
    {
        using var t = Vectors.ReadTensor(key);
        return t.Item();
    }

    public static double MaxAbs(float[] v) => v.Length == 0 ? 0 : v.Max(x => Math.Abs((double)x));

    public void Dispose()
    {
        Vectors.Dispose();
        PriorWeights.Dispose();
    }
}
