using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void PermuteIsAViewAndCloneGathersInLogicalOrder()
    {
        using var t = Tensor.FromArray([0, 1, 2, 3, 4, 5], 2, 3);
        var p = t.Permute(1, 0);
        Assert.False(p.IsContiguous);
        Assert.Equal([0f, 3, 1, 4, 2, 5], p.ToArray());
        using var c = p.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.Equal(new[] { 3, 2 }, c.Shape.ToArray());
    }

    [Fact]
    public void NarrowChunkAndExpandShareStorage()
    {
        using var t = Tensor.FromArray([0, 1, 2, 3, 4, 5, 6, 7], 2, 4);
        var halves = t.Chunk(2, 1);
        Assert.Equal([2f, 3, 6, 7], halves[1].ToArray());
        halves[1][0, 0] = 42;
        Assert.Equal(42, t[0, 2]);
        using var row = Tensor.FromArray([1, 2], 1, 2);
        Assert.Equal([1f, 2, 1, 2, 1, 2], row.Expand(3, 2).ToArray());
    }

    [Fact]
    public void ReshapeInfersOneDimAndRejectsWrongSizes()
    {
        using var t = Tensor.Zeros(2, 3, 4);
        Assert.Equal(new[] { 6, 4 }, t.Reshape(-1, 4).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => t.Reshape(5, -1));
    }

    [Fact]
    public void CopyFromWritesIntoAStridedView()
    {
        using var t = Tensor.Zeros(2, 2);
        using var src = Tensor.FromArray([1, 2, 3, 4], 2, 2);
        t.Permute(1, 0).CopyFrom(src);
        Assert.Equal([1f, 3, 2, 4], t.ToArray());
    }
}
