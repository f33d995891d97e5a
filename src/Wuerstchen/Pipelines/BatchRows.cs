using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Row bookkeeping of the pipelines' batches. Every batch a pipeline builds is a selection of rows of a smaller
/// one: <c>repeat_interleave(n)</c> of the prompt embeddings (p0,p0,p1,p1), the negative embeddings'
/// <c>repeat(1,n,1).view(B·n,…)</c> (which gives the same n0,n0,n1,n1 order), the decoder's per-image text and
/// effnet rows. Expressing them as row index maps keeps the orders explicit and testable.
/// </summary>
internal static class BatchRows
{
    /// <summary>Row k of the result is row <c>k / repeats</c> of the source: torch's <c>repeat_interleave(repeats, dim=0)</c>.</summary>
    public static int[] RepeatInterleave(int sourceRows, int repeats)
    {
        var rows = new int[sourceRows * repeats];
        for (int k = 0; k < rows.Length; k++) rows[k] = k / repeats;
        return rows;
    }

    /// <summary>A new tensor whose row k (along dim 0) is a copy of <c>source[rows[k]]</c>.</summary>
    public static Tensor Take(Tensor source, ReadOnlySpan<int> rows)
    {
        var shape = source.Shape.ToArray();
        int available = shape[0];
        shape[0] = rows.Length;
        var result = Tensor.Empty(shape);
        for (int k = 0; k < rows.Length; k++)
        {
            if ((uint)rows[k] >= (uint)available)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row {rows[k]} requested from a batch of {available}.");
            result.Narrow(0, k, 1).CopyFrom(source.Narrow(0, rows[k], 1));
        }
        return result;
    }

    /// <summary>torch.cat([first, second], dim=0) for two batches of the same row shape.</summary>
    public static Tensor Concat(Tensor first, Tensor second)
    {
        if (!first.Shape[1..].SequenceEqual(second.Shape[1..]))
            throw new ArgumentException($"Cannot stack batches {first} and {second}: rows differ in shape.");
        var shape = first.Shape.ToArray();
        shape[0] += second.Size(0);
        var result = Tensor.Empty(shape);
        result.Narrow(0, 0, first.Size(0)).CopyFrom(first);
        result.Narrow(0, first.Size(0), second.Size(0)).CopyFrom(second);
        return result;
    }
}
