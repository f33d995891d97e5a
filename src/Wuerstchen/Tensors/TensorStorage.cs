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
    private readonly object? _owner;
    private readonly bool _owned;

    public long Length { get; }

    private TensorStorage(float* pointer, long length, bool owned, object? owner)
    {
        _pointer = pointer;
        Length = length;
        _owned = owned;
        _owner = owner;
    }

    /// <summary>Allocates <paramref name="length"/> uninitialised floats.</summary>
    public static TensorStorage Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint bytes = (nuint)Math.Max(length, 1) * sizeof(float);
        var p = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        if (p == null) throw new OutOfMemoryException($"Cannot allocate {bytes} bytes for a tensor.");
        GC.AddMemoryPressure((long)bytes);
        return new TensorStorage(p, length, owned: true, owner: null);
    }

    /// <summary>Wraps memory owned elsewhere; <paramref name="owner"/> is kept alive as long as this storage.</summary>
    public static TensorStorage Borrow(float* pointer, long length, object? owner) =>
        new(pointer, length, owned: false, owner);

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
            NativeMemory.AlignedFree(p);
            GC.RemoveMemoryPressure(Math.Max(Length, 1) * sizeof(float));
        }
        GC.KeepAlive(_owner);
    }
}
