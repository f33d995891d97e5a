using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsNormTests
{
    private static float[] LayerNormReference(float[] x, int n, float[]? w, float[]? b, double eps)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) mean += x[r * n + i];
            mean /= n;
            for (int i = 0; i < n; i++) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
            var /= n;
            for (int i = 0; i < n; i++)
                y[r * n + i] = (float)((x[r * n + i] - mean) / Math.Sqrt(var + eps) * (w?[i] ?? 1) + (b?[i] ?? 0));
        }
        return y;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 7)]
    [InlineData(3, 33)]
    [InlineData(77, 24)]
    [InlineData(40, 1537)]
    public void LayerNormMatchesDoubleReferenceWithAndWithoutAffine(int rows, int n)
    {
        // A large common offset: a single-pass float variance would lose the spread.
        using var x = Random(30 + n, [rows, n], 97f, 103f);
        using var w = Random(31, [n]);
        using var b = Random(32, [n]);
        var xv = x.ToArray();
        using (var y = Ops.LayerNorm(x, w, b, 1e-5f))
            TensorAssert.Close(LayerNormReference(xv, n, w.ToArray(), b.ToArray(), 1e-5), y.ToArray(), 3e-6, 3e-6, "affine");
        using (var y = Ops.LayerNorm(x, null, null, 1e-6f))
            TensorAssert.Close(LayerNormReference(xv, n, null, null, 1e-6), y.ToArray(), 3e-6, 3e-6, "plain");
        using (var y = Ops.LayerNorm(x, w, null, 1e-6f))
            TensorAssert.Close(LayerNormReference(xv, n, w.ToArray(), null, 1e-6), y.ToArray(), 3e-6, 3e-6, "weight only");
    }

    [Fact]
    public void LayerNormAcceptsStridedInputAndRejectsWrongWeights()
    {
        var x = RandomStrided(33, [6, 10]);
        using var y = Ops.LayerNorm(x, null, null, 1e-6f);
        TensorAssert.Close(LayerNormReference(x.ToArray(), 10, null, null, 1e-6), y.ToArray(), 1e-5, 1e-5, "strided");
        using var w = Tensor.Zeros(9);
        var e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, w, null, 1e-6f));
        Assert.Contains("LayerNorm", e.Message);
        Assert.Contains("weight", e.Message);
    }

    [Theory]
    [InlineData(2, 8, 3, 6)]
    [InlineData(1, 33, 23, 29)]   // more than one 512-pixel strip, odd channel count
    public void LayerNorm2dNormalisesEveryPixelOverChannels(int b, int c, int h, int w)
    {
        var x = RandomStrided(34, [b, c, h, w], -2f, 6f);
        using var y = Ops.LayerNorm2d(x, 1e-6f);
        // Reference through the channels-last LayerNorm, as diffusers' WuerstchenLayerNorm computes it.
        var cl = x.Permute(0, 2, 3, 1).ToArray();
        var refCl = LayerNormReference(cl, c, null, null, 1e-6);
        using var refT = Tensor.FromArray(refCl, b, h, w, c);
        TensorAssert.Close(refT.Permute(0, 3, 1, 2).ToArray(), y.ToArray(), 2e-6, 2e-6, "LayerNorm2d");
    }

    [Theory]
    [InlineData(2, 3, 5, 24)]
    [InlineData(1, 17, 13, 300)]  // several 128-channel strips and a tail
    public void GlobalResponseNormMatchesTheConvNeXtV2Formula(int b, int h, int w, int d)
    {
        using var x = Random(35, [b, h, w, d]);
        using var gamma = Random(36, [1, 1, 1, d]);
        using var beta = Random(37, [1, 1, 1, d]);
        using var y = Ops.GlobalResponseNorm(x, gamma, beta);
        var xv = x.ToArray(); var g = gamma.ToArray(); var be = beta.ToArray();
        var expected = new float[xv.Length];
        for (int bi = 0; bi < b; bi++)
        {
            var gx = new double[d];
            for (int p = 0; p < h * w; p++)
                for (int c = 0; c < d; c++) { double v = xv[(bi * h * w + p) * d + c]; gx[c] += v * v; }
            for (int c = 0; c < d; c++) gx[c] = Math.Sqrt(gx[c]);
            double mean = gx.Average();
            for (int p = 0; p < h * w; p++)
                for (int c = 0; c < d; c++)
                {
                    int i = (bi * h * w + p) * d + c;
                    expected[i] = (float)(g[c] * (xv[i] * (gx[c] / (mean + 1e-6))) + be[c] + xv[i]);
                }
        }
        TensorAssert.Close(expected, y.ToArray(), 1e-5, 1e-5, "GRN");

        // In place (inference): bit for bit the same values, written over x.
        Ops.GlobalResponseNormInPlace(x, gamma, beta);
        Assert.Equal(y.ToArray(), x.ToArray());
        x.RequiresGrad = true;
        using (Wuerstchen.Autograd.Tape.Record())
            Assert.Throws<InvalidOperationException>(() => Ops.GlobalResponseNormInPlace(x, gamma, beta));
    }

    [Fact]
    public void BatchNorm2dUsesRunningStatistics()
    {
        var x = RandomStrided(38, [2, 5, 4, 7]);
        using var mean = Random(39, [5]);
        using var var = Random(40, [5], 0.1f, 2f);
        using var w = Random(41, [5]);
        using var bias = Random(42, [5]);
        using var y = Ops.BatchNorm2d(x, mean, var, w, bias, 1e-5f);
        using var plain = Ops.BatchNorm2d(x, mean, var, null, null, 1e-5f);
        var xv = x.ToArray(); var m = mean.ToArray(); var v = var.ToArray(); var wv = w.ToArray(); var bv = bias.ToArray();
        var expected = new float[xv.Length];
        var expectedPlain = new float[xv.Length];
        for (int i = 0; i < xv.Length; i++)
        {
            int c = i / 28 % 5;
            double z = (xv[i] - m[c]) / Math.Sqrt(v[c] + 1e-5);
            expected[i] = (float)(z * wv[c] + bv[c]);
            expectedPlain[i] = (float)z;
        }
        TensorAssert.Close(expected, y.ToArray(), 1e-5, 1e-5, "affine");
        TensorAssert.Close(expectedPlain, plain.ToArray(), 1e-5, 1e-5, "plain");
    }
}
