using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = Σ x over <paramref name="dims"/> (all when empty).</summary>
    public static void Sum(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        Tape.Record(y, "Sum", [x], [], reduced, static (g, n, reduced) => [ReduceBackward.Spread(g, n.InputShape(0), reduced, 1f)]);
    }

    /// <summary>y = mean of x over <paramref name="dims"/> (all when empty).</summary>
    public static void Mean(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        long count = x.Numel / Math.Max(1, y.Numel);
        Tape.Record(y, "Mean", [x], [], (reduced, count), static (g, n, p) => [ReduceBackward.Spread(g, n.InputShape(0), p.reduced, 1f / p.count)]);
    }

    /// <summary>y = ‖x‖₂ over <paramref name="dims"/> (all when empty).</summary>
    public static void Norm2(Tensor y, Tensor x, ReadOnlySpan<int> dims, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return;
        var reduced = ReduceBackward.ReducedMask(x.Shape, dims);
        Tape.Record(y, "Norm2", [x], [x, y], reduced, static (g, n, reduced) => [ReduceBackward.Norm2(g, n.Saved(0), n.Saved(1), reduced)]);
    }

    /// <summary>y = max of x over <paramref name="dim"/>.</summary>
    public static void Max(Tensor y, Tensor x, int dim, bool keepDim)
    {
        if (!Tape.ShouldRecord(x)) return;
        int d = x.NormDim(dim);
        Tape.Record(y, "Max", [x], [x, y], d, static (g, n, d) => [ReduceBackward.Max(g, n.Saved(0), n.Saved(1), d)]);
    }

    /// <summary>y = softmax(x) along <paramref name="dim"/>.</summary>
    public static void Softmax(Tensor y, Tensor x, int dim)
    {
        if (!Tape.ShouldRecord(x)) return;
        int d = x.NormDim(dim);
        Tape.Record(y, "Softmax", [x], [y], d, static (g, n, d) => [ReduceBackward.Softmax(g, n.Saved(0), d, log: false)]);
    }

    /// <summary>y = log_softmax(x) along <paramref name="dim"/>.</summary>
    public static void LogSoftmax(Tensor y, Tensor x, int dim)
    {
        if (!Tape.ShouldRecord(x)) return;
        int d = x.NormDim(dim);
        Tape.Record(y, "LogSoftmax", [x], [y], d, static (g, n, d) => [ReduceBackward.Softmax(g, n.Saved(0), d, log: true)]);
    }
}
