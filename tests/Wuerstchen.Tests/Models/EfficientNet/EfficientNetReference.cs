using Wuerstchen.Models.EfficientNet;

namespace Wuerstchen.Tests.Models.EfficientNet;

/// <summary>
/// A straightforward float64 EfficientNetEncoder in plain loops, written from torchvision's definitions
/// (Conv2dNormActivation, FusedMBConv, MBConv, SqueezeExcitation) and diffusers' mapper, reading weights by
/// state-dict key. Training mode normalises with batch statistics (biased variance) and has no stochastic depth.
/// </summary>
internal sealed class EfficientNetReference(EfficientNetConfig config, IReadOnlyDictionary<string, double[]> weights, bool training)
{
    /// <summary>A tensor in NCHW with its dims.</summary>
    public sealed record Map(double[] Data, int N, int C, int H, int W);

    public Map Forward(Map x)
    {
        x = ConvBnAct("backbone.0", x, 3, 2, 1, true);
        for (int s = 0; s < config.Stages.Count; s++)
        {
            var stage = config.Stages[s];
            for (int j = 0; j < stage.Layers; j++)
                x = stage.Block == EfficientNetBlockType.FusedMBConv ? Fused($"backbone.{s + 1}.{j}", stage, j, x) : MB($"backbone.{s + 1}.{j}", stage, j, x);
        }
        x = ConvBnAct($"backbone.{config.Stages.Count + 1}", x, 1, 1, 1, true);
        x = Conv(x, weights["mapper.0.weight"], null, config.CLatent, 1, 1, 1);
        return BatchNorm("mapper.1", x, EfficientNetConfig.MapperBatchNormEps);
    }

    private Map Fused(string key, EfficientNetStage stage, int j, Map x)
    {
        int inC = j == 0 ? stage.InChannels : stage.OutChannels, stride = j == 0 ? stage.Stride : 1;
        int expanded = EfficientNetStage.MakeDivisible(inC * stage.ExpandRatio, 8);
        Map y = expanded != inC
            ? ConvBnAct($"{key}.block.1", ConvBnAct($"{key}.block.0", x, stage.Kernel, stride, 1, true), 1, 1, 1, false)
            : ConvBnAct($"{key}.block.0", x, stage.Kernel, stride, 1, true);
        return stride == 1 && inC == stage.OutChannels ? Add(y, x) : y;
    }

    private Map MB(string key, EfficientNetStage stage, int j, Map x)
    {
        int inC = j == 0 ? stage.InChannels : stage.OutChannels, stride = j == 0 ? stage.Stride : 1;
        int expanded = EfficientNetStage.MakeDivisible(inC * stage.ExpandRatio, 8);
        int next = 0;
        var h = x;
        if (expanded != inC) h = ConvBnAct($"{key}.block.{next++}", h, 1, 1, 1, true);
        h = ConvBnAct($"{key}.block.{next++}", h, stage.Kernel, stride, expanded, true);
        h = SqueezeExcite($"{key}.block.{next++}", h);
        h = ConvBnAct($"{key}.block.{next}", h, 1, 1, 1, false);
        return stride == 1 && inC == stage.OutChannels ? Add(h, x) : h;
    }

    private Map SqueezeExcite(string key, Map x)
    {
        var w1 = weights[$"{key}.fc1.weight"]; var b1 = weights[$"{key}.fc1.bias"];
        var w2 = weights[$"{key}.fc2.weight"]; var b2 = weights[$"{key}.fc2.bias"];
        int s = b1.Length, plane = x.H * x.W;
        var y = new double[x.Data.Length];
        for (int n = 0; n < x.N; n++)
        {
            var pooled = new double[x.C];
            for (int c = 0; c < x.C; c++)
                for (int p = 0; p < plane; p++) pooled[c] += x.Data[(n * x.C + c) * plane + p] / plane;
            var hidden = new double[s];
            for (int k = 0; k < s; k++)
            {
                double v = b1[k];
                for (int c = 0; c < x.C; c++) v += w1[k * x.C + c] * pooled[c];
                hidden[k] = Silu(v);
            }
            for (int c = 0; c < x.C; c++)
            {
                double v = b2[c];
                for (int k = 0; k < s; k++) v += w2[c * s + k] * hidden[k];
                double gate = 1 / (1 + Math.Exp(-v));
                for (int p = 0; p < plane; p++) y[(n * x.C + c) * plane + p] = x.Data[(n * x.C + c) * plane + p] * gate;
            }
        }
        return x with { Data = y };
    }

