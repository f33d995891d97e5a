using Wuerstchen.Autograd;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Checkpointed segments give the same gradients as recorded ones, and keep no intermediates.</summary>
public class CheckpointTests
{
    /// <summary>tanh(x·Wᵀ + b), computed in float32 and recorded through the hooks (a stand-in for a block).</summary>
    private static Tensor Block(Tensor x, Tensor w, Tensor b, List<Tensor> intermediates)
    {
        int rows = x.Shape[0], inF = x.Shape[1], outF = w.Shape[0];
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b.ToArray();
        var y = Tensor.Empty(rows, outF);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                float s = bv[o];
                for (int i = 0; i < inF; i++) s += xv[r * inF + i] * wv[o * inF + i];
                y[r, o] = s;
            }
        Recorder.Linear(y, x, w, b);
        intermediates.Add(y);
        var z = Tensor.FromArray(y.ToArray().Select(MathF.Tanh).ToArray(), rows, outF);
        Recorder.Tanh(z, y);
        return z;
    }

    private static (float[] X, float[] W1, float[] W2, float[] B1) Run(bool checkpoint, out int savedIntermediates)
    {
        var rng = new System.Random(5);
        var x = GradCheck.Leaf(rng, [4, 3]);
        var w1 = GradCheck.Leaf(rng, [5, 3]);
        var b1 = GradCheck.Leaf(rng, [5]);
        var w2 = GradCheck.Leaf(rng, [2, 5]);
        var b2 = GradCheck.Leaf(rng, [2], requiresGrad: false);
        var intermediates = new List<Tensor>();
        using (var tape = Tape.Record())
        {
            var h = checkpoint
                ? Checkpoint.Run(t => Block(t[0], w1, b1, intermediates), x)
                : Block(x, w1, b1, intermediates);
            var y = Block(h, w2, b2, intermediates);
            savedIntermediates = intermediates.Count(t => t.GradFn is not null);
            var loss = Tensor.Scalar(y.ToArray().Sum());
            Recorder.Sum(loss, y, [], false);
            tape.Backward(loss);
        }
        return (x.Grad!.ToArray(), w1.Grad!.ToArray(), w2.Grad!.ToArray(), b1.Grad!.ToArray());
    }

    [Fact]
    public void CheckpointedGradientsEqualRecordedOnes()
    {
        var plain = Run(checkpoint: false, out int plainRecorded);
        var ckpt = Run(checkpoint: true, out int ckptRecorded);
        Assert.Equal(plain.X, ckpt.X);
        Assert.Equal(plain.W1, ckpt.W1);   // parameters inside the segment get their gradient in the recomputation
        Assert.Equal(plain.B1, ckpt.B1);
        Assert.Equal(plain.W2, ckpt.W2);
        Assert.Equal(2, plainRecorded);
        Assert.Equal(1, ckptRecorded);     // the checkpointed block's Linear output was not part of the graph
    }

    [Fact]
    public void SegmentWhoseInputNeedsNoGradientStillReachesItsParameters()
    {
        var rng = new System.Random(6);
        var x = GradCheck.Leaf(rng, [2, 3], requiresGrad: false);
        var w = GradCheck.Leaf(rng, [4, 3]);
        var b = GradCheck.Leaf(rng, [4]);
        using var tape = Tape.Record();
        var h = Checkpoint.Run(t => Block(t[0], w, b, []), x);
        Assert.NotNull(h.GradFn);
        var loss = Tensor.Scalar(h.ToArray().Sum());
        Recorder.Sum(loss, h, [], false);
        tape.Backward(loss);
        Assert.NotNull(w.Grad);
        Assert.NotNull(b.Grad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void OutsideATapeItJustRunsTheSegment()
    {
        var x = Tensor.FromArray([1f, 2f], 1, 2);
        var y = Checkpoint.Run(t => t[0].Clone(), x);
        Assert.Equal([1f, 2f], y.ToArray());
        Assert.Null(y.GradFn);
    }
}
