using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = x·Wᵀ + b. Saves x only if W needs a gradient, W only if x does.</summary>
    public static Tensor Linear(Tensor y, Tensor x, Tensor weight, Tensor? bias)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        Tape.Record(y, "Linear", [x, weight, bias],
            [Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null],
            static (g, n) => [
                n.NeedsGrad(0) ? LinearBackward.Input(g, n.Saved(1), n.InputShape(0)) : null,
                n.NeedsGrad(1) ? LinearBackward.Weight(g, n.Saved(0), n.InputShape(1)) : null,
                n.NeedsGrad(2) ? LinearBackward.Bias(g, n.InputShape(2)) : null]);
        return y;
    }

    /// <summary>y = a @ b with broadcast batch dims.</summary>
    public static Tensor MatMul(Tensor y, Tensor a, Tensor b)
    {
        if (!Tape.ShouldRecord(a, b)) return y;
        Tape.Record(y, "MatMul", [a, b], [Tape.TracksGrad(b) ? a : null, Tape.TracksGrad(a) ? b : null],
            static (g, n) => [
                n.NeedsGrad(0) ? LinearBackward.MatMulLeft(g, n.Saved(1), n.InputShape(0)) : null,
                n.NeedsGrad(1) ? LinearBackward.MatMulRight(g, n.Saved(0), n.InputShape(1)) : null]);
        return y;
    }

    /// <summary>
    /// The hook of an op that has no backward (e.g. Linear with a weight packed for inference): passes y through outside a
    /// tape, and refuses to run on inputs that track gradients under one, rather than silently dropping their gradients.
    /// </summary>
    public static Tensor NotDifferentiable(Tensor y, string op, Tensor? a, Tensor? b = null)
    {
        if (Tape.ShouldRecord(a, b))
            throw new NotSupportedException($"{op} has no backward; under a recording tape use the differentiable form (e.g. Linear with the unpacked weight).");
        return y;
    }
}
