using System.IO.MemoryMappedFiles;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// A whole file mapped copy-on-write, with a reference count so that zero-copy tensors can outlive the
/// <see cref="SafeTensorsFile"/> that handed them out.
/// <para>
/// Copy-on-write rather than read-only: a borrowed weight that someone modifies in place (a LoRA merge, a
/// fused scale) gets private pages instead of a segmentation fault, and the file on disk never changes.
/// </para>
/// <para>
/// Lifetime: the opener holds one reference (<see cref="Release"/> drops it). Borrowed tensors share a
/// single <see cref="Lease"/> object, which holds one more reference and is the <c>owner</c> of their
/// <c>TensorStorage</c>; tensor storages have no release callback, so the lease drops its reference from
/// its finalizer, once the garbage collector has found every borrowing tensor unreachable. The mapping is
/// unmapped when the count reaches zero, so a file disposed while borrowed tensors live stays mapped until
/// they are gone, and never earlier.
/// </para>
/// </summary>
internal sealed unsafe class MappedFile
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly object _gate = new();
    private byte* _base;
    private int _references = 1;
    private int _unmapped;
    private WeakReference<Lease>? _lease;

    public string Path { get; }
    public long Length { get; }

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        Path = path; Length = length; _map = map; _view = view; _base = basePointer;
    }

    /// <summary>Maps <paramref name="path"/> (which must be at least one byte long).</summary>
    public static MappedFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long length = stream.Length;
            if (length == 0) throw new InvalidDataException($"{path}: file is empty.");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(path, length, map, view, p + view.PointerOffset);
        }
        catch
        {
            view?.Dispose();
            if (map != null) map.Dispose(); else stream.Dispose();
            throw;
        }
    }

    /// <summary>First byte of the file; valid while the caller holds a reference.</summary>
    public byte* Pointer => _base != null ? _base : throw new ObjectDisposedException(Path);

    /// <summary>The shared lease of borrowed tensors: an object to keep reachable as long as the memory is used.</summary>
    public object AcquireLease()
    {
        lock (_gate)
        {
            if (_lease != null && _lease.TryGetTarget(out var existing)) return existing;
            if (_references <= 0) throw new ObjectDisposedException(Path);
            _references++;
            var lease = new Lease(this);
            _lease = new WeakReference<Lease>(lease);
            return lease;
        }
    }

    /// <summary>Drops one reference; the last one unmaps.</summary>
    public void Release()
    {
        bool last;
        lock (_gate) last = --_references == 0;
        if (last) Unmap();
    }

    private void Unmap()
    {
        if (Interlocked.Exchange(ref _unmapped, 1) != 0) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        GC.SuppressFinalize(this);
    }

    // Reached only when neither the opener nor any lease can reach this object any more (an opener that
    // forgot Dispose). The view's SafeHandle is finalized after us (critical finalizer), so it is still usable.
    ~MappedFile() => Unmap();

    private sealed class Lease(MappedFile file)
    {
        ~Lease() => file.Release();
    }
}
