using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>Per-thread bf16 packing buffers, grown on demand and kept for the thread's lifetime (like the fp32 GEMM's).</summary>
internal sealed unsafe class Bf16Workspace
{
    [ThreadStatic] private static Bf16Workspace? _current;

    private Buffer _a, _b, _tile;

    public static Bf16Workspace Current => _current ??= new Bf16Workspace();

    public uint* PackedA(long elements) => (uint*)_a.Ensure(elements);
    public uint* PackedB(long elements) => (uint*)_b.Ensure(elements);
    public float* Tile(long elements) => (float*)_tile.Ensure(elements);

    ~Bf16Workspace()
    {
        _a.Free();
        _b.Free();
        _tile.Free();
    }

    /// <summary>A 64-byte aligned block of 4-byte elements.</summary>
    private struct Buffer
    {
        private void* _pointer;
        private long _length;

        public void* Ensure(long elements)
        {
            if (elements <= _length) return _pointer;
            Free();
            _pointer = NativeMemory.AlignedAlloc((nuint)elements * 4, 64);
            if (_pointer == null) throw new OutOfMemoryException($"Cannot allocate a {elements}-element bf16 GEMM packing buffer.");
            _length = elements;
            return _pointer;
        }

        public void Free()
        {
            if (_pointer != null) NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            _length = 0;
        }
    }
}
