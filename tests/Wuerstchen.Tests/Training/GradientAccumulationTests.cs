using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>Accumulating scaled micro-batch gradients reproduces the full batch's mean-loss gradient.</summary>
public class GradientAccumulationTests
{
    /// <summary>loss = mean over rows of Σ_o (x·Wᵀ)_o², recorded through the Linear, Square and Mean hooks.</summary>
    private static Tensor Loss(Tensor x, Tensor w)
    {
        int rows = x.Shape[0], inF = x.Shape[1], outF = w.Shape[0];
        var xv = x.ToArray(); var wv = w.ToArray();
        var y = Tensor.Empty(rows, outF);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                float s = 0;
                for (int i = 0; i < inF; i++) s += xv[r * inF + i] * wv[o * inF + i];
                y[r, o] = s;
            }
        Recorder.Linear(y, x, w, null);
        var sq = Tensor.FromArray(y.ToArray().Select(v => v * v).ToArray(), rows, outF);
        Recorder.Square(sq, y);
        var rowSum = Tensor.Empty(rows);
        for (int r = 0; r < rows; r++) { float s = 0; for (int o = 0; o < outF; o++) s += sq[r, o]; rowSum[r] = s; }
        Recorder.Sum(rowSum, sq, [1], false);
        var mean = Tensor.Scalar(rowSum.ToArray().Average());
        Recorder.Mean(mean, rowSum, [], false);
        return mean;
    }

    [Fact]
    public void FourMicroBatchesEqualOneBatch()
    {
        var rng = new System.Random(9);
        var x = Autograd.GradCheck.Leaf(rng, [8, 5], requiresGrad: false);
        var w = Autograd.GradCheck.Leaf(rng, [3, 5]);

        using (var tape = Tape.Record()) tape.Backward(Loss(x, w));
        var full = w.Grad!.ToArray();
        w.Grad.Dispose(); w.Grad = null;

        var acc = new GradientAccumulation(4);
        var updates = new List<long>();
        for (int micro = 0; micro < 4; micro++)
        {
            using var part = x.Narrow(0, micro * 2, 2).Clone();
            using var tape = Tape.Record();
            var loss = Loss(part, w);
            using var scale = Tensor.Scalar(acc.LossScale); // backward of loss·(1/4)
            tape.Backward(loss, scale);
            if (acc.Advance()) updates.Add(acc.MicroSteps);
        }
        Assert.Equal([4L], updates);
        Assert.Equal(1, acc.Updates);
        TensorAssert.Close(full, w.Grad!.ToArray(), 1e-6, 1e-5, "accumulated gradient");
    }
}
