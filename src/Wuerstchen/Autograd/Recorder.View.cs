using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

/// <summary>
/// Hooks for the views and copies <see cref="Tensor"/> itself creates (Reshape, Permute/Transpose, Narrow (and so
/// Chunk), Select, Unsqueeze, Expand, Clone/Contiguous). A view shares its base's storage; in the graph it is an
/// op whose gradient is routed back to the base's shape.
/// </summary>
public static partial class Recorder
{
    /// <summary>y = x.Reshape(…) or x.Unsqueeze(…): the gradient is g in x's shape (a view of g, no copy).</summary>
    public static Tensor Reshape(Tensor y, Tensor x)
    {
        if (ReferenceEquals(y, x) || !Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Reshape", [x], [], static (g, n) => [g.Reshape(n.InputShape(0))]);
        return y;
    }

    /// <summary>y = x.Permute(dims) (and Transpose).</summary>
    public static Tensor Permute(Tensor y, Tensor x, ReadOnlySpan<int> dims)
    {
        if (!Tape.ShouldRecord(x)) return y;
        var d = new int[dims.Length];
        for (int i = 0; i < d.Length; i++) d[i] = dims[i] < 0 ? dims[i] + x.Rank : dims[i];
        Tape.Record(y, "Permute", [x], [], d, static (g, n, d) => [ShapeBackward.Unpermute(g, d)]);
        return y;
    }

    /// <summary>y = x.Narrow(dim, start, length) (Chunk is made of these).</summary>
    public static Tensor Narrow(Tensor y, Tensor x, int dim, int start, int length)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int d = x.NormDim(dim);
        Tape.Record(y, "Narrow", [x], [], (d, start, length), static (g, n, p) => [ShapeBackward.IntoSlice(g, n.InputShape(0), t => t.Narrow(p.d, p.start, p.length))]);
        return y;
    }

    /// <summary>y = x.Select(dim, index).</summary>
    public static Tensor Select(Tensor y, Tensor x, int dim, int index)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int d = x.NormDim(dim);
        int i = index < 0 ? index + x.Shape[d] : index;
        Tape.Record(y, "Select", [x], [], (d, i), static (g, n, p) => [ShapeBackward.IntoSlice(g, n.InputShape(0), t => t.Select(p.d, p.i))]);
        return y;
    }

    /// <summary>y = x.Expand(shape): the gradient sums over the expanded dims.</summary>
    public static Tensor Expand(Tensor y, Tensor x)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Expand", [x], [], static (g, n) => [Broadcasting.SumToShape(g, n.InputShape(0))]);
        return y;
    }

    /// <summary>y = x.Clone() or x.Contiguous() (a copy: identity gradient; nothing when Contiguous returned x itself).</summary>
    public static Tensor Copy(Tensor y, Tensor x)
    {
        if (ReferenceEquals(y, x) || !Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Copy", [x], [], static (g, n) => [g]);
        return y;
    }
}
