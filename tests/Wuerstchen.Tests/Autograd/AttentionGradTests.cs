using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of scaled dot-product attention (masks, causal, head views) vs float64 finite differences.</summary>
public class AttentionGradTests
{
    /// <summary>q [B,H,Lq,D], k [B,H,Lk,D], v [B,H,Lk,Dv]; mask (broadcast) given as values over [B,H,Lq,Lk] via <paramref name="maskAt"/>.</summary>
    internal static Reference64 SdpaRef(int b, int h, int lq, int lk, int d, int dv, double scale, bool causal, Func<int, int, int, int, double>? maskAt) => x =>
    {
        var y = new double[b * h * lq * dv];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
            {
                int bh = bi * h + hi;
                for (int i = 0; i < lq; i++)
                {
                    var s = new double[lk];
                    for (int j = 0; j < lk; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += x[0][(bh * lq + i) * d + c] * x[1][(bh * lk + j) * d + c];
                        s[j] = dot * scale + (maskAt?.Invoke(bi, hi, i, j) ?? 0);
                        if (causal && j > i) s[j] = double.NegativeInfinity;
                    }
                    double m = s.Max(), z = s.Sum(t => Math.Exp(t - m));
                    for (int c = 0; c < dv; c++)
                    {
                        double o = 0;
                        for (int j = 0; j < lk; j++) o += Math.Exp(s[j] - m) / z * x[2][(bh * lk + j) * dv + c];
                        y[(bh * lq + i) * dv + c] = o;
                    }
                }
            }
        return y;
    };

    [Fact]
    public void SelfAndCrossAttentionDefaultScale()
    {
        var rng = new System.Random(60);
        var q = Leaf(rng, [2, 2, 3, 4]);
        var k = Leaf(rng, [2, 2, 5, 4]);
        var v = Leaf(rng, [2, 2, 5, 3]);
        var reference = SdpaRef(2, 2, 3, 5, 4, 3, 1 / Math.Sqrt(4), false, null);
        Check("SDPA", [q, k, v], t =>
        {
            var y = Rounded(reference, t, 2, 2, 3, 3);
            Recorder.ScaledDotProductAttention(y, t[0], t[1], t[2], null, false, null);
            return y;
        }, reference);
    }

    [Fact]
    public void BroadcastMaskWithMinusInfinityAndExplicitScale()
    {
        var rng = new System.Random(61);
        var q = Leaf(rng, [1, 2, 3, 4]);
        var k = Leaf(rng, [1, 2, 4, 4]);
        var v = Leaf(rng, [1, 2, 4, 4]);
        // A padding mask [B, 1, 1, Lk]: the last key is masked out, another gets a bias.
        using var mask = Tensor.FromArray([0f, 0.5f, 0f, float.NegativeInfinity], 1, 1, 1, 4);
        var m = mask.ToArray();
        var reference = SdpaRef(1, 2, 3, 4, 4, 4, 0.3, false, (_, _, _, j) => m[j]);
        Check("SDPA masked", [q, k, v], t =>
        {
            var y = Rounded(reference, t, 1, 2, 3, 4);
            Recorder.ScaledDotProductAttention(y, t[0], t[1], t[2], mask, false, 0.3f);
            return y;
        }, reference);
    }

    [Fact]
    public void CausalWithHeadsSplitByPermute()
    {
        var rng = new System.Random(62);
        // [B, L, H·D] → reshape [B, L, H, D] → permute [B, H, L, D]: strided head views, as the models split heads.
        using var qb = Leaf(rng, [1, 4, 6], requiresGrad: false);
        using var kb = Leaf(rng, [1, 4, 6], requiresGrad: false);
        using var vb = Leaf(rng, [1, 4, 6], requiresGrad: false);
        Tensor Heads(Tensor t) { var h = t.Reshape(1, 4, 2, 3).Permute(0, 2, 1, 3); h.RequiresGrad = true; return h; }
        var reference = SdpaRef(1, 2, 4, 4, 3, 3, 1 / Math.Sqrt(3), true, null);
        Check("SDPA causal strided", [Heads(qb), Heads(kb), Heads(vb)], t =>
        {
            var y = Rounded(reference, t, 1, 2, 4, 3);
            Recorder.ScaledDotProductAttention(y, t[0], t[1], t[2], null, true, null);
            return y;
        }, reference);
    }

    [Fact]
    public void OnlyKeysAndValuesRequireGrad()
    {
        var rng = new System.Random(63);
        var q = Leaf(rng, [1, 1, 2, 3], requiresGrad: false);
        var k = Leaf(rng, [1, 1, 3, 3]);
        var v = Leaf(rng, [1, 1, 3, 2]);
        var reference = SdpaRef(1, 1, 2, 3, 3, 2, 1 / Math.Sqrt(3), false, null);
        Check("SDPA k,v only", [q, k, v], t =>
        {
            var y = Rounded(reference, t, 1, 1, 2, 2);
            Recorder.ScaledDotProductAttention(y, t[0], t[1], t[2], null, false, null);
            return y;
        }, reference);
    }
}

/// <summary>The merged-heads attention layout [B, L, H·D].</summary>
public class MergedHeadsAttentionGradTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void MergedHeadsLayout(int heads)
    {
        var rng = new System.Random(64 + heads);
        int b = 2, lq = 3, lk = 4, d = 2, dv = 3;
        var q = Leaf(rng, [b, lq, heads * d]);
        var k = Leaf(rng, [b, lk, heads * d]);
        var v = Leaf(rng, [b, lk, heads * dv]);
        using var mask = Tensor.FromArray([0f, -1f, 0.5f, float.NegativeInfinity], 1, 1, 1, 4);
        var m = mask.ToArray();
        double scale = 1 / Math.Sqrt(d);
        Reference64 reference = x =>
        {
            var y = new double[b * lq * heads * dv];
            for (int bi = 0; bi < b; bi++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < lq; i++)
                    {
                        var s = new double[lk];
                        for (int j = 0; j < lk; j++)
                        {
                            double dot = 0;
                            for (int c = 0; c < d; c++) dot += x[0][(bi * lq + i) * heads * d + h * d + c] * x[1][(bi * lk + j) * heads * d + h * d + c];
                            s[j] = dot * scale + m[j];
                        }
                        double mx = s.Max(), z = s.Sum(t => Math.Exp(t - mx));
                        for (int c = 0; c < dv; c++)
                        {
                            double o = 0;
                            for (int j = 0; j < lk; j++) o += Math.Exp(s[j] - mx) / z * x[2][(bi * lk + j) * heads * dv + h * dv + c];
                            y[(bi * lq + i) * heads * dv + h * dv + c] = o;
                        }
                    }
            return y;
        };
        Check($"SDPA merged heads={heads}", [q, k, v], t =>
        {
            var y = Rounded(reference, t, b, lq, heads * dv);
            Recorder.ScaledDotProductAttention(y, t[0], t[1], t[2], heads, mask, false, null);
            return y;
        }, reference);
    }
}
