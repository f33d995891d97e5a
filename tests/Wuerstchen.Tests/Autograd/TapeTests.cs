using Wuerstchen.Autograd;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Autograd;

/// <summary>The engine's semantics: when it records, how gradients accumulate, lifetime of saved tensors, error cases.</summary>
public class TapeTests
{
    private static Tensor Param(params float[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>y = exp(x) computed here, recorded through the hook (saves y).</summary>
    private static Tensor Exp(Tensor x)
    {
        var y = Tensor.FromArray(x.ToArray().Select(MathF.Exp).ToArray(), x.Shape);
        Recorder.Exp(y, x);
        return y;
    }

    private static Tensor Sum(Tensor x)
    {
        var y = Tensor.Scalar(x.ToArray().Sum());
        Recorder.Sum(y, x, [], false);
        return y;
    }

    private static Tensor Mul(Tensor a, Tensor b)
    {
        var y = Tensor.FromArray(a.ToArray().Zip(b.ToArray(), (p, q) => p * q).ToArray(), a.Shape);
        Recorder.Mul(y, a, b);
        return y;
    }

    /// <summary>Every hook, as the Ops call them (arguments need not be consistent: the guard returns first).</summary>
    private static void CallEveryHook(Tensor y, Tensor x, Tensor w, Tensor[] list, int[] ids)
    {
        Recorder.Add(y, x, w); Recorder.Sub(y, x, w); Recorder.Mul(y, x, w); Recorder.Div(y, x, w);
        Recorder.Add(y, x, 1f); Recorder.Mul(y, x, 2f); Recorder.Lerp(y, x, w, 0.5f);
        Recorder.Neg(y, x); Recorder.Abs(y, x); Recorder.Square(y, x); Recorder.Sqrt(y, x); Recorder.Exp(y, x);
        Recorder.Clamp(y, x, 0, 1); Recorder.Gelu(y, x); Recorder.GeluTanh(y, x); Recorder.Silu(y, x);
        Recorder.LeakyRelu(y, x, 0.2f); Recorder.Relu(y, x); Recorder.Sigmoid(y, x); Recorder.Tanh(y, x);
        Recorder.Linear(y, x, w, null); Recorder.MatMul(y, x, w);
        Recorder.Conv2d(y, x, w, null, default, default, default, 1);
        Recorder.ConvTranspose2d(y, x, w, null, default, default, default, 1);
        Recorder.Pad2d(y, x, 1, 1, 1, 1, PadMode.Replicate);
        Recorder.DepthwiseConv2dChannelsLast(y, x, w, null, 1, PadMode.Zeros);
        Recorder.Erf(y, x);
        Recorder.ScaledDotProductAttention(y, x, x, x, 2, null, false, null);
        Recorder.LayerNorm(y, x, w, null, 1e-5f); Recorder.LayerNorm2d(y, x, 1e-6f);
        Recorder.GlobalResponseNorm(y, x, w, w); Recorder.BatchNorm2d(y, x, w, w, w, w, 1e-5f);
        Recorder.Sum(y, x, [1], false); Recorder.Mean(y, x, [], false); Recorder.Norm2(y, x, [0], true);
        Recorder.Max(y, x, 0, false); Recorder.Softmax(y, x, -1); Recorder.LogSoftmax(y, x, -1);
        Recorder.ScaledDotProductAttention(y, x, x, x, null, false, null);
        Recorder.Interpolate(y, x, 2, 2, InterpolationMode.Bicubic, true, true);
        Recorder.Cat(y, list, 0); Recorder.PixelShuffle(y, x, 2); Recorder.PixelUnshuffle(y, x, 2);
        Recorder.Embedding(y, w, ids);
        Recorder.Reshape(y, x); Recorder.Permute(y, x, [0]); Recorder.Narrow(y, x, 0, 0, 1); Recorder.Select(y, x, 0, 0);
        Recorder.Expand(y, x); Recorder.Copy(y, x); Recorder.NotDifferentiable(y, "Packed", x, w);
    }

    [Fact]
    public void HooksOutsideATapeRecordNothingAndAllocateNothing()
    {
        using var x = Param(1, 2, 3);
        using var w = Tensor.Zeros(3, 3); w.RequiresGrad = true;
        using var y = Tensor.Zeros(3);
        Tensor[] list = [x, w];
        int[] ids = [0, 1];
        CallEveryHook(y, x, w, list, ids); // JIT warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) CallEveryHook(y, x, w, list, ids);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Null(y.GradFn);
    }

    [Fact]
    public void InPlaceHooksOutsideATapeAllocateNothing()
    {
        using var a = Tensor.Zeros(3);
        using var b = Tensor.Zeros(3);
        Recorder.AddInPlace(a, b); Recorder.MulInPlace(a, 2f); Recorder.WroteInPlace(a); Recorder.GeluInPlace(a);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) { Recorder.AddInPlace(a, b); Recorder.MulInPlace(a, 2f); Recorder.WroteInPlace(a); Recorder.GeluInPlace(a); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void OpsWithoutBackwardRefuseTrackedInputsUnderATape()
    {
        using var x = Param(1f);
        using var y = Tensor.Zeros(1);
        Assert.Same(y, Recorder.NotDifferentiable(y, "Linear(packed)", x));
        using var tape = Tape.Record();
        Assert.Throws<NotSupportedException>(() => Recorder.NotDifferentiable(y, "Linear(packed)", x));
    }

    [Fact]
    public void NoGradScopeSuspendsRecording()
    {
        using var x = Param(1, 2);
        using var tape = Tape.Record();
        Assert.True(Tape.IsRecording);
        using (Tape.NoGrad())
        {
            Assert.False(Tape.IsRecording);
            using var y = Exp(x);
            Assert.Null(y.GradFn);
        }
        Assert.True(Tape.IsRecording);
        Assert.Equal(0, tape.NodeCount);
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardPassesLikeTorch()
    {
        using var x = Param(0.5f, -1f);
        for (int pass = 0; pass < 2; pass++)
        {
            using var tape = Tape.Record();
            var loss = Sum(Exp(x));
            tape.Backward(loss);
        }
        TensorAssert.Close([2 * MathF.Exp(0.5f), 2 * MathF.Exp(-1f)], x.Grad!.ToArray(), 1e-6, 1e-6, "two passes");
    }

    [Fact]
    public void SameLeafTwiceAndSharedIntermediatesSumTheirGradients()
    {
        using var x = Param(1.5f, -2f, 3f);
        using var tape = Tape.Record();
        var e = Exp(x);          // shared by two consumers
        var sq = Mul(x, x);      // the same leaf on both sides
        var prod = Mul(e, e);    // e twice
        var total = Tensor.FromArray(sq.ToArray().Zip(prod.ToArray(), (p, q) => p + q).ToArray(), 3);
        Recorder.Add(total, sq, prod);
        var loss = Sum(total);
        tape.Backward(loss);
        // d/dx (x² + e^{2x}) = 2x + 2e^{2x}
        var expected = x.ToArray().Select(v => 2 * v + 2 * MathF.Exp(2 * v)).ToArray();
        TensorAssert.Close(expected, x.Grad!.ToArray(), 1e-5, 1e-6, "diamond");
    }

    [Fact]
    public void SavedTensorsSurviveTheirOwnerAndAreFreedAfterBackward()
    {
        using var x = Param(0.1f, 0.2f);
        using var tape = Tape.Record();
        var y = Exp(x);          // saves y
        var loss = Sum(y);
        var storage = y.Storage;
        y.Dispose();             // the model drops its intermediate, as in inference
        Assert.False(storage.IsDisposed);
        tape.Backward(loss);     // reads the saved y, then frees it
        Assert.True(storage.IsDisposed);
        TensorAssert.Close([MathF.Exp(0.1f), MathF.Exp(0.2f)], x.Grad!.ToArray(), 1e-7, 1e-6, "exp");
    }

    [Fact]
    public void DisposingTheTapeFreesSavedTensorsAndDetachesOutputs()
    {
        using var x = Param(0.1f, 0.2f);
        Tensor y;
        TensorStorage storage;
        using (var tape = Tape.Record())
        {
            y = Exp(x);
            storage = y.Storage;
            y.Dispose();
            Assert.NotNull(y.GradFn);
        }
        Assert.True(storage.IsDisposed);
        Assert.Null(y.GradFn);
        Assert.False(Tape.IsRecording);
    }

    [Fact]
    public void SecondBackwardNeedsRetainGraph()
    {
        using var x = Param(1f);
        using var tape = Tape.Record();
        var loss = Sum(Exp(x));
        tape.Backward(loss, retainGraph: true);
        tape.Backward(loss);
        Assert.Equal(2 * MathF.E, x.Grad!.Item(), 5);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Backward(loss));
        Assert.Contains("Exp", e.Message);
    }

    [Fact]
    public void InPlaceWriteToASavedTensorIsDetected()
    {
        using var x = Param(0.3f, 0.4f);
        using var tape = Tape.Record();
        var y = Tensor.FromArray(x.ToArray().Select(v => 1 / (1 + MathF.Exp(-v))).ToArray(), 2);
        Recorder.Sigmoid(y, x);       // saves its output
        using var one = Tensor.Full(1f, 2);
        Recorder.AddInPlace(y, one);  // y += 1 (values not even changed here: the version counter is what matters)
        var loss = Sum(y);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Backward(loss));
        Assert.Contains("Sigmoid", e.Message);
        Assert.Contains("in place", e.Message);
    }

    [Fact]
    public void InPlaceOpOnALeafThatRequiresGradIsRejected()
    {
        using var p = Param(1f, 2f);
        using var tape = Tape.Record();
        Assert.Throws<InvalidOperationException>(() => Recorder.MulInPlace(p, 0.5f));
        using (Tape.NoGrad()) Recorder.MulInPlace(p, 0.5f); // allowed when not recording (optimiser steps)
    }

    [Fact]
    public void BackwardArgumentErrors()
    {
        using var x = Param(1f, 2f);
        using var tape = Tape.Record();
        var y = Exp(x);
        Assert.Throws<ArgumentException>(() => tape.Backward(y));                        // non-scalar without gradRoot
        using var wrong = Tensor.Zeros(3);
        Assert.Throws<ArgumentException>(() => tape.Backward(y, wrong));                 // gradRoot of the wrong shape
        using var plain = Tensor.Zeros(1);
        Assert.Throws<InvalidOperationException>(() => tape.Backward(plain));            // nothing to differentiate
    }

    [Fact]
    public void BackwardOnALeafSeedsItsGradient()
    {
        using var x = Param(4f);
        using var tape = Tape.Record();
        tape.Backward(x);
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void TapesNestAndRestoreTheOuterState()
    {
        using var x = Param(1f);
        using var outer = Tape.Record();
        using (Tape.NoGrad())
        {
            using (var inner = Tape.Record())
            {
                Assert.True(Tape.IsRecording);
                Assert.Same(inner, Tape.Current);
            }
            Assert.False(Tape.IsRecording);
        }
        Assert.Same(outer, Tape.Current);
        Assert.True(Tape.IsRecording);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        using var x = Param(1f);
        using var tape = Tape.Record();
        var y = x;
        for (int i = 0; i < 20000; i++)
        {
            var z = Tensor.FromArray(y.ToArray(), 1);
            Recorder.Mul(z, y, 1f);
            y = z;
        }
        tape.Backward(y);
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void GradientsAreBitIdenticalForAnyThreadCount()
    {
        float[] Run(int threads)
        {
            int saved = Threads.Count;
            Threads.Count = threads;
            try
            {
                var rng = new System.Random(90);
                var x = GradCheck.Leaf(rng, [3, 6, 7, 5]);
                var w = GradCheck.Leaf(rng, [6, 1, 3, 3]);
                var gamma = GradCheck.Leaf(rng, [5]);
                using var tape = Tape.Record();
                using var y = GradCheck.Leaf(rng, [3, 6, 7, 5], requiresGrad: false);
                Recorder.Conv2d(y, x, w, null, default, (1, 1), default, 6);
                using var z = GradCheck.Leaf(rng, [3, 6, 7, 5], requiresGrad: false);
                Recorder.LayerNorm(z, y, gamma, null, 1e-5f);
                using var g = GradCheck.Leaf(rng, [3, 6, 7, 5], requiresGrad: false);
                tape.Backward(z, g);
                return [.. x.Grad!.ToArray(), .. w.Grad!.ToArray(), .. gamma.Grad!.ToArray()];
            }
            finally { Threads.Count = saved; }
        }
        Assert.Equal(Run(1), Run(Math.Max(2, Environment.ProcessorCount)));
    }
}
