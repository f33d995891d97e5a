using Wuerstchen.Autograd;
using Wuerstchen.Kernels.Bf16;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary>
/// The precision settings as layers and ops see them: which weights become bf16, which products run in bf16,
/// and that float32 stays exactly float32 (under a tape, and by default).
/// </summary>
public class PrecisionSwitchTests
{
    private static Tensor Input(int rows, int features, int seed)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, rows * features).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), rows, features);
    }

    [Fact]
    public void LinearBuiltUnderBf16KeepsOnlyTheBf16Weight()
    {
        using var ws = WeightSource.Random(3);
        using var scope = Precision.Use(ComputePrecision.F32, WeightPrecision.Bf16);
        using var layer = new Linear(ws.Scope("fc"), 70, 45);
        Assert.NotNull(layer.Bf16Weight);
        Assert.Equal((45, 70), (layer.Bf16Weight!.OutFeatures, layer.Bf16Weight.InFeatures));
        Assert.Throws<InvalidOperationException>(() => layer.Weight);
        // The float32 weight is gone from the parameters; the bias stays float32.
        Assert.Equal(["fc.bias"], layer.NamedParameters().Select(p => p.Name).ToArray());
        // 2 bytes per element (plus padding of 45 columns to two 32-column panels, 70 depths = 35 pairs).
        Assert.Equal(64L * 35 * 4, layer.Bf16Weight.Bytes);
    }

    [Fact]
    public void ABf16CheckpointKeepsItsExactValues()
    {
        // The bf16 variant of the tiny prior: its values survive the trip through float32 and back unchanged.
        string folder = Reference.Path_("tiny-wuerstchen-prior", "prior");
        using var file = WeightSource.FromFolder(folder, "bf16");
        using var stored = file.Get("cond_mapper.0.weight", 32, 24);
        using var ws = WeightSource.FromFolder(folder, "bf16");
        using var scope = Precision.Use(ComputePrecision.Reduced, WeightPrecision.Bf16);
        using var layer = new Linear(ws.Scope("cond_mapper.0"), 24, 32);
        using var kept = layer.Bf16Weight!.Widen();
        Assert.Equal(stored.ToArray(), kept.ToArray());
    }

    [Fact]
    public void ShapeOnlyWeightsStayFloat32()
    {
        using var ws = WeightSource.Meta();
        using var scope = Precision.Use(ComputePrecision.Reduced, WeightPrecision.Bf16);
        using var layer = new Linear(ws.Scope("fc"), 4096, 4096);
        Assert.Null(layer.Bf16Weight);
        Assert.Equal([4096, 4096], layer.Weight.Shape.ToArray());
    }

    [Fact]
    public void Bf16WeightsGiveTheSameBitsAsRoundedFloat32Weights()
    {
        using var x = Input(29, 70, 1);
        Tensor f32Weights, bf16Weights, widened;
        using (var ws = WeightSource.Random(5))
        using (Precision.Use(ComputePrecision.Reduced, WeightPrecision.F32))
        using (var layer = new Linear(ws.Scope("fc"), 70, 45))
            f32Weights = layer.Forward(x);
        using (var ws = WeightSource.Random(5))
        using (Precision.Use(ComputePrecision.Reduced, WeightPrecision.Bf16))
        using (var layer = new Linear(ws.Scope("fc"), 70, 45))
        {
            bf16Weights = layer.Forward(x);
            // float32 compute with bf16 weights: exactly the float32 product with the rounded weight.
            using var rounded = layer.Bf16Weight!.Widen();
            using (Precision.Use(ComputePrecision.F32, WeightPrecision.Bf16))
            {
                widened = layer.Forward(x);
                using var expected = Ops.Linear(x, rounded, layer.Bias);
                Assert.Equal(expected.ToArray(), widened.ToArray());
            }
        }
        using (f32Weights) using (bf16Weights) using (widened)
            Assert.Equal(f32Weights.ToArray(), bf16Weights.ToArray());
    }

    [Fact]
    public void ReducedLinearAndMatMulRunTheBf16Gemm()
    {
        using var x = Input(3 * 17, 40, 2);
        using var w = Input(33, 40, 3);
        using var b = Input(40, 33, 4);
        Tensor f32Linear, reducedLinear, f32MatMul, reducedMatMul;
        using (Precision.Use(ComputePrecision.F32)) { f32Linear = Ops.Linear(x, w); f32MatMul = Ops.MatMul(x.Reshape(3, 17, 40), b); }
        using (Precision.Use(ComputePrecision.Reduced)) { reducedLinear = Ops.Linear(x, w); reducedMatMul = Ops.MatMul(x.Reshape(3, 17, 40), b); }
        using (f32Linear) using (reducedLinear) using (f32MatMul) using (reducedMatMul)
        {
            // Σ over 40 products of bf16-rounded operands in [-1, 1]: within ~40·2·2⁻⁹ of float32, and not equal to it.
            Assert.NotEqual(f32Linear.ToArray(), reducedLinear.ToArray());
            Assert.NotEqual(f32MatMul.ToArray(), reducedMatMul.ToArray());
            TensorAssert.Close(f32Linear, reducedLinear, 0.16, 0, "Linear");
            TensorAssert.Close(f32MatMul, reducedMatMul, 0.16, 0, "MatMul");
            // And exactly the bf16 GEMM's result.
            using var direct = Tensor.Empty(51, 33);
            unsafe { Bf16Gemm.Gemm(true, 51, 33, 40, x.Data, 40, w.Data, 40, direct.Data, 33); }
            Assert.Equal(direct.ToArray(), reducedLinear.ToArray());
        }
    }

    [Fact]
    public void TrackedInputsUnderATapeStayFloat32()
    {
        using var x = Input(12, 40, 5);
        using var w = Input(33, 40, 6);
        using var expected = Ops.Linear(x, w);
        w.RequiresGrad = true;
        using var scope = Precision.Use(ComputePrecision.Reduced);
        using var tape = Tape.Record();
        using var y = Ops.Linear(x, w);
        Assert.Equal(expected.ToArray(), y.ToArray());
    }

    [Fact]
    public void ScopesNestAndRestore()
    {
        var (compute, weights) = (Precision.Compute, Precision.Weights);
        using (Precision.Use(ComputePrecision.Reduced, WeightPrecision.Bf16))
        {
            Assert.Equal((ComputePrecision.Reduced, WeightPrecision.Bf16), (Precision.Compute, Precision.Weights));
            using (Precision.Use(ComputePrecision.F32))
                Assert.Equal((ComputePrecision.F32, WeightPrecision.F32), (Precision.Compute, Precision.Weights));
            Assert.Equal(ComputePrecision.Reduced, Precision.Compute);
        }
        Assert.Equal((compute, weights), (Precision.Compute, Precision.Weights));
    }
}
