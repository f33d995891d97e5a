using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>
/// Shapes without data (torch's "meta" device): every tensor is a zero-stride view of one shared zero, so a
/// multi-gigabyte model can be constructed to inspect its structure and parameter count in no memory.
/// Running such a model computes with all-zero weights.
/// </summary>
internal sealed class MetaWeightStore : WeightStore
{
    private readonly Tensor _zero = Tensor.Zeros(1);

    public override string Description => "meta weights (shapes only)";

    public override IEnumerable<string> Keys => [];

    public override bool Contains(string key) => true;

    // The shared zero is never freed here: views of it may outlive the store (its storage's finaliser frees it).
    public override Tensor Load(string key, int[] shape) => _zero.Reshape([]).Expand(shape);
}
