using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

public class BatchRowsTests
{
    [Fact]
    public void Repeat_interleave_keeps_each_source_row_together() =>
        Assert.Equal([0, 0, 0, 1, 1, 1], BatchRows.RepeatInterleave(2, 3));

    [Fact]
    public void Take_copies_the_requested_rows()
    {
        using var source = Tensor.FromArray([0, 1, 10, 11, 20, 21], 3, 2);
        using var taken = BatchRows.Take(source, [2, 0, 0]);
        Assert.Equal([3, 2], taken.Shape.ToArray());
        Assert.Equal([20f, 21, 0, 1, 0, 1], taken.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchRows.Take(source, [3]));
    }

    [Fact]
    public void Concat_stacks_batches_and_checks_row_shapes()
    {
        using var a = Tensor.FromArray([1, 2], 1, 2);
        using var b = Tensor.FromArray([3, 4, 5, 6], 2, 2);
        using var c = BatchRows.Concat(a, b);
        Assert.Equal([1f, 2, 3, 4, 5, 6], c.ToArray());
        using var wrong = Tensor.Zeros(1, 3);
        Assert.Throws<ArgumentException>(() => BatchRows.Concat(a, wrong));
    }
}
