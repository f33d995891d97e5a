using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = Σ x over <paramref name="dims"/> (all when empty).</summary>
    public static Tensor Sum(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        Tape.Record(y, "Sum", [x], [], reduced, static (g, n, reduced) => [ReduceBackward.Spread(g, n.InputShape(0), reduced, 1f)]);
        return y;
    }

    /// <summary>y = mean of x over <paramref name="dims"/> (all when empty).</summary>
    public static Tensor Mean(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        long count = x.Numel / Math.Max(1, y.Numel);
        Tape.Record(y, "Mean", [x], [], (reduced, count), static (g, n, p) => [ReduceBackward.Spread(g, n.InputShape(0), p.reduced, 1f / p.count)]);
        return y;
    }

    /// <summary>y = ‖x‖₂ over <paramref name="dims"/> (all when empty).</summary>
    public static Tensor Norm2(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        Tape.Record(y, "Norm2", [x], [x, y], reduced, static (g, n, reduced) => [ReduceBackward.Norm2(g, n.Saved(0), n.Saved(1), reduced)]);
        return y;
    }

    /// <summary>y = max of x over <paramref name="dim"/>.</summary>
    public static Tensor Max(Tensor y, Tensor x, int dim, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int d = x.NormDim(dim);
        Tape.Record(y, "Max", [x], [x, y], d, static (g, n, d) => [ReduceBackward.Max(g, n.Saved(0), n.Saved(1), d)]);
        return y;
    }

    /// <summary>y = softmax(x) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor y, Tensor x, int dim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int d = x.NormDim(dim);
        Tape.Record(y, "Softmax", [x], [y], d, static (g, n, d) => [ReduceBackward.Softmax(g, n.Saved(0), d, log: false)]);
        return y;
    }

    /// <summary>y = log_softmax(x) along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor y, Tensor x, int dim)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int d = x.NormDim(dim);
        Tape.Record(y, "LogSoftmax", [x], [y], d, static (g, n, d) => [ReduceBackward.Softmax(g, n.Saved(0), d, log: true)]);
        return y;
    }
}
