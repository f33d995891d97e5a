using Wuerstchen.Autograd;
using Wuerstchen.Autograd.Backward;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>
/// Backward of F.interpolate. The per-axis weights are pinned to torch's through interpolation.safetensors
/// (antialiased bicubic, align_corners, the effnet resize) and, for the other modes, through independent
/// per-pixel double references of torch's formulas; the gradient is then checked by finite differences.
/// </summary>
public class ResizeGradTests
{
    [Fact]
    public void AntialiasedBicubicWeightsMatchTorch()
    {
        using var file = SafeTensorsFile.Open(Reference.Vectors("interpolation.safetensors"));
        for (int c = 0; c < 6; c++)
        {
            using var input = file.ReadTensor($"case{c}.input");
            using var expectedH = file.ReadTensor($"case{c}.weights_h");
            using var expectedW = file.ReadTensor($"case{c}.weights_w");
            using var outputF64 = file.ReadTensor($"case{c}.output_f64");
            int oh = expectedH.Shape[0], ow = expectedW.Shape[0], ih = input.Shape[2], iw = input.Shape[3];
            var rows = ResizeAxis.For(ih, oh, InterpolationMode.Bicubic, alignCorners: true, antialias: true);
            var cols = ResizeAxis.For(iw, ow, InterpolationMode.Bicubic, alignCorners: true, antialias: true);
            TensorAssert.Close(expectedH.ToArray(), Flatten(rows.ToMatrix()), 1e-7, 1e-6, $"case{c} weights_h");
            TensorAssert.Close(expectedW.ToArray(), Flatten(cols.ToMatrix()), 1e-7, 1e-6, $"case{c} weights_w");
            // And the map itself: W_h·X·W_wᵀ in double reproduces torch's float64 output (stored as F32).
            var x = input.ToArray().Select(v => (double)v).ToArray();
            var y = Apply(rows, cols, x, (int)(input.Numel / (ih * iw)));
            TensorAssert.Close(outputF64.ToArray(), y.Select(v => (float)v).ToArray(), 1e-6, 1e-6, $"case{c} output");
        }
    }

    private static float[] Flatten(double[,] m) => m.Cast<double>().Select(v => (float)v).ToArray();

    private static double[] Apply(ResizeAxis rows, ResizeAxis cols, double[] x, int planes)
    {
        int ih = rows.InSize, iw = cols.InSize, oh = rows.OutSize, ow = cols.OutSize;
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double s = 0;
                    for (int a = 0; a < rows.Index[i].Length; a++)
                        for (int b = 0; b < cols.Index[j].Length; b++)
                            s += rows.Weight[i][a] * cols.Weight[j][b] * x[(p * ih + rows.Index[i][a]) * iw + cols.Index[j][b]];
                    y[(p * oh + i) * ow + j] = s;
                }
        return y;
    }

    // ------------------------------------------------------------------ independent per-axis references (torch's formulas)

    /// <summary>Per output index: (source index, weight) taps, written directly from torch's upsample kernels.</summary>
    private static List<(int, double)>[] Taps(int n, int m, InterpolationMode mode, bool align, bool aa)
    {
        var taps = new List<(int, double)>[m];
        for (int i = 0; i < m; i++) taps[i] = [];
        if (mode == InterpolationMode.Nearest)
        {
            float s = n / (float)m;
            for (int i = 0; i < m; i++) taps[i].Add((Math.Min((int)MathF.Floor(i * s), n - 1), 1));
            return taps;
        }
        float scale = align ? (m > 1 ? (n - 1) / (float)(m - 1) : 0) : n / (float)m;
        if (aa)
        {
            double sc = scale, support = (mode == InterpolationMode.Bicubic ? 2 : 1) * Math.Max(sc, 1);
            for (int i = 0; i < m; i++)
            {
                double center = sc * (i + 0.5);
                var raw = new List<(int, double)>();
                for (int j = 0; j < n; j++)
                {
                    if (j < Math.Max((int)(center - support + 0.5), 0) || j >= Math.Min((int)(center + support + 0.5), n)) continue;
                    double t = Math.Abs((j - center + 0.5) / Math.Max(sc, 1));
                    double w = mode == InterpolationMode.Bilinear ? Math.Max(0, 1 - t)
                        : t < 1 ? 1.5 * t * t * t - 2.5 * t * t + 1 : t < 2 ? -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2 : 0;
                    raw.Add((j, w));
                }
                double total = raw.Sum(r => r.Item2);
                foreach (var (j, w) in raw) taps[i].Add((j, w / total));
            }
            return taps;
        }
        for (int i = 0; i < m; i++)
        {
            float src = align ? scale * i : scale * (i + 0.5f) - 0.5f;
            if (mode == InterpolationMode.Bilinear)
            {
                if (src < 0) src = 0;
                int i0 = (int)src;
                double l = src - i0;
                taps[i].Add((i0, 1 - l));
                taps[i].Add((Math.Min(i0 + 1, n - 1), l));
            }
            else
            {
                int f = (int)MathF.Floor(src);
                double t = src - f;
                const double A = -0.75;
                double K(double x) { x = Math.Abs(x); return x <= 1 ? (A + 2) * x * x * x - (A + 3) * x * x + 1 : x < 2 ? A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A : 0; }
                for (int k = -1; k <= 2; k++) taps[i].Add((Math.Clamp(f + k, 0, n - 1), K(t - k)));
            }
        }
        return taps;
    }

    public static TheoryData<InterpolationMode, bool, bool, int, int, int, int> Modes => new()
    {
        { InterpolationMode.Nearest, false, false, 3, 5, 7, 2 },
        { InterpolationMode.Bilinear, false, false, 3, 5, 7, 2 },
        { InterpolationMode.Bilinear, true, false, 4, 3, 7, 5 },
        { InterpolationMode.Bicubic, false, false, 4, 3, 6, 5 },
        { InterpolationMode.Bicubic, true, false, 3, 4, 5, 7 },
        { InterpolationMode.Bilinear, false, true, 7, 6, 3, 4 },
        { InterpolationMode.Bicubic, true, true, 6, 9, 4, 5 },
    };

    [Theory, MemberData(nameof(Modes))]
    public void InterpolateGradient(InterpolationMode mode, bool align, bool aa, int ih, int iw, int oh, int ow)
    {
        var rng = new System.Random(ih * 10 + iw);
        var x = Leaf(rng, [2, 2, ih, iw]);
        var rt = Taps(ih, oh, mode, align, aa);
        var ct = Taps(iw, ow, mode, align, aa);
        Reference64 reference = v =>
        {
            var y = new double[4 * oh * ow];
            for (int p = 0; p < 4; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        foreach (var (a, wa) in rt[i])
                            foreach (var (b, wb) in ct[j])
                                y[(p * oh + i) * ow + j] += wa * wb * v[0][(p * ih + a) * iw + b];
            return y;
        };
        Check($"Interpolate {mode} align={align} aa={aa}", [x], t =>
        {
            var y = Rounded(reference, t, 2, 2, oh, ow);
            Recorder.Interpolate(y, t[0], oh, ow, mode, align, aa);
            return y;
        }, reference);
    }
}
