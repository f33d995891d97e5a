using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

/// <summary>
/// Tensor-level operations with torch semantics. Inputs may be strided views unless stated;
/// outputs are new contiguous tensors. Shapes are validated with errors naming the op and shapes.
/// </summary>
public static partial class Ops
{
    // Binary ops broadcast like torch.
    public static Tensor Add(Tensor a, Tensor b) => Recorder.Add(Broadcasting(default(AddOp), a, b, nameof(Add)), a, b);
    public static Tensor Sub(Tensor a, Tensor b) => Recorder.Sub(Broadcasting(default(SubOp), a, b, nameof(Sub)), a, b);
    public static Tensor Mul(Tensor a, Tensor b) => Recorder.Mul(Broadcasting(default(MulOp), a, b, nameof(Mul)), a, b);
    public static Tensor Div(Tensor a, Tensor b) => Recorder.Div(Broadcasting(default(DivOp), a, b, nameof(Div)), a, b);
    public static Tensor Add(Tensor a, float b) => Recorder.Add(Unary(new AddScalarOp(b), a), a, b);
    public static Tensor Mul(Tensor a, float b) => Recorder.Mul(Unary(new MulScalarOp(b), a), a, b);
    public static Tensor Sub(Tensor a, float b) => Recorder.Sub(Unary(new AddScalarOp(-b), a), a, b);
    /// <summary>a − b for a scalar a (e.g. 1 − b).</summary>
    public static Tensor Sub(float a, Tensor b) => Recorder.Sub(Unary(new ScalarSubOp(a), b), a, b);
    /// <summary>a / b, rounded as torch's division (not a multiplication by 1/b).</summary>
    public static Tensor Div(Tensor a, float b) => Recorder.Div(Unary(new DivScalarOp(b), a), a, b);

    /// <summary>a += b in place (a contiguous; b broadcast to a's shape). Used for residuals.</summary>
    public static void AddInPlace(Tensor a, Tensor b)
    {
        if (!a.IsContiguous) throw new ArgumentException($"AddInPlace: the destination {Show(a)} must be contiguous.");
        int[] shape;
        try { shape = ShapeUtil.Broadcast(a.Shape, b.Shape); }
        catch (ArgumentException) { throw new ArgumentException($"AddInPlace: shapes {Show(a)} and {Show(b)} do not broadcast."); }
        if (!a.Shape.SequenceEqual(shape))
            throw new ArgumentException($"AddInPlace: {Show(b)} does not broadcast to the destination's shape {Show(a)}.");
        BroadcastInto(default(AddOp), a, b, a);
        Recorder.AddInPlace(a, b);
    }

    /// <summary>a + s·b (b broadcast): a residual with a gated branch, in one pass instead of a scale and an add.</summary>
    public static Tensor AddScaled(Tensor a, Tensor b, float s) =>
        Recorder.AddScaled(Broadcasting(new AddScaledOp(s), a, b, nameof(AddScaled)), a, b, s);

    /// <summary>a += s·b in place (a contiguous; b broadcast to a's shape).</summary>
    public static void AddScaledInPlace(Tensor a, Tensor b, float s)
    {
        if (!a.IsContiguous) throw new ArgumentException($"AddScaledInPlace: the destination {Show(a)} must be contiguous.");
        int[] shape;
        try { shape = ShapeUtil.Broadcast(a.Shape, b.Shape); }
        catch (ArgumentException) { throw new ArgumentException($"AddScaledInPlace: shapes {Show(a)} and {Show(b)} do not broadcast."); }
        if (!a.Shape.SequenceEqual(shape))
            throw new ArgumentException($"AddScaledInPlace: {Show(b)} does not broadcast to the destination's shape {Show(a)}.");
        BroadcastInto(new AddScaledOp(s), a, b, a);
        Recorder.AddScaledInPlace(a, b, s);
    }

    /// <summary>a *= s in place.</summary>
    public static unsafe void MulInPlace(Tensor a, float s)
    {
        if (!a.IsContiguous) throw new ArgumentException($"MulInPlace: the destination {Show(a)} must be contiguous.");
        Elementwise.MulScalar(a.Data, s, a.Data, a.Numel);
        Recorder.MulInPlace(a, s);
    }

    /// <summary>
    /// torch.lerp(start, end, weight) with torch's two-form evaluation: |weight| &lt; 0.5: start + w·(end−start);
    /// else end − (end−start)·(1−w). start and end broadcast.
    /// </summary>
    public static Tensor Lerp(Tensor start, Tensor end, float weight) => Recorder.Lerp(Broadcasting(new LerpOp(weight), start, end, nameof(Lerp)), start, end, weight);

    /// <summary>torch.clamp: min(max(x, min), max); NaN stays NaN.</summary>
    public static Tensor Clamp(Tensor x, float min, float max) => Recorder.Clamp(Unary(new ClampOp(min, max), x), x, min, max);
    public static Tensor Abs(Tensor x) => Recorder.Abs(Unary(default(AbsOp), x), x);
    public static Tensor Neg(Tensor x) => Recorder.Neg(Unary(default(NegOp), x), x);
    public static Tensor Sqrt(Tensor x) => Recorder.Sqrt(Unary(default(SqrtOp), x), x);
    public static Tensor Exp(Tensor x) => Recorder.Exp(Unary(default(ExpOp), x), x);
    public static Tensor Square(Tensor x) => Recorder.Square(Unary(default(SquareOp), x), x);
    public static Tensor Erf(Tensor x) => Recorder.Erf(Unary(default(ErfOp), x), x);

    // Activations.
    /// <summary>Exact GELU 0.5·x·(1 + erf(x/√2)) (torch default).</summary>
    public static Tensor Gelu(Tensor x) => Recorder.Gelu(Unary(default(GeluOp), x), x);
    /// <summary>GELU, tanh approximation (torch approximate='tanh').</summary>
    public static Tensor GeluTanh(Tensor x) => Recorder.GeluTanh(Unary(default(GeluTanhOp), x), x);
    public static Tensor Silu(Tensor x) => Recorder.Silu(Unary(default(SiluOp), x), x);
    public static Tensor LeakyRelu(Tensor x, float negativeSlope) => Recorder.LeakyRelu(Unary(new LeakyReluOp(negativeSlope), x), x, negativeSlope);
    public static Tensor Relu(Tensor x) => Recorder.Relu(Unary(default(ReluOp), x), x);
    public static Tensor Sigmoid(Tensor x) => Recorder.Sigmoid(Unary(default(SigmoidOp), x), x);
    public static Tensor Tanh(Tensor x) => Recorder.Tanh(Unary(default(TanhOp), x), x);

    /// <summary>Exact GELU in place on a contiguous tensor (saves an allocation in the channel-wise MLPs).</summary>
    public static unsafe void GeluInPlace(Tensor x)
    {
        if (!x.IsContiguous) throw new ArgumentException($"GeluInPlace: {Show(x)} must be contiguous.");
        Recorder.GeluInPlace(x); // before the write: keeps the pre-activation under a tape
        Activations.Gelu(x.Data, x.Data, x.Numel);
    }
}
