using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// The step-invariant share of a Stage B forward for one text conditioning (<see cref="WuerstchenDiffNeXt.PrepareCondition"/>):
/// <c>seq_norm(clip_mapper(clip))</c> [B, L, c_cond] and, for every AttnBlock, the keys and values of its mapped
/// condition tokens. A sampling loop prepares it once and passes it to every step. Owns its tensors.
/// </summary>
public sealed class DecoderCondition : IDisposable
{
    private readonly Dictionary<AttnBlock, ProjectedKeysValues> _blocks;

    internal DecoderCondition(Tensor clipMapped, Dictionary<AttnBlock, ProjectedKeysValues> blocks)
    {
        ClipMapped = clipMapped;
        _blocks = blocks;
    }

    /// <summary><c>seq_norm(clip_mapper(clip))</c> [B, L, c_cond].</summary>
    public Tensor ClipMapped { get; }

    public int Batch => ClipMapped.Size(0);

    internal ProjectedKeysValues For(AttnBlock block) => _blocks[block];

    public void Dispose()
    {
        foreach (var kv in _blocks.Values) kv.Dispose();
        ClipMapped.Dispose();
    }
}