    private Map ConvBnAct(string key, Map x, int k, int stride, int groups, bool activation)
    {
        var w = weights[$"{key}.0.weight"];
        int outC = weights[$"{key}.1.weight"].Length;
        var y = BatchNorm($"{key}.1", Conv(x, w, null, outC, k, stride, groups), config.BatchNormEps);
        if (activation) y = y with { Data = y.Data.Select(Silu).ToArray() };
        return y;
    }

    /// <summary>torch conv2d, weight [O, C/groups, k, k], padding (k − 1)/2.</summary>
    public static Map Conv(Map x, double[] w, double[]? bias, int outC, int k, int stride, int groups)
    {
        int pad = (k - 1) / 2;
        int oh = (x.H + 2 * pad - k) / stride + 1, ow = (x.W + 2 * pad - k) / stride + 1;
        int cg = x.C / groups, og = outC / groups;
        var y = new double[x.N * outC * oh * ow];
        for (int n = 0; n < x.N; n++)
            for (int o = 0; o < outC; o++)
            {
                int g = o / og;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = bias?[o] ?? 0;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ky = 0; ky < k; ky++)
                            {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= x.H) continue;
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int ix = ox * stride - pad + kx;
                                    if (ix < 0 || ix >= x.W) continue;
                                    sum += w[((o * cg + ci) * k + ky) * k + kx] * x.Data[((n * x.C + g * cg + ci) * x.H + iy) * x.W + ix];
                                }
                            }
                        y[((n * outC + o) * oh + oy) * ow + ox] = sum;
                    }
            }
        return new Map(y, x.N, outC, oh, ow);
    }

    private Map BatchNorm(string key, Map x, double eps)
    {
        var gamma = weights[$"{key}.weight"]; var beta = weights[$"{key}.bias"];
        int plane = x.H * x.W;
        var y = new double[x.Data.Length];
        for (int c = 0; c < x.C; c++)
        {
            double mean, variance;
            if (training)
            {
                (mean, variance) = BatchStatistics(x, c);
            }
            else
            {
                mean = weights[$"{key}.running_mean"][c];
                variance = weights[$"{key}.running_var"][c];
            }
            double scale = gamma[c] / Math.Sqrt(variance + eps);
            for (int n = 0; n < x.N; n++)
                for (int p = 0; p < plane; p++)
                {
                    int i = (n * x.C + c) * plane + p;
                    y[i] = (x.Data[i] - mean) * scale + beta[c];
                }
        }
        return x with { Data = y };
    }

    /// <summary>Mean and biased variance of channel <paramref name="c"/> over batch and pixels.</summary>
    public static (double Mean, double Variance) BatchStatistics(Map x, int c)
    {
        int plane = x.H * x.W;
        double sum = 0, squares = 0;
        for (int n = 0; n < x.N; n++)
            for (int p = 0; p < plane; p++) sum += x.Data[(n * x.C + c) * plane + p];
        double mean = sum / (x.N * plane);
        for (int n = 0; n < x.N; n++)
            for (int p = 0; p < plane; p++) { double d = x.Data[(n * x.C + c) * plane + p] - mean; squares += d * d; }
        return (mean, squares / (x.N * plane));
    }

    private static Map Add(Map a, Map b) => a with { Data = a.Data.Zip(b.Data, (u, v) => u + v).ToArray() };

    private static double Silu(double v) => v / (1 + Math.Exp(-v));
}
