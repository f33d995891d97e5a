using Wuerstchen.Autograd;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

/// <summary>Forward semantics of the training-only ops: BatchNorm with batch statistics (torch's running-stat update) and dropout.</summary>
public class OpsTrainingTests
{
    [Fact]
    public void BatchNormTrainNormalisesWithBatchStatisticsAndUpdatesRunningStatsUnbiased()
    {
        var rng = new System.Random(5);
        int n = 2, c = 3, pixels = 10;
        var values = Enumerable.Range(0, n * c * pixels).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
        using var x = Tensor.FromArray(values, n, c, 2, 5);
        using var w = Tensor.FromArray([1f, 2f, 0.5f], 3);
        using var b = Tensor.FromArray([0f, -1f, 3f], 3);
        using var runningMean = Tensor.FromArray([0.5f, 0f, -1f], 3);
        using var runningVar = Tensor.FromArray([1f, 2f, 0.25f], 3);
        using var y = Ops.BatchNorm2dTrain(x, w, b, runningMean, runningVar, momentum: 0.1f, eps: 1e-5f);

        var yv = y.ToArray();
        float[] rm0 = [0.5f, 0f, -1f], rv0 = [1f, 2f, 0.25f], wv = [1f, 2f, 0.5f], bv = [0f, -1f, 3f];
        for (int ch = 0; ch < c; ch++)
        {
            var group = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, pixels).Select(j => (i * c + ch) * pixels + j)).ToArray();
            double mean = group.Average(e => (double)values[e]);
            double biased = group.Sum(e => (values[e] - mean) * (values[e] - mean)) / group.Length;
            foreach (int e in group)
                Assert.Equal((values[e] - mean) / Math.Sqrt(biased + 1e-5) * wv[ch] + bv[ch], yv[e], 1e-5);
            Assert.Equal(0.9 * rm0[ch] + 0.1 * mean, runningMean[ch], 1e-6);
            Assert.Equal(0.9 * rv0[ch] + 0.1 * biased * group.Length / (group.Length - 1), runningVar[ch], 1e-6);
        }
    }

    [Fact]
    public void BatchNormTrainRejectsOneValuePerChannelAndTrackedRunningStats()
    {
        using var single = Tensor.Zeros(1, 3, 1, 1);
        Assert.Throws<ArgumentException>(() => Ops.BatchNorm2dTrain(single, null, null, null, null, 0.1f, 1e-5f));
        using var x = Tensor.Zeros(2, 3, 2, 2);
        using var stats = Tensor.Zeros(3);
        stats.RequiresGrad = true;
        using var tape = Tape.Record();
        Assert.Throws<InvalidOperationException>(() => Ops.BatchNorm2dTrain(x, null, null, stats, null, 0.1f, 1e-5f));
    }

    [Fact]
    public void DropoutKeepsAboutOneMinusPAndScalesTheSurvivors()
    {
        using var x = Tensor.Full(2f, 100, 100);
        using var y = Ops.Dropout(x, 0.3f, new TorchGenerator(11));
        var v = y.ToArray();
        Assert.All(v, e => Assert.True(e == 0f || e == 2f / 0.7f, $"element {e}"));
        double kept = v.Count(e => e != 0) / (double)v.Length;
        Assert.InRange(kept, 0.7 - 0.02, 0.7 + 0.02); // 10⁴ Bernoulli draws: σ ≈ 0.0046
    }

    [Fact]
    public void DropoutIsReproducibleFromTheGeneratorState()
    {
        using var x = Tensor.Full(1f, 64);
        using var a = Ops.Dropout(x, 0.5f, new TorchGenerator(3));
        using var b = Ops.Dropout(x, 0.5f, new TorchGenerator(3));
        using var c = Ops.Dropout(x, 0.5f, new TorchGenerator(4));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
    }

    [Fact]
    public void DropoutIsTheIdentityWhenNotTrainingOrPIsZeroAndZerosAtOne()
    {
        using var x = Tensor.FromArray([1f, -2f, 3f], 3);
        var generator = new TorchGenerator(1);
        var before = generator.GetState().ToBytes();
        using var eval = Ops.Dropout(x, 0.5f, generator, training: false);
        using var zeroP = Ops.Dropout(x, 0f, generator);
        Assert.Equal(x.ToArray(), eval.ToArray());
        Assert.Equal(x.ToArray(), zeroP.ToArray());
        Assert.Equal(before, generator.GetState().ToBytes()); // no draws consumed
        using var all = Ops.Dropout(x, 1f, generator);
        Assert.All(all.ToArray(), e => Assert.Equal(0f, e));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, 1.5f, generator));
    }
}
