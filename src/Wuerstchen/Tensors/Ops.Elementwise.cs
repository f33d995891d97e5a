using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

/// <summary>
/// Tensor-level operations with torch semantics. Inputs may be strided views unless stated;
/// outputs are new contiguous tensors. Shapes are validated with errors naming the op and shapes.
/// </summary>
public static partial class Ops
{
    // Binary ops broadcast like torch.
    public static Tensor Add(Tensor a, Tensor b) => Broadcasting(default(AddOp), a, b, nameof(Add));
    public static Tensor Sub(Tensor a, Tensor b) => Broadcasting(default(SubOp), a, b, nameof(Sub));
    public static Tensor Mul(Tensor a, Tensor b) => Broadcasting(default(MulOp), a, b, nameof(Mul));
    public static Tensor Div(Tensor a, Tensor b) => Broadcasting(default(DivOp), a, b, nameof(Div));
    public static Tensor Add(Tensor a, float b) => Unary(new AddScalarOp(b), a);
    public static Tensor Mul(Tensor a, float b) => Unary(new MulScalarOp(b), a);
    public static Tensor Sub(Tensor a, float b) => Unary(new AddScalarOp(-b), a);
    /// <summary>a − b for a scalar a (e.g. 1 − b).</summary>
    public static Tensor Sub(float a, Tensor b) => Unary(new ScalarSubOp(a), b);
    /// <summary>a / b, rounded as torch's division (not a multiplication by 1/b).</summary>
    public static Tensor Div(Tensor a, float b) => Unary(new DivScalarOp(b), a);

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
    }

    /// <summary>a *= s in place.</summary>
    public static unsafe void MulInPlace(Tensor a, float s)
    {
        if (!a.IsContiguous) throw new ArgumentException($"MulInPlace: the destination {Show(a)} must be contiguous.");
        Elementwise.MulScalar(a.Data, s, a.Data, a.Numel);
    }

    /// <summary>
    /// torch.lerp(start, end, weight) with torch's two-form evaluation: |weight| &lt; 0.5: start + w·(end−start);
    /// else end − (end−start)·(1−w). start and end broadcast.
    /// </summary>
    public static Tensor Lerp(Tensor start, Tensor end, float weight) => Broadcasting(new LerpOp(weight), start, end, nameof(Lerp));

    /// <summary>torch.clamp: min(max(x, min), max); NaN stays NaN.</summary>
    public static Tensor Clamp(Tensor x, float min, float max) => Unary(new ClampOp(min, max), x);
    public static Tensor Abs(Tensor x) => Unary(default(AbsOp), x);
    public static Tensor Neg(Tensor x) => Unary(default(NegOp), x);
    public static Tensor Sqrt(Tensor x) => Unary(default(SqrtOp), x);
    public static Tensor Exp(Tensor x) => Unary(default(ExpOp), x);
    public static Tensor Square(Tensor x) => Unary(default(SquareOp), x);
    public static Tensor Erf(Tensor x) => Unary(default(ErfOp), x);

    // Activations.
    /// <summary>Exact GELU 0.5·x·(1 + erf(x/√2)) (torch default).</summary>
    public static Tensor Gelu(Tensor x) => Unary(default(GeluOp), x);
    /// <summary>GELU, tanh approximation (torch approximate='tanh').</summary>
    public static Tensor GeluTanh(Tensor x) => Unary(default(GeluTanhOp), x);
    public static Tensor Silu(Tensor x) => Unary(default(SiluOp), x);
    public static Tensor LeakyRelu(Tensor x, float negativeSlope) => Unary(new LeakyReluOp(negativeSlope), x);
    public static Tensor Relu(Tensor x) => Unary(default(ReluOp), x);
    public static Tensor Sigmoid(Tensor x) => Unary(default(SigmoidOp), x);
    public static Tensor Tanh(Tensor x) => Unary(default(TanhOp), x);

    /// <summary>Exact GELU in place on a contiguous tensor (saves an allocation in the channel-wise MLPs).</summary>
    public static unsafe void GeluInPlace(Tensor x)
    {
        if (!x.IsContiguous) throw new ArgumentException($"GeluInPlace: {Show(x)} must be contiguous.");
        Activations.Gelu(x.Data, x.Data, x.Numel);
    }
}
