namespace Wuerstchen.Tensors;

public static partial class Ops
{
    public static Tensor Cat(ReadOnlySpan<Tensor> tensors, int dim) => throw new NotImplementedException();
    /// <summary>NCHW [C·r², H, W] → [C, H·r, W·r] (torch PixelShuffle).</summary>
    public static Tensor PixelShuffle(Tensor x, int r) => throw new NotImplementedException();
    /// <summary>NCHW [C, H·r, W·r] → [C·r², H, W] (torch PixelUnshuffle).</summary>
    public static Tensor PixelUnshuffle(Tensor x, int r) => throw new NotImplementedException();
    /// <summary>Rows of <paramref name="weight"/> [V, D] for ids (shape <paramref name="idShape"/>) → [..idShape, D].</summary>
    public static Tensor Embedding(Tensor weight, ReadOnlySpan<int> ids, ReadOnlySpan<int> idShape) => throw new NotImplementedException();
    /// <summary>NCHW → NHWC contiguous copy, and back.</summary>
    public static Tensor ToChannelsLast(Tensor x) => x.Permute(0, 2, 3, 1).Clone();
    public static Tensor ToChannelsFirst(Tensor x) => x.Permute(0, 3, 1, 2).Clone();
}
