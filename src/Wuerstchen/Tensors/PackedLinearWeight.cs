using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

/// <summary>
/// A Linear weight [out, in] transposed and packed once into the GEMM's panel layout, for layers run many
/// times (every denoising step). <see cref="Ops.Linear(Tensor, PackedLinearWeight, Tensor?)"/> then skips
/// the per-call transpose-and-pack of the weight: on the models' shapes that saves 1–5% at M ≥ 1152 and
/// 15–20% at the text encoders' M = 77…154 (docs/BENCHMARKS.md). It costs a second copy of the weight
/// (⌈out/32⌉·32·in floats), so it is opt-in: drop the original tensor if it is no longer needed.
/// </summary>
public sealed unsafe class PackedLinearWeight : IDisposable
{
    private readonly GemmPackedB _packed;

    public int InFeatures => _packed.K;
    public int OutFeatures => _packed.N;

    private PackedLinearWeight(GemmPackedB packed) => _packed = packed;

    /// <summary>Packs <paramref name="weight"/> [out, in] (any strides).</summary>
    public static PackedLinearWeight Pack(Tensor weight)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"PackedLinearWeight: weight must be [out, in], got {weight}.", nameof(weight));
        var w = weight.Strides[1] == 1 || weight.Size(1) <= 1 ? weight : weight.Contiguous();
        try
        {
            long ld = weight.Size(0) <= 1 ? Math.Max(w.Size(1), 1) : w.Strides[0];
            return new PackedLinearWeight(GemmPackedB.Pack(transB: true, k: w.Size(1), n: w.Size(0), w.Data, ld));
        }
        finally { if (!ReferenceEquals(w, weight)) w.Dispose(); }
    }

    internal GemmPackedB Gemm => _packed;

    public void Dispose() => _packed.Dispose();

    public override string ToString() => $"PackedLinearWeight[{OutFeatures}, {InFeatures}]";
}
