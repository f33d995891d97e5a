using System.Runtime.InteropServices;

namespace Wuerstchen.Tensors;

/// <summary>
/// A block of float32 memory that one or more <see cref="Tensor"/> views share.
/// Owned storage is 64-byte aligned native memory (AVX-512 friendly, outside the GC heap so
/// multi-gigabyte activations never trigger compaction); borrowed storage points into memory
/// someone else keeps alive (e.g. a memory-mapped safetensors file) and is never freed here.
/// </summary>
public sealed unsafe class TensorStorage : IDisposable
{
    private float* _pointer;
    private object? _owner;
    private readonly bool _owned;
    private readonly long _blockBytes;
    private Action? _onRelease;

    public long Length { get; }

    private TensorStorage(float* pointer, long length, bool owned, long blockBytes, object? owner, Action? onRelease)
    {
        _pointer = pointer;
        Length = length;
        _owned = owned;
        _blockBytes = blockBytes;
        _owner = owner;
        _onRelease = onRelease;
    }

    /// <summary>Allocates <paramref name="length"/> uninitialised floats (large blocks come from <see cref="StoragePool"/>).</summary>
    public static TensorStorage Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = Math.Max(length, 1) * sizeof(float);
        var p = StoragePool.Rent(bytes, out long blockBytes);
        GC.AddMemoryPressure(blockBytes);
        return new TensorStorage(p, length, owned: true, blockBytes, owner: null, onRelease: null);
    }

    /// <summary>
    /// Wraps memory owned elsewhere; <paramref name="owner"/> is kept alive as long as this storage, and
    /// <paramref name="onRelease"/> (optional) runs once when the last reference is released, e.g. to drop a
    /// memory-mapping lease as soon as the borrowed tensor is disposed rather than at the next GC.
    /// </summary>
    public static TensorStorage Borrow(float* pointer, long length, object? owner, Action? onRelease = null) =>
        new(pointer, length, owned: false, blockBytes: 0, owner, onRelease);

    public float* Pointer
    {
        get
        {
            if (_pointer == null) throw new ObjectDisposedException(nameof(TensorStorage));
            return _pointer;
        }
    }

    public bool IsDisposed => _pointer == null;

    private int _references = 1;

    /// <summary>
    /// Adds a reference: the memory stays valid until every reference is released. The autograd tape retains
    /// the tensors it saves for backward, so a model may dispose its intermediates under a tape as it does
    /// in inference.
    /// </summary>
    public void Retain()
    {
        if (Interlocked.Increment(ref _references) <= 1)
            throw new ObjectDisposedException(nameof(TensorStorage), "Cannot retain freed storage.");
    }

    /// <summary>Drops a reference; the memory is freed when none is left.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Free();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Drops the creator's reference (same as <see cref="Release"/>).</summary>
    public void Dispose() => Release();

    ~TensorStorage() => Free();

    private void Free()
    {
        var p = _pointer;
        _pointer = null;
        if (p != null && _owned)
        {
            StoragePool.Return(p, _blockBytes);
            GC.RemoveMemoryPressure(_blockBytes);
        }
        Interlocked.Exchange(ref _onRelease, null)?.Invoke();
        _owner = null;
    }
}
