using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsResizeTests
{
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)]
    public void AntialiasedBicubicMatchesTorchOnTheReferenceCases(int k)
    {
        using var file = SafeTensorsFile.Open(Reference.Vectors("interpolation.safetensors"));
        using var input = file.ReadTensor($"case{k}.input");
        using var expected = file.ReadTensor($"case{k}.output");
        using var expected64 = file.ReadTensor($"case{k}.output_f64");
        using var y = Ops.Interpolate(input, expected.Shape[2], expected.Shape[3], InterpolationMode.Bicubic, alignCorners: true, antialias: true);
        TensorAssert.Close(expected, y, 1e-5, 1e-5, $"case{k} vs torch float32");
        TensorAssert.Close(expected64, y, 1e-5, 1e-5, $"case{k} vs torch float64");
        // The separable weights themselves, against the reference resampling matrices.
        using var wh = file.ReadTensor($"case{k}.weights_h");
        using var ww = file.ReadTensor($"case{k}.weights_w");
        AssertAxisMatches(ResampleAxis.Create(input.Shape[2], expected.Shape[2], ResizeFilter.Cubic, true, true), wh);
        AssertAxisMatches(ResampleAxis.Create(input.Shape[3], expected.Shape[3], ResizeFilter.Cubic, true, true), ww);
    }

    private static void AssertAxisMatches(ResampleAxis axis, Tensor matrix)
    {
        var dense = new float[axis.OutSize * axis.InSize];
        for (int i = 0; i < axis.OutSize; i++)
            for (int t = 0; t < axis.Count[i]; t++)
                dense[i * axis.InSize + axis.Index[i * axis.Taps + t]] += axis.Weight[i * axis.Taps + t];
        TensorAssert.Close(matrix.ToArray(), dense, 1e-6, 1e-6, $"resampling matrix {axis.InSize}→{axis.OutSize}");
    }

    [Fact]
    public void EffnetResizeOfTheDecoderMatchesTorch()
    {
        using var file = SafeTensorsFile.Open(Reference.Vectors("decoder.safetensors"));
        using var effnet = file.ReadTensor("effnet");
        for (int level = 0; level < 4; level++)
        {
            using var expected = file.ReadTensor($"effnet_interp.level{level}");
            using var y = Ops.Interpolate(effnet, expected.Shape[2], expected.Shape[3], InterpolationMode.Bicubic, alignCorners: true, antialias: true);
            TensorAssert.Close(expected, y, 1e-5, 1e-5, $"effnet_interp.level{level}");
        }
    }

    [Fact]
    public void SmallKnownTorchResults()
    {
        using var x = Tensor.FromArray([1f, 2f], 1, 1, 1, 2);
        Assert.Equal([1f, 1.25f, 1.75f, 2f], Ops.Interpolate(x, 1, 4, InterpolationMode.Bilinear).ToArray());
        TensorAssert.Close([1f, 4f / 3, 5f / 3, 2f], Ops.Interpolate(x, 1, 4, InterpolationMode.Bilinear, alignCorners: true).ToArray(), 2.5e-7, 0);
        Assert.Equal([1f, 1f, 2f, 2f], Ops.Interpolate(x, 1, 4, InterpolationMode.Nearest).ToArray());
        using var three = Tensor.FromArray([1f, 2f, 3f], 1, 1, 1, 3);
        Assert.Equal([1f, 2f], Ops.Interpolate(three, 1, 2, InterpolationMode.Nearest).ToArray());
        Assert.Equal([1f, 3f], Ops.Interpolate(three, 1, 2, InterpolationMode.NearestExact).ToArray());
    }

    // ---------------------------------------------------------------- a direct double model of torch's formulas

    private static double[,] ReferenceMatrix(int n, int m, InterpolationMode mode, bool alignCorners, bool antialias)
    {
        var w = new double[m, n];
        if (n == m) { for (int i = 0; i < m; i++) w[i, i] = 1; return w; }
        double scale = alignCorners ? (m > 1 ? (n - 1.0) / (m - 1) : 0) : (double)n / m;
        for (int i = 0; i < m; i++)
        {
            if (antialias)
            {
                bool cubic = mode == InterpolationMode.Bicubic;
                double support = (cubic ? 2.0 : 1.0) * (scale >= 1 ? scale : 1);
                double inv = scale >= 1 ? 1 / scale : 1;
                double center = scale * (i + 0.5);
                int lo = Math.Max((int)(center - support + 0.5), 0), hi = Math.Min((int)(center + support + 0.5), n);
                double total = 0;
                for (int j = lo; j < hi; j++)
                {
                    double t = Math.Abs((j - center + 0.5) * inv);
                    double v = cubic ? (t < 1 ? (1.5 * t - 2.5) * t * t + 1 : t < 2 ? -0.5 * (((t - 5) * t + 8) * t - 4) : 0) : Math.Max(0, 1 - t);
                    w[i, j] = v;
                    total += v;
                }
                for (int j = lo; j < hi; j++) w[i, j] /= total;
                continue;
            }
            switch (mode)
            {
                case InterpolationMode.Nearest:
                    w[i, Math.Min((int)Math.Floor(i * (double)n / m), n - 1)] = 1;
                    break;
                case InterpolationMode.NearestExact:
                    w[i, Math.Min((int)Math.Floor((i + 0.5) * n / m), n - 1)] = 1;
                    break;
                case InterpolationMode.Bilinear:
                {
                    double src = alignCorners ? scale * i : Math.Max(scale * (i + 0.5) - 0.5, 0);
                    int i0 = Math.Min((int)src, n - 1), i1 = Math.Min(i0 + 1, n - 1);
                    double l1 = src - i0;
                    w[i, i0] += 1 - l1;
                    w[i, i1] += l1;
                    break;
                }
                default:
                {
                    const double a = -0.75;
                    double src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
                    int f = (int)Math.Floor(src);
                    double t = src - f;
                    for (int j = -1; j <= 2; j++)
                    {
                        double d = Math.Abs(t - j);
                        double v = d < 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : d < 2 ? a * (((d - 5) * d + 8) * d - 4) : 0;
                        w[i, Math.Clamp(f + j, 0, n - 1)] += v;
                    }
                    break;
                }
            }
        }
        return w;
    }

    public static TheoryData<InterpolationMode, bool, bool> Modes => new()
    {
        { InterpolationMode.Nearest, false, false },
        { InterpolationMode.NearestExact, false, false },
        { InterpolationMode.Bilinear, false, false },
        { InterpolationMode.Bilinear, true, false },
        { InterpolationMode.Bilinear, false, true },
        { InterpolationMode.Bilinear, true, true },
        { InterpolationMode.Bicubic, false, false },
        { InterpolationMode.Bicubic, true, false },
        { InterpolationMode.Bicubic, false, true },
        { InterpolationMode.Bicubic, true, true },
    };

    [Theory, MemberData(nameof(Modes))]
    public void EveryModeMatchesADirectModelOfTorchsFormulas(InterpolationMode mode, bool alignCorners, bool antialias)
    {
        var x = RandomStrided(100, [2, 3, 11, 17]);
        var xv = x.ToArray();
        foreach (var (oh, ow) in new[] { (24, 40), (5, 7), (11, 9), (1, 1), (33, 17) })
        {
            using var y = Ops.Interpolate(x, oh, ow, mode, alignCorners, antialias);
            var wh = ReferenceMatrix(11, oh, mode, alignCorners, antialias);
            var ww = ReferenceMatrix(17, ow, mode, alignCorners, antialias);
            var expected = new float[6 * oh * ow];
            for (int p = 0; p < 6; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = 0;
                        for (int r = 0; r < 11; r++)
                        {
                            if (wh[i, r] == 0) continue;
                            for (int c = 0; c < 17; c++) acc += wh[i, r] * ww[j, c] * xv[(p * 11 + r) * 17 + c];
                        }
                        expected[(p * oh + i) * ow + j] = (float)acc;
                    }
            TensorAssert.Close(expected, y.ToArray(), 2e-5, 2e-5, $"{mode} align={alignCorners} aa={antialias} → {oh}×{ow}");
        }
    }

    [Fact]
    public void InvalidCombinationsAreRejected()
    {
        using var x = Tensor.Zeros(1, 1, 4, 4);
        Assert.Contains("align_corners", Assert.Throws<ArgumentException>(() => Ops.Interpolate(x, 2, 2, InterpolationMode.Nearest, alignCorners: true)).Message);
        Assert.Contains("antialias", Assert.Throws<ArgumentException>(() => Ops.Interpolate(x, 2, 2, InterpolationMode.Nearest, antialias: true)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Interpolate(x, 0, 2, InterpolationMode.Bilinear));
    }
}
