using Wuerstchen.Kernels;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Kernels.Bf16;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Kernels;

/// <summary>
/// The two float32 attention kernels, each against softmax attention materialised in double: the transposed one
/// on the AVX-512 micro-kernel (what <c>Ops</c> runs here) and the row-major one other CPUs run.
/// </summary>
public class AttentionTests
{
    [Theory]
    [InlineData(1, 2, Attention.QueryBlock + 2, Attention.KeyBlock + 3, 64, 64, false, false)]   // few heads: query blocks split
    [InlineData(2, 3, 70, 147, 16, 16, false, false)]                                              // whole heads per work item
    [InlineData(1, 3, 5, 2 * Attention.KeyBlock + 45, 8, 12, false, false)]                        // three key blocks, Dv ≠ D
    [InlineData(2, 4, 77, 77, 40, 40, true, true)]                                                 // CLIP: causal + padding mask
    [InlineData(1, 1, 300, 300, 3, 33, true, false)]                                               // causal across blocks, ragged panels
    [InlineData(1, 1, 1, 1, 3, 3, false, false)]
    public unsafe void BothKernelsMatchMaterialisedSoftmaxAttention(int b, int h, int lq, int lk, int d, int dv, bool causal, bool masked)
    {
        using var q = Random(80, [b, h, lq, d], -1.5f, 1.5f);
        using var k = Random(81, [b, h, lk, d], -1.5f, 1.5f);
        using var v = Random(82, [b, h, lk, dv]);
        using var mask = masked ? Bf16AttentionTests.PaddingMask(b, lk).Expand(b, h, lq, lk).Clone() : null;
        float scale = 1 / MathF.Sqrt(d);
        var expected = Wuerstchen.Tests.Tensors.OpsAttentionTests.Reference(q, k, v, mask, causal, scale);
        AttentionMask? am = mask == null ? null : new AttentionMask(mask.Data, mask.Strides[0], mask.Strides[1], mask.Strides[2], 1);

        using var rowMajor = Tensor.Zeros(b, h, lq, dv);
        Attention.RowMajor(b, h, lq, lk, d, dv, Operand(q), Operand(k), Operand(v), am, causal, scale, Operand(rowMajor));
        TensorAssert.Close(expected, rowMajor.ToArray(), 2e-6, 2e-5, "row-major");
        if (!AttentionAvx512.IsSupported) return;
        using var transposed = Tensor.Zeros(b, h, lq, dv);
        AttentionAvx512.Forward(b, h, lq, lk, d, dv, Operand(q), Operand(k), Operand(v), am, causal, scale, Operand(transposed));
        TensorAssert.Close(expected, transposed.ToArray(), 2e-6, 2e-5, "transposed (AVX-512)");
    }

    private static unsafe AttentionOperand Operand(Tensor t) => new(t.Data, t.Strides[0], t.Strides[1], t.Strides[2]);
}
