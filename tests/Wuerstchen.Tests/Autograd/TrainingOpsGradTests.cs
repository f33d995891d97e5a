using Wuerstchen.Autograd;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of the training-only ops (BatchNorm with batch statistics, dropout) vs float64 finite differences.</summary>
public class TrainingOpsGradTests
{
    /// <summary>BatchNorm over N and the trailing dims of x [N, C, P] with the batch's mean and biased variance; affine optional.</summary>
    internal static Reference64 BatchNormTrainRef(int n, int c, int pixels, double eps, bool weight, bool bias) => x =>
    {
        var y = new double[n * c * pixels];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, v = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < pixels; j++) mean += x[0][(i * c + ch) * pixels + j];
            mean /= n * pixels;
            for (int i = 0; i < n; i++) for (int j = 0; j < pixels; j++) { double d = x[0][(i * c + ch) * pixels + j] - mean; v += d * d; }
            double rstd = 1 / Math.Sqrt(v / (n * pixels) + eps);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < pixels; j++)
                {
                    int e = (i * c + ch) * pixels + j;
                    y[e] = (x[0][e] - mean) * rstd * (weight ? x[1][ch] : 1) + (bias ? x[weight ? 2 : 1][ch] : 0);
                }
        }
        return y;
    };

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void BatchNormTrainNchw(bool weight, bool bias)
    {
        var rng = new System.Random(31);
        var x = Leaf(rng, [3, 4, 2, 3]);
        var w = Leaf(rng, [4], 0.5, 2);
        var b = Leaf(rng, [4]);
        var inputs = new List<Tensor> { x };
        if (weight) inputs.Add(w);
        if (bias) inputs.Add(b);
        Check($"BatchNorm2dTrain w={weight} b={bias}", [.. inputs],
            t => Ops.BatchNorm2dTrain(t[0], weight ? t[1] : null, bias ? t[^1] : null, null, null, 0.1f, 1e-5f),
            BatchNormTrainRef(3, 4, 6, 1e-5, weight, bias));
    }

    [Fact]
    public void BatchNormTrainStridedInputFrozenAffineRank2()
    {
        var rng = new System.Random(32);
        using var xb = Leaf(rng, [5, 6], requiresGrad: false);
        var x = xb.Transpose(0, 1); // [6, 5]: N = 6, C = 5, strided
        x.RequiresGrad = true;
        var w = Leaf(rng, [5], 0.5, 2, requiresGrad: false);
        var b = Leaf(rng, [5], requiresGrad: false);
        Check("BatchNorm2dTrain [N, C] strided", [x, w, b], t => Ops.BatchNorm2dTrain(t[0], t[1], t[2], null, null, 0.1f, 1e-5f),
            BatchNormTrainRef(6, 5, 1, 1e-5, true, true));
    }

    [Fact]
    public void BatchNormTrainParametersOnly()
    {
        var rng = new System.Random(33);
        var x = Leaf(rng, [2, 3, 4, 4], requiresGrad: false);
        var w = Leaf(rng, [3], 0.5, 2);
        var b = Leaf(rng, [3]);
        Check("BatchNorm2dTrain weight/bias only", [x, w, b], t => Ops.BatchNorm2dTrain(t[0], t[1], t[2], null, null, 0.1f, 1e-5f),
            BatchNormTrainRef(2, 3, 16, 1e-5, true, true));
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void DropoutScalesTheGradientByTheMask(float p)
    {
        var rng = new System.Random(34);
        var x = Leaf(rng, [4, 5, 6]);
        var generator = new TorchGenerator(7);
        var replay = generator.Clone();
        var mask = new double[x.Numel];
        for (int i = 0; i < mask.Length; i++) mask[i] = replay.NextDouble() < 1.0 - p ? 1.0 / (1f - p) : 0;
        Check($"Dropout p={p}", [x], t => Ops.Dropout(t[0], p, generator), v => v[0].Select((value, i) => value * mask[i]).ToArray());
    }

    [Fact]
    public void HooksOutsideATapeRecordNothingAndAllocateNothing()
    {
        using var x = Tensor.Zeros(2, 3); x.RequiresGrad = true;
        using var w = Tensor.Zeros(3); w.RequiresGrad = true;
        using var y = Tensor.Zeros(2, 3);
        void CallHooks() { Recorder.BatchNorm2dTrain(y, x, w, w, 1e-5f); Recorder.Dropout(y, x, y); }
        CallHooks(); // JIT warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) CallHooks();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Null(y.GradFn);
    }
}
