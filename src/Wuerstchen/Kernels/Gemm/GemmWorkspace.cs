using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// Per-thread packing buffers, grown on demand and kept for the thread's lifetime, so a GEMM allocates
/// nothing once the engine's threads have seen the largest block shape.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic] private static GemmWorkspace? _current;

    private Buffer _a, _b, _tile;

    public static GemmWorkspace Current => _current ??= new GemmWorkspace();

    public float* PackedA(long floats) => _a.Ensure(floats);
    public float* PackedB(long floats) => _b.Ensure(floats);
    public float* Tile(long floats) => _tile.Ensure(floats);

    ~GemmWorkspace()
    {
        _a.Free();
        _b.Free();
        _tile.Free();
    }

    private struct Buffer
    {
        private float* _pointer;
        private long _length;

        public float* Ensure(long floats)
        {
            if (floats <= _length) return _pointer;
            Free();
            _pointer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            if (_pointer == null) throw new OutOfMemoryException($"Cannot allocate a {floats}-float GEMM packing buffer.");
            _length = floats;
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
