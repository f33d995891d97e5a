namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>Sum over <paramref name="dims"/> (all dims when empty); keepDim keeps them as size 1.</summary>
    public static Tensor Sum(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => throw new NotImplementedException();
    public static Tensor Mean(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => throw new NotImplementedException();
    /// <summary>L2 norm (sqrt of sum of squares) over <paramref name="dims"/>.</summary>
    public static Tensor Norm2(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => throw new NotImplementedException();
    /// <summary>Max over one dim.</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => throw new NotImplementedException();

    public static Tensor Softmax(Tensor x, int dim) => throw new NotImplementedException();
    public static Tensor LogSoftmax(Tensor x, int dim) => throw new NotImplementedException();
}
