using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// The step-invariant share of a Stage C forward for one text conditioning (<see cref="WuerstchenPrior.PrepareCondition"/>):
/// <c>cond_mapper(c)</c> [B, L, c] and, for every AttnBlock, the keys and values of its mapped condition tokens.
/// A sampling loop prepares it once and passes it to every step. Owns its tensors.
/// </summary>
public sealed class PriorCondition : IDisposable
{
    internal PriorCondition(Tensor embedding, ProjectedKeysValues[] blocks)
    {
        Embedding = embedding;
        Blocks = blocks;
    }

    /// <summary><c>cond_mapper(c)</c> [B, L, c].</summary>
    public Tensor Embedding { get; }

    internal ProjectedKeysValues[] Blocks { get; }

    public int Batch => Embedding.Size(0);

    public void Dispose()
    {
        foreach (var b in Blocks) b.Dispose();
        Embedding.Dispose();
    }
}
