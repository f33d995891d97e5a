using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Tensors;

/// <summary>
/// A Linear weight [out, in] held as bf16 (2 bytes per element instead of 4), packed once into the bf16 GEMM's
/// panels. <see cref="Ops.Linear(Tensor, Bf16LinearWeight, Tensor?)"/> multiplies with it directly under
/// <see cref="ComputePrecision.Reduced"/>, and widens it to float32 for the product under
/// <see cref="ComputePrecision.F32"/> (the weight is then bf16-rounded, the arithmetic float32).
/// </summary>
public sealed unsafe class Bf16LinearWeight : IDisposable
{
    private readonly Bf16PackedB _packed;

    public int InFeatures => _packed.K;
    public int OutFeatures => _packed.N;

    /// <summary>Resident bytes (the packed panels, padded to whole 32-column panels).</summary>
    public long Bytes => _packed.Bytes;

    private Bf16LinearWeight(Bf16PackedB packed) => _packed = packed;

    /// <summary>
    /// Rounds <paramref name="weight"/> ([out, in], or a 1×1 convolution's [out, in, 1, 1]; any strides) to bf16,
    /// round to nearest even. A BF16 checkpoint's weights survive their trip through float32 unchanged.
    /// </summary>
    public static Bf16LinearWeight FromTensor(Tensor weight)
    {
        bool conv1x1 = weight.Rank == 4 && weight.Size(2) == 1 && weight.Size(3) == 1;
        if (weight.Rank != 2 && !conv1x1)
            throw new ArgumentException($"Bf16LinearWeight: weight must be [out, in] or [out, in, 1, 1], got {weight}.", nameof(weight));
        // A view when the weight is contiguous (disposing a view frees nothing), else a copy that is freed below.
        var matrix = conv1x1 ? weight.Reshape(weight.Size(0), weight.Size(1)) : weight;
        var w = matrix.Strides[1] == 1 || matrix.Size(1) <= 1 ? matrix : matrix.Contiguous();
        try
        {
            long ld = w.Size(0) <= 1 ? Math.Max(w.Size(1), 1) : w.Strides[0];
            return new Bf16LinearWeight(Bf16PackedB.Pack(transB: true, k: w.Size(1), n: w.Size(0), w.Data, ld));
        }
        finally
        {
            if (!ReferenceEquals(w, matrix)) w.Dispose();
            if (!ReferenceEquals(matrix, weight)) matrix.Dispose();
        }
    }

    /// <summary>The weight as a new float32 tensor [out, in] (the bf16 values, exactly).</summary>
    public Tensor Widen()
    {
        var t = Tensor.Empty(OutFeatures, InFeatures);
        if (t.Numel > 0) _packed.Widen(t.Data, Math.Max(InFeatures, 1));
        return t;
    }

    internal Bf16PackedB Packed => _packed;

    public void Dispose() => _packed.Dispose();

    public override string ToString() => $"Bf16LinearWeight[{OutFeatures}, {InFeatures}]";
}
