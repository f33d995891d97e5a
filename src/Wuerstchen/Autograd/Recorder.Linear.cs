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
}
