using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Kernels;

public class DepthwiseConvTests
{
    /// <summary>Direct double-precision depthwise convolution on channels-last data, zero or replicate padding.</summary>
    private static float[] Reference(Tensor x, Tensor w, Tensor? b, int p, bool replicate)
    {
        int n = x.Shape[0], h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3], k = w.Shape[2];
        int oh = h + 2 * p - k + 1, ow = wd + 2 * p - k + 1;
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b?.ToArray();
        var y = new float[n * oh * ow * c];
        for (int ni = 0; ni < n; ni++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ci = 0; ci < c; ci++)
                    {
                        double acc = bv?[ci] ?? 0;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int iy = oy - p + ky, ix = ox - p + kx;
                                if (replicate) { iy = Math.Clamp(iy, 0, h - 1); ix = Math.Clamp(ix, 0, wd - 1); }
                                else if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                acc += (double)wv[(ci * k + ky) * k + kx] * xv[((ni * h + iy) * wd + ix) * c + ci];
                            }
                        y[((ni * oh + oy) * ow + ox) * c + ci] = (float)acc;
                    }
        return y;
    }

    [Theory]
    [InlineData(2, 7, 13, 37, 3, 1)]     // 3×3: register-blocked interior (two 16-lane registers + a 5-channel tail), edges
    [InlineData(1, 5, 21, 48, 3, 1)]     // interior longer than one pixel block
    [InlineData(1, 6, 6, 40, 3, 0)]      // no padding: every pixel is interior
    [InlineData(1, 3, 3, 20, 3, 1)]      // a single interior pixel
    [InlineData(1, 8, 9, 24, 5, 2)]      // 5×5 takes the general path
    public void ChannelsLastMatchesDirectDoubleConvolution(int n, int h, int w, int c, int k, int pad)
    {
        using var x = Random(90, [n, h, w, c]);
        using var weight = Random(91, [c, 1, k, k]);
        using var bias = Random(92, [c]);
        foreach (bool replicate in new[] { false, true })
            foreach (var b in new[] { bias, null })
            {
                using var y = Ops.DepthwiseConv2dChannelsLast(x, weight, b, pad, replicate ? PadMode.Replicate : PadMode.Zeros);
                TensorAssert.Close(Reference(x, weight, b, pad, replicate), y.ToArray(), 2e-5, 2e-5,
                    $"{(replicate ? "replicate" : "zeros")}, {(b == null ? "no bias" : "bias")}");
            }
    }
}
