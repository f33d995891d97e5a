using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;
using static Wuerstchen.Autograd.Backward.Broadcasting;

namespace Wuerstchen.Autograd;

/// <summary>
/// The recording hooks of the forward ops: each <c>Ops</c> method passes its result and arguments through one
/// call here, which returns the result, so the op stays one expression:
/// <c>public static Tensor Add(Tensor a, Tensor b) =&gt; Recorder.Add(Broadcasting(…, a, b, …), a, b);</c>
/// A hook returns at once unless a tape records and an input tracks gradients (no allocation on inference paths);
/// otherwise it saves what its backward needs and records the node. In-place ops call their hook too (it also
/// bumps the storage's version, so a backward that saved the overwritten tensor fails loudly).
/// </summary>
public static partial class Recorder
{
    // ---------------------------------------------------------------- broadcasting binary ops

    /// <summary>y = a + b (broadcast).</summary>
    public static Tensor Add(Tensor y, Tensor a, Tensor b)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "Add", [a, b], [], static (g, n) => [
            n.NeedsGrad(0) ? SumToShape(g, n.InputShape(0)) : null,
            n.NeedsGrad(1) ? SumToShape(g, n.InputShape(1)) : null]);
        return y;
    }

    /// <summary>y = a − b (broadcast).</summary>
    public static Tensor Sub(Tensor y, Tensor a, Tensor b)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "Sub", [a, b], [], static (g, n) => [
            n.NeedsGrad(0) ? SumToShape(g, n.InputShape(0)) : null,
            n.NeedsGrad(1) ? Negated(SumToShape(g, n.InputShape(1)), g) : null]);
        return y;
    }

    /// <summary>y = a ⊙ b (broadcast).</summary>
    public static Tensor Mul(Tensor y, Tensor a, Tensor b)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "Mul", [a, b], [Tape.TracksGrad(b) ? a : null, Tape.TracksGrad(a) ? b : null], static (g, n) => [
            n.NeedsGrad(0) ? ReduceProduct(g, n.Saved(1), n.InputShape(0)) : null,
            n.NeedsGrad(1) ? ReduceProduct(g, n.Saved(0), n.InputShape(1)) : null]);
        return y;
    }

    /// <summary>y = a / b (broadcast): ∂a = g/b, ∂b = −g·a/b².</summary>
    public static Tensor Div(Tensor y, Tensor a, Tensor b)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "Div", [a, b], [Tape.TracksGrad(b) ? a : null, b], static (g, n) => [
            n.NeedsGrad(0) ? DivBackward.Numerator(g, n.Saved(1), n.InputShape(0)) : null,
            n.NeedsGrad(1) ? DivBackward.Denominator(g, n.Saved(0), n.Saved(1), n.InputShape(1)) : null]);
        return y;
    }

    /// <summary>y = a + s (scalar).</summary>
    public static Tensor Add(Tensor y, Tensor a, float s)
    {
        if (!Tape.ShouldRecord(a)) return y;
        Tape.Record(y, "AddScalar", [a], [], static (g, n) => [g]);
        return y;
    }

    /// <summary>y = a − s (scalar).</summary>
    public static Tensor Sub(Tensor y, Tensor a, float s)
    {
        if (!Tape.ShouldRecord(a)) return y;
        Tape.Record(y, "SubScalar", [a], [], static (g, n) => [g]);
        return y;
    }

    /// <summary>y = s − b (scalar minus tensor, e.g. 1 − b).</summary>
    public static Tensor Sub(Tensor y, float s, Tensor b)
    {
        if (!Tape.ShouldRecord(b)) return y;
        Tape.Record(y, "ScalarSub", [b], [], static (g, n) => [Pointwise.Scale(g, -1f)]);
        return y;
    }

    /// <summary>y = a / s (scalar): ∂a = g / s.</summary>
    public static Tensor Div(Tensor y, Tensor a, float s)
    {
        if (!Tape.ShouldRecord(a)) return y;
        Tape.Record(y, "DivScalar", [a], [], s, static (g, n, s) => [Pointwise.Divide(g, s)]);
        return y;
    }

    /// <summary>y = a·s (scalar).</summary>
    public static Tensor Mul(Tensor y, Tensor a, float s)
    {
        if (!Tape.ShouldRecord(a)) return y;
        Tape.Record(y, "MulScalar", [a], [], s, static (g, n, s) => [Pointwise.Scale(g, s)]);
        return y;
    }

    /// <summary>y = lerp(start, end, w) = start + w·(end − start): ∂start = (1 − w)·g, ∂end = w·g.</summary>
    public static Tensor Lerp(Tensor y, Tensor start, Tensor end, float weight)
    {
        if (!Tape.ShouldRecord(start, end)) return y;
        Tape.Record(y, "Lerp", [start, end], [], weight, static (g, n, w) => [
            n.NeedsGrad(0) ? ScaledSum(g, 1f - w, n.InputShape(0)) : null,
            n.NeedsGrad(1) ? ScaledSum(g, w, n.InputShape(1)) : null]);
        return y;
    }

    /// <summary>y = a + s·b (broadcast).</summary>
    public static Tensor AddScaled(Tensor y, Tensor a, Tensor b, float s)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "AddScaled", [a, b], [], s, static (g, n, s) => [
            n.NeedsGrad(0) ? SumToShape(g, n.InputShape(0)) : null,
            n.NeedsGrad(1) ? ScaledSum(g, s, n.InputShape(1)) : null]);
        return y;
    }

    // ---------------------------------------------------------------- in-place ops

    /// <summary>
    /// a += b in place (a residual). Always records the write for saved-tensor checks; under a tape the op
    /// becomes a node and <paramref name="a"/>.GradFn moves to it (a must not be a leaf that requires grad,
    /// nor a view of a tensor that tracks gradients: its base would not see the write).
    /// </summary>
    public static void AddInPlace(Tensor a, Tensor b)
    {
        TensorVersions.Bump(a.Storage);
        if (!Tape.ShouldRecord(a, b)) return;
        Tape.Record(a, "AddInPlace", [a, b], [], static (g, n) => [
            n.NeedsGrad(0) ? g : null,
            n.NeedsGrad(1) ? SumToShape(g, n.InputShape(1)) : null]);
    }

    /// <summary>a += s·b in place (see <see cref="AddInPlace"/>).</summary>
    public static void AddScaledInPlace(Tensor a, Tensor b, float s)
    {
        TensorVersions.Bump(a.Storage);
        if (!Tape.ShouldRecord(a, b)) return;
        Tape.Record(a, "AddScaledInPlace", [a, b], [], s, static (g, n, s) => [
            n.NeedsGrad(0) ? g : null,
            n.NeedsGrad(1) ? ScaledSum(g, s, n.InputShape(1)) : null]);
    }

    /// <summary>a *= s in place (see <see cref="AddInPlace"/>).</summary>
    public static void MulInPlace(Tensor a, float s)
    {
        TensorVersions.Bump(a.Storage);
        if (!Tape.ShouldRecord(a)) return;
        Tape.Record(a, "MulInPlace", [a], [], s, static (g, n, s) => [Pointwise.Scale(g, s)]);
    }

    /// <summary>Marks an in-place write to <paramref name="t"/> that has no gradient of its own (e.g. CopyFrom, a fill).</summary>
    public static void WroteInPlace(Tensor t) => TensorVersions.Bump(t.Storage);

    // ---------------------------------------------------------------- unary ops and activations

    public static Tensor Neg(Tensor y, Tensor x)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Neg", [x], [], static (g, n) => [Pointwise.Scale(g, -1f)]);
        return y;
    }

    public static Tensor Abs(Tensor y, Tensor x) => Unary<AbsGrad>(y, x, "Abs", x);
    public static Tensor Square(Tensor y, Tensor x) => Unary<SquareGrad>(y, x, "Square", x);
    public static Tensor Sqrt(Tensor y, Tensor x) => Unary<SqrtGrad>(y, x, "Sqrt", y);
    public static Tensor Exp(Tensor y, Tensor x) => Unary<ExpGrad>(y, x, "Exp", y);
    public static Tensor Clamp(Tensor y, Tensor x, float min, float max) => Unary<ClampGrad>(y, x, "Clamp", x, min, max);
    public static Tensor Erf(Tensor y, Tensor x) => Unary<ErfGrad>(y, x, "Erf", x);
    public static Tensor Gelu(Tensor y, Tensor x)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Gelu", [x], [x], static (g, n) => [ActivationBackward.Gelu(g, n.Saved(0))]);
        return y;
    }

    /// <summary>
    /// x ← GELU(x) in place. Call BEFORE the kernel overwrites x: under a tape the pre-activation values are copied
    /// (GELU's derivative needs them) and x.GradFn moves to the new node; outside a tape it only records the write.
    /// </summary>
    public static void GeluInPlace(Tensor x)
    {
        TensorVersions.Bump(x.Storage);
        if (!Tape.ShouldRecord(x)) return;
        var before = x.Clone();
        Tape.Record(x, "GeluInPlace", [x], [before], static (g, n) => [ActivationBackward.Gelu(g, n.Saved(0))]);
        before.Dispose(); // the node holds its own reference
    }
    public static Tensor GeluTanh(Tensor y, Tensor x) => Unary<GeluTanhGrad>(y, x, "GeluTanh", x);
    public static Tensor Silu(Tensor y, Tensor x)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Silu", [x], [x], static (g, n) => [ActivationBackward.Silu(g, n.Saved(0))]);
        return y;
    }
    public static Tensor LeakyRelu(Tensor y, Tensor x, float negativeSlope) => Unary<LeakyReluGrad>(y, x, "LeakyRelu", x, negativeSlope);
    public static Tensor Relu(Tensor y, Tensor x) => Unary<ReluGrad>(y, x, "Relu", y);
    public static Tensor Sigmoid(Tensor y, Tensor x) => Unary<SigmoidGrad>(y, x, "Sigmoid", y);
    public static Tensor Tanh(Tensor y, Tensor x) => Unary<TanhGrad>(y, x, "Tanh", y);

    /// <summary>Records a pointwise op whose derivative needs one saved value (<paramref name="saved"/> is x or y, as TRule expects).</summary>
    private static Tensor Unary<TRule>(Tensor y, Tensor x, string name, Tensor saved, float p0 = 0, float p1 = 0)
        where TRule : struct, IPointwiseGrad
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, name, [x], [saved], (p0, p1), static (g, n, p) => [Pointwise.Map<TRule>(g, n.Saved(0), p.p0, p.p1)]);
        return y;
    }

    // ---------------------------------------------------------------- helpers

    private static Tensor ReduceProduct(Tensor g, Tensor other, ReadOnlySpan<int> shape)
    {
        var product = Pointwise.Multiply(g, other);
        var reduced = SumToShape(product, shape);
        if (!ReferenceEquals(reduced, product)) product.Dispose();
        return reduced;
    }

    private static Tensor ScaledSum(Tensor g, float s, ReadOnlySpan<int> shape)
    {
        var scaled = Pointwise.Scale(g, s);
        var reduced = SumToShape(scaled, shape);
        if (!ReferenceEquals(reduced, scaled)) scaled.Dispose();
        return reduced;
    }

    /// <summary>−t; t is either g (passed through by SumToShape: must not be negated in place) or a fresh tensor.</summary>
    private static Tensor Negated(Tensor t, Tensor g)
    {
        if (ReferenceEquals(t, g)) return Pointwise.Scale(g, -1f);
        System.Numerics.Tensors.TensorPrimitives.Negate(t.AsSpan(), t.AsSpan());
        return t;
    }
}
