using Wuerstchen.Kernels;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsAttentionTests
{
    /// <summary>softmax(q·kᵀ·scale + mask)·v in double, materialising the score matrix. Inputs [B, H, L, D].</summary>
    internal static float[] Reference(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, double scale)
    {
        int b = q.Shape[0], h = q.Shape[1], lq = q.Shape[2], d = q.Shape[3], lk = k.Shape[2], dv = v.Shape[3];
        var qv = q.ToArray(); var kv = k.ToArray(); var vv = v.ToArray();
        float[]? mv = null;
        if (mask != null) mv = mask.Expand(b, h, lq, lk).ToArray();
        var o = new float[b * h * lq * dv];
        var s = new double[lk];
        for (int bh = 0; bh < b * h; bh++)
            for (int i = 0; i < lq; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < lk; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double)qv[(bh * lq + i) * d + c] * kv[(bh * lk + j) * d + c];
                    s[j] = dot * scale + (mv?[(bh * lq + i) * lk + j] ?? 0) + (causal && j > i ? double.NegativeInfinity : 0);
                    max = Math.Max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                for (int c = 0; c < dv; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < lk; j++) acc += s[j] * vv[(bh * lk + j) * dv + c];
                    o[(bh * lq + i) * dv + c] = (float)(acc / sum);
                }
            }
        return o;
    }

    [Theory]
    [InlineData(1, 2, Attention.QueryBlock + 2, Attention.KeyBlock + 2, 64, 64)]    // crosses query and key blocks
    [InlineData(2, 1, 70, 147, 16, 16)]     // tokens attending to tokens + 77 conditioning rows
    [InlineData(1, 3, 5, 2 * Attention.KeyBlock + 44, 8, 12)]       // three key blocks, Dv ≠ D
    [InlineData(1, 1, 1, 1, 3, 3)]
    public void MatchesMaterialisedSoftmaxAttention(int b, int h, int lq, int lk, int d, int dv)
    {
        using var q = Random(80, [b, h, lq, d], -1.5f, 1.5f);
        using var k = Random(81, [b, h, lk, d], -1.5f, 1.5f);
        using var v = Random(82, [b, h, lk, dv]);
        using var y = Ops.ScaledDotProductAttention(q, k, v);
        Assert.Equal(new[] { b, h, lq, dv }, y.Shape.ToArray());
        TensorAssert.Close(Reference(q, k, v, null, false, 1 / Math.Sqrt(d)), y.ToArray(), 2e-6, 2e-5, "attention");
        using var scaled = Ops.ScaledDotProductAttention(q, k, v, scale: 0.3f);
        TensorAssert.Close(Reference(q, k, v, null, false, 0.3), scaled.ToArray(), 2e-6, 2e-5, "explicit scale");
    }

    [Fact]
    public void ClipStyleCausalAndPaddingMask()
    {
        // CLIP: causal mask plus an additive key-padding mask [B, 1, 1, 77] (finfo.min on padding, as transformers).
        int b = 2, h = 4, l = 77, d = 16;
        using var q = Random(83, [b, h, l, d]);
        using var k = Random(84, [b, h, l, d]);
        using var v = Random(85, [b, h, l, d]);
        var pad = new float[b * l];
        for (int j = 9; j < l; j++) pad[j] = float.MinValue;          // first prompt: 9 real tokens
        for (int j = 40; j < l; j++) pad[l + j] = float.MinValue;     // second: 40
        using var mask = Tensor.FromArray(pad, b, 1, 1, l);
        using var y = Ops.ScaledDotProductAttention(q, k, v, mask, causal: true);
        TensorAssert.Close(Reference(q, k, v, mask, true, 0.25), y.ToArray(), 2e-6, 2e-5, "causal + padding");
        using var causalOnly = Ops.ScaledDotProductAttention(q, k, v, causal: true);
        TensorAssert.Close(Reference(q, k, v, null, true, 0.25), causalOnly.ToArray(), 2e-6, 2e-5, "causal");
    }

    [Fact]
    public void CausalAcrossQueryAndKeyBlocks()
    {
        // Past the first query block the causal mask skips key blocks beyond the block's last row.
        int l = Attention.QueryBlock + Attention.KeyBlock + 3, d = 8;
        using var q = Random(86, [1, 1, l, d]);
        using var k = Random(87, [1, 1, l, d]);
        using var v = Random(88, [1, 1, l, d]);
        using var y = Ops.ScaledDotProductAttention(q, k, v, causal: true);
        TensorAssert.Close(Reference(q, k, v, null, true, 1 / Math.Sqrt(d)), y.ToArray(), 2e-6, 2e-5, "causal, several blocks");
    }

    [Fact]
    public void FullMaskWithStridedLastDimAndBroadcastDims()
    {
        using var q = Random(86, [2, 3, 20, 8]);
        using var k = Random(87, [2, 3, 33, 8]);
        using var v = Random(88, [2, 3, 33, 8]);
        var mask = RandomStrided(89, [2, 1, 20, 33], -4f, 1f);   // last dim strided: gathered
        using var y = Ops.ScaledDotProductAttention(q, k, v, mask);
        TensorAssert.Close(Reference(q, k, v, mask, false, 1 / Math.Sqrt(8)), y.ToArray(), 2e-6, 2e-5, "mask");
    }

    [Fact]
    public void HeadViewsOfProjectionsNeedNoCopies()
    {
        int b = 2, lq = 70, lk = 90, heads = 3, d = 8;
        using var q = Random(90, [b, lq, heads * d]);
        using var k = Random(91, [b, lk, heads * d]);
        using var v = Random(92, [b, lk, heads * d]);
        Tensor Split(Tensor t) => t.Reshape(b, t.Shape[1], heads, d).Permute(0, 2, 1, 3);
        using var viaViews = Ops.ScaledDotProductAttention(Split(q), Split(k), Split(v));
        var expected = Reference(Split(q), Split(k), Split(v), null, false, 1 / Math.Sqrt(d));
        TensorAssert.Close(expected, viaViews.ToArray(), 2e-6, 2e-5, "head views");
        using var merged = Ops.ScaledDotProductAttention(q, k, v, heads);
        Assert.Equal(new[] { b, lq, heads * d }, merged.Shape.ToArray());
        using var expectedTensor = Tensor.FromArray(expected, b, heads, lq, d);
        TensorAssert.Close(expectedTensor.Permute(0, 2, 1, 3).ToArray(), merged.ToArray(), 2e-6, 2e-5, "merged heads");
    }

    [Fact]
    public void FullyMaskedRowsAreNaNAndBadShapesAreNamed()
    {
        using var q = Random(93, [1, 1, 2, 4]);
        using var k = Random(94, [1, 1, 3, 4]);
        using var v = Random(95, [1, 1, 3, 4]);
        float ninf = float.NegativeInfinity;
        using var mask = Tensor.FromArray([ninf, ninf, ninf, 0f, ninf, 0f], 1, 1, 2, 3);
        var y = Ops.ScaledDotProductAttention(q, k, v, mask).ToArray();
        Assert.All(y[..4], x => Assert.True(float.IsNaN(x)));
        Assert.All(y[4..], x => Assert.True(float.IsFinite(x)));
        using var wrong = Tensor.Zeros(1, 1, 3, 5);
        Assert.Contains("ScaledDotProductAttention", Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, wrong, v)).Message);
        using var badMask = Tensor.Zeros(3, 3);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k, v, badMask)).Message);
    }
}
