using Wuerstchen.Autograd;
using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Tensors;

/// <summary>The reduced-precision (bf16) side of the GEMM-shaped ops; see <see cref="ComputePrecision"/>.</summary>
public static unsafe partial class Ops
{
    /// <summary>
    /// Whether a GEMM-shaped op runs in bf16 now: <see cref="ComputePrecision.Reduced"/> is in force and no input
    /// tracks gradients under a recording tape (training keeps float32, so its gradients stay exact).
    /// </summary>
    private static bool UseReducedCompute(Tensor a, Tensor b, Tensor? c) =>
        Precision.Compute == ComputePrecision.Reduced && !Tape.ShouldRecord(a, b, c);

    /// <summary>
    /// torch.nn.functional.linear with a bf16 weight: the bf16 GEMM under <see cref="ComputePrecision.Reduced"/>,
    /// otherwise the weight widened to float32 for a float32 product. Not differentiable (inference weights).
    /// The widening costs a float32 copy of the weight per call: bf16 weights with float32 compute trade time for memory.
    /// </summary>
    public static Tensor Linear(Tensor x, Bf16LinearWeight weight, Tensor? bias = null)
    {
        int outFeatures = weight.OutFeatures, inFeatures = weight.InFeatures;
        if (x.Rank < 1 || x.Size(-1) != inFeatures)
            throw new ArgumentException($"Linear: input {x} does not end in in_features = {inFeatures} of {weight}.", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != outFeatures))
            throw new ArgumentException($"Linear: bias {bias} must be [{outFeatures}] for {weight}.", nameof(bias));
        var outShape = x.Shape.ToArray();
        outShape[^1] = outFeatures;
        var y = Tensor.Empty(outShape);
        if (y.Numel == 0) return Recorder.NotDifferentiable(y, "Linear with a bf16 weight", x, bias);
        int rows = checked((int)(y.Numel / outFeatures));
        long lda = Math.Max(inFeatures, 1);
        var xc = x.Contiguous();
        var bc = bias?.Contiguous();
        try
        {
            float* b = bc is null ? null : bc.Data;
            if (Precision.Compute == ComputePrecision.Reduced)
                Bf16Gemm.Gemm(rows, xc.Data, lda, weight.Packed, y.Data, outFeatures, b);
            else
            {
                // float32 arithmetic on the bf16 values: widen (into pooled memory) for this product only.
                using var w = weight.Widen();
                Gemm.Sgemm(false, true, rows, outFeatures, inFeatures, 1f, xc.Data, lda, w.Data, lda, 0f, y.Data, outFeatures, b);
            }
        }
        finally
        {
            if (!ReferenceEquals(xc, x)) xc.Dispose();
            if (bc is not null && !ReferenceEquals(bc, bias)) bc.Dispose();
        }
        return Recorder.NotDifferentiable(y, "Linear with a bf16 weight", x, bias);
    }
}
