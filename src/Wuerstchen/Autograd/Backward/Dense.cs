using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// A contiguous version of a tensor for the duration of a backward computation: the tensor itself when it
/// already is, otherwise a temporary copy freed on <see cref="Dispose"/>. Saved tensors may be strided views
/// (a permuted activation, an expanded bias); the backward loops below assume dense row-major data.
/// </summary>
internal readonly unsafe ref struct Dense
{
    private readonly Tensor? _copy;
    public Tensor Tensor { get; }

    public Dense(Tensor t)
    {
        if (t.IsContiguous) Tensor = t;
        else { _copy = t.Clone(); Tensor = _copy; }
    }

    public float* Data => Tensor.Data;
    public Span<float> Span => Tensor.AsSpan();
    public void Dispose() => _copy?.Dispose();
}

/// <summary>
/// Splits an index range into blocks run through <see cref="Threads.For"/>. The partition depends only on the
/// count (never on the thread count), so anything a block sums comes out bit-identical however many threads run.
/// </summary>
internal static class Blocks
{
    private const int MaxBlocks = 256;

    /// <summary>Calls body(start, end) over [0, count) in blocks of at least <paramref name="minBlock"/> items.</summary>
    public static void For(long count, long minBlock, Action<long, long> body)
    {
        if (count <= 0) return;
        long size = Math.Max(Math.Max(1, minBlock), (count + MaxBlocks - 1) / MaxBlocks);
        int blocks = (int)((count + size - 1) / size);
        if (blocks == 1) { body(0, count); return; }
        Threads.For(blocks, b =>
        {
            long start = b * size;
            body(start, Math.Min(count, start + size));
        });
    }
}
