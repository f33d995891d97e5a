using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Autograd;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Kernels;

public class Conv2dChannelsLastTests
{
    /// <summary>Direct double-precision convolution on channels-last data (torch semantics, zero padding).</summary>
    private static float[] Reference(Tensor x, Tensor w, Tensor? b, int s, int p, out int[] shape)
    {
        int n = x.Shape[0], h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3];
        int o = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1;
        shape = [n, oh, ow, o];
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b?.ToArray();
        var y = new float[n * oh * ow * o];
        for (int ni = 0; ni < n; ni++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int oi = 0; oi < o; oi++)
                    {
                        double acc = bv?[oi] ?? 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = oy * s - p + ky, ix = ox * s - p + kx;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    acc += (double)wv[((oi * c + ci) * kh + ky) * kw + kx] * xv[((ni * h + iy) * wd + ix) * c + ci];
                                }
                        y[((ni * oh + oy) * ow + ox) * o + oi] = (float)acc;
                    }
        return y;
    }

    public static TheoryData<int[], int[], int, int> Cases => new()
    {
        // input [n, h, w, c], weight [o, c, kh, kw], stride, padding
        { [1, 10, 8, 4], [6, 4, 4, 4], 2, 1 },      // Stage A's 4×4 stride-2 downsampler
        { [2, 9, 11, 5], [3, 5, 3, 3], 1, 1 },      // 3×3, batch 2
        { [1, 6, 5, 3], [2, 3, 3, 2], 1, 0 },       // non-square kernel, no padding
        { [1, 4, 4, 2], [3, 2, 1, 1], 2, 1 },       // 1×1 with stride and padding (taps in the padding only)
        { [1, 70, 66, 3], [4, 3, 3, 3], 1, 1 },     // more pixels than one im2col work item
    };

    [Theory, MemberData(nameof(Cases))]
    public void MatchesDirectDoubleConvolution(int[] xs, int[] ws, int stride, int pad)
    {
        using var x = Random(80, xs);
        using var w = Random(81, ws);
        using var b = Random(82, [ws[0]]);
        foreach (var bias in new[] { b, null })
        {
            using var y = Ops.Conv2dChannelsLast(x, w, bias, stride, pad);
            var expected = Reference(x, w, bias, stride, pad, out var shape);
            Assert.Equal(shape, y.Shape.ToArray());
            TensorAssert.Close(expected, y.ToArray(), 2e-5, 2e-5, bias == null ? "no bias" : "bias");
        }
    }

    [Fact]
    public void AgreesWithTheNchwRouteAndStrideViews()
    {
        // A permuted (non-contiguous) view as input, compared with ToChannelsLast(Conv2d(NCHW)).
        using var nchw = Random(83, [2, 6, 12, 10]);
        using var view = nchw.Permute(0, 2, 3, 1);
        using var w = Random(84, [5, 6, 4, 4]);
        using var b = Random(85, [5]);
        using var y = Ops.Conv2dChannelsLast(view, w, b, stride: 2, padding: 1);
        using var viaNchw = Ops.Conv2d(nchw, w, b, stride: (2, 2), padding: (1, 1));
        using var expected = Ops.ToChannelsLast(viaNchw);
        TensorAssert.Close(expected, y, 2e-5, 2e-5);
    }

    [Fact]
    public void GradientsFlowUnderATape()
    {
        var rng = new System.Random(7);
        var x = GradCheck.Leaf(rng, [1, 6, 6, 3]);
        var w = GradCheck.Leaf(rng, [4, 3, 4, 4]);
        var b = GradCheck.Leaf(rng, [4]);
        float[] gx, gw, gb;
        using (var tape = Tape.Record())
        {
            var y = Ops.Conv2dChannelsLast(x, w, b, stride: 2, padding: 1);
            var loss = Ops.Sum(y, [0, 1, 2, 3]);
            tape.Backward(loss);
            (gx, gw, gb) = (x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());
        }
        // The same loss through the NCHW convolution.
        foreach (var t in new[] { x, w, b }) t.Grad = null;
        using (var tape = Tape.Record())
        {
            var nchw = Ops.ToChannelsFirst(x);
            var y = Ops.Conv2d(nchw, w, b, stride: (2, 2), padding: (1, 1));
            var loss = Ops.Sum(y, [0, 1, 2, 3]);
            tape.Backward(loss);
        }
        TensorAssert.Close(x.Grad!.ToArray(), gx, 1e-5, 1e-5, "dx");
        TensorAssert.Close(w.Grad!.ToArray(), gw, 1e-5, 1e-5, "dw");
        TensorAssert.Close(b.Grad!.ToArray(), gb, 1e-5, 1e-5, "db");
    }
}
