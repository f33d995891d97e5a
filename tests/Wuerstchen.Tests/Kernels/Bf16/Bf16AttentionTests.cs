using Wuerstchen.Autograd;
using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;
using Wuerstchen.Tensors;
using Xunit.Abstractions;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary>
/// Attention under <see cref="ComputePrecision.Reduced"/>: both products in bf16 (<see cref="Bf16Attention"/>),
/// against softmax attention materialised in double from the unrounded inputs. bf16 keeps 8 significant bits,
/// so each output is allowed 2 % of the reference's largest magnitude and the whole tensor 1 % of its RMS: a
/// misplaced panel or a lost block would miss by the size of the values themselves.
/// </summary>
public class Bf16AttentionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 2, Attention.QueryBlock + 2, Attention.KeyBlock + 3, 64, 64, false, false)]   // few heads: query blocks split
    [InlineData(2, 3, 70, 147, 16, 16, false, false)]                                              // whole heads per work item
    [InlineData(1, 3, 5, 2 * Attention.KeyBlock + 45, 8, 12, false, false)]                        // three key blocks, Dv ≠ D, odd last block
    [InlineData(2, 4, 77, 77, 40, 40, true, true)]                                                 // CLIP: causal + padding mask
    [InlineData(1, 1, 300, 300, 3, 33, true, false)]                                               // odd depth, ragged value panel, causal across blocks
    [InlineData(1, 1, 1, 1, 3, 3, false, false)]
    public void ReducedAttentionIsWithinBf16RoundingOfTheExactOne(int b, int h, int lq, int lk, int d, int dv, bool causal, bool masked)
    {
        using var q = Random(80, [b, h, lq, d], -1.5f, 1.5f);
        using var k = Random(81, [b, h, lk, d], -1.5f, 1.5f);
        using var v = Random(82, [b, h, lk, dv]);
        using var mask = masked ? PaddingMask(b, lk) : null;
        var expected = Wuerstchen.Tests.Tensors.OpsAttentionTests.Reference(q, k, v, mask, causal, 1 / Math.Sqrt(d));

        Tensor reduced;
        using (Precision.Use(ComputePrecision.Reduced))
            reduced = Ops.ScaledDotProductAttention(q, k, v, mask, causal);
        using (reduced)
        using (var exact = Ops.ScaledDotProductAttention(q, k, v, mask, causal))
        {
            var got = reduced.ToArray();
            var (maxErr, rmsErr, maxRef, rmsRef) = Errors(expected, got);
            output.WriteLine($"[{b},{h},{lq},{lk},{d},{dv}] causal={causal} mask={masked}: max err {maxErr:E2} (ref max {maxRef:E2}), rms err {rmsErr:E2} (ref rms {rmsRef:E2})");
            Assert.True(maxErr <= 0.02 * maxRef, $"max error {maxErr} > 2 % of {maxRef}");
            Assert.True(rmsErr <= 0.01 * rmsRef, $"rms error {rmsErr} > 1 % of {rmsRef}");
            if (d > 3) Assert.NotEqual(exact.ToArray(), got);        // the bf16 path ran
        }
    }

    [Fact]
    public void HeadsSplitFromProjectionsTakeTheReducedPathToo()
    {
        // [B, L, H·D] projections (strided head views), as the models call it.
        using var q = Random(83, [2, 40, 4 * 16], -1.5f, 1.5f);
        using var k = Random(84, [2, 90, 4 * 16], -1.5f, 1.5f);
        using var v = Random(85, [2, 90, 4 * 16]);
        Tensor reduced;
        using (Precision.Use(ComputePrecision.Reduced))
            reduced = Ops.ScaledDotProductAttention(q, k, v, heads: 4);
        using (reduced)
        using (var exact = Ops.ScaledDotProductAttention(q, k, v, heads: 4))
        {
            var (maxErr, _, maxRef, _) = Errors(exact.ToArray(), reduced.ToArray());
            Assert.True(maxErr <= 0.02 * maxRef, $"max error {maxErr} > 2 % of {maxRef}");
            Assert.NotEqual(exact.ToArray(), reduced.ToArray());
        }
    }

    [Fact]
    public void UnderARecordingTapeAttentionStaysFloat32()
    {
        using var q = Random(86, [1, 2, 20, 8], -1.5f, 1.5f);
        using var k = Random(87, [1, 2, 30, 8], -1.5f, 1.5f);
        using var v = Random(88, [1, 2, 30, 8]);
        using var exact = Ops.ScaledDotProductAttention(q, k, v);
        q.RequiresGrad = true;
        using var tape = Tape.Record();
        using (Precision.Use(ComputePrecision.Reduced))
        using (var trained = Ops.ScaledDotProductAttention(q, k, v))
            Assert.Equal(exact.ToArray(), trained.ToArray());
    }

    [Fact]
    public unsafe void JitKernelMatchesTheManagedKernelBitForBit()
    {
        if (!Bf16Gemm.IsHardwareAccelerated) return; // only the managed kernel exists here
        using var q = Random(89, [2, 3, 270, 24], -1.5f, 1.5f);
        using var k = Random(90, [2, 3, 301, 24], -1.5f, 1.5f);
        using var v = Random(91, [2, 3, 301, 40]);
        float[] Run(Bf16KernelChoice kernel)
        {
            using var o = Tensor.Zeros(2, 3, 270, 40);
            Bf16Attention.Forward(2, 3, 270, 301, 24, 40, Operand(q), Operand(k), Operand(v), null, causal: true, 0.2f, Operand(o), kernel);
            return o.ToArray();
        }
        Assert.Equal(Run(Bf16KernelChoice.Managed), Run(Bf16KernelChoice.Jit));
    }

    [Fact]
    public void ExpNonPositiveIsGoodTo1e6AndZeroBelowTheFloatRange()
    {
        var xs = new List<float>();
        for (double x = 0; x >= -87.3; x -= 0.0137) xs.Add((float)x);
        xs.AddRange([-0f, -1e-30f, -87.33f, -87.34f, -100f, -1e30f, float.NegativeInfinity]);
        for (int i = 0; i < xs.Count; i += 16)
        {
            var chunk = new float[16];
            for (int j = 0; j < 16; j++) chunk[j] = xs[Math.Min(i + j, xs.Count - 1)];
            var e = TransposedAttention.ExpNonPositive(System.Runtime.Intrinsics.Vector512.Create(chunk));
            for (int j = 0; j < 16; j++)
            {
                double exact = Math.Exp(chunk[j]);
                if (chunk[j] < -87.3365) Assert.Equal(0f, e[j]);
                else Assert.True(Math.Abs(e[j] - exact) <= 1e-6 * exact, $"exp({chunk[j]}) = {e[j]}, exactly {exact}");
            }
        }
    }

    private static unsafe AttentionOperand Operand(Tensor t) => new(t.Data, t.Strides[0], t.Strides[1], t.Strides[2]);

    /// <summary>Additive [B, 1, 1, Lk] mask hiding the last third of each sample's keys (sample 0: none).</summary>
    internal static Tensor PaddingMask(int b, int lk)
    {
        var m = new float[b * lk];
        for (int i = 1; i < b; i++)
            for (int j = lk - lk / 3; j < lk; j++) m[i * lk + j] = float.NegativeInfinity;
        return Tensor.FromArray(m, b, 1, 1, lk);
    }

    private static (double MaxErr, double RmsErr, double MaxRef, double RmsRef) Errors(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxErr = 0, sumErr = 0, maxRef = 0, sumRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(actual[i] - (double)expected[i]);
            Assert.False(double.IsNaN(e), $"element {i} is NaN");
            maxErr = Math.Max(maxErr, e);
            sumErr += e * e;
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            sumRef += (double)expected[i] * expected[i];
        }
        return (maxErr, Math.Sqrt(sumErr / expected.Length), maxRef, Math.Sqrt(sumRef / expected.Length));
    }
}
