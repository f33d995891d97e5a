using Wuerstchen.Autograd;
using System.Runtime.CompilerServices;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

/// <summary>
/// The one tensor type of the engine: float32 values in torch's layout conventions
/// (row-major <see cref="Shape"/>, element <see cref="Strides"/>, an element <see cref="Offset"/>
/// into shared <see cref="TensorStorage"/>). Views (reshape of contiguous data, permute, narrow,
/// chunk, expand) share storage without copying, as in torch. Kernels require contiguous input;
/// call <see cref="Contiguous"/> where a view may be strided.
/// A tensor that allocated its storage owns it: <see cref="Dispose"/> frees it (views of it become
/// invalid). Views never free anything.
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private readonly int[] _shape;
    private readonly long[] _strides;
    private readonly bool _ownsStorage;

    public TensorStorage Storage { get; }
    public long Offset { get; }
    public ReadOnlySpan<int> Shape => _shape;
    public ReadOnlySpan<long> Strides => _strides;
    public int Rank => _shape.Length;
    public long Numel { get; }
    public bool IsContiguous { get; }

    private Tensor(TensorStorage storage, long offset, int[] shape, long[] strides, bool ownsStorage)
    {
        Storage = storage;
        Offset = offset;
        _shape = shape;
        _strides = strides;
        _ownsStorage = ownsStorage;
        Numel = ShapeUtil.Numel(shape);
        IsContiguous = ShapeUtil.IsContiguous(shape, strides);
    }

    // ---------------------------------------------------------------- creation

    /// <summary>Uninitialised tensor.</summary>
    public static Tensor Empty(params ReadOnlySpan<int> shape)
    {
        var s = ShapeUtil.Validate(shape);
        return new Tensor(TensorStorage.Allocate(ShapeUtil.Numel(s)), 0, s, ShapeUtil.ContiguousStrides(s), true);
    }

    public static Tensor Zeros(params ReadOnlySpan<int> shape)
    {
        var t = Empty(shape);
        t.AsSpan().Clear();
        return t;
    }

    public static Tensor Full(float value, params ReadOnlySpan<int> shape)
    {
        var t = Empty(shape);
        t.AsSpan().Fill(value);
        return t;
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> data, params ReadOnlySpan<int> shape)
    {
        var t = Empty(shape);
        if (data.Length != t.Numel)
            throw new ArgumentException($"Data has {data.Length} elements but shape [{string.Join(", ", shape.ToArray())}] needs {t.Numel}.");
        data.CopyTo(t.AsSpan());
        return t;
    }

    public static Tensor FromArray(float[] data, params ReadOnlySpan<int> shape) => FromSpan(data, shape);

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor Scalar(float value) => FromSpan([value], ReadOnlySpan<int>.Empty);

    /// <summary>Wraps external storage as a contiguous tensor (no copy).</summary>
    public static Tensor FromStorage(TensorStorage storage, long offset, params ReadOnlySpan<int> shape)
    {
        var s = ShapeUtil.Validate(shape);
        if (offset < 0 || offset + ShapeUtil.Numel(s) > storage.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), "View exceeds the storage.");
        return new Tensor(storage, offset, s, ShapeUtil.ContiguousStrides(s), false);
    }

    /// <summary>A tensor of the same shape, uninitialised.</summary>
    public Tensor EmptyLike() => Empty(_shape);

    // ---------------------------------------------------------------- data access

    /// <summary>Pointer to element [0,...,0].</summary>
    public float* Data => Storage.Pointer + Offset;

    /// <summary>The elements of a contiguous tensor.</summary>
    public Span<float> AsSpan()
    {
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan needs a contiguous tensor; this {this} is strided. Call Contiguous() first.");
        if (Numel > int.MaxValue) throw new InvalidOperationException($"{this} has more than 2^31 elements; use Data.");
        return new Span<float>(Data, (int)Numel);
    }

    /// <summary>A copy of the elements in logical (row-major) order.</summary>
    public float[] ToArray()
    {
        var result = new float[Numel];
        fixed (float* dst = result)
            StridedCopy.Gather(Data, _shape, _strides, dst);
        return result;
    }

    [IndexerName("Element")]
    public float this[params ReadOnlySpan<int> index]
    {
        get => Data[ElementOffset(index)];
        set => Data[ElementOffset(index)] = value;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element; {this} has {Numel}.");
        return *Data;
    }

    private long ElementOffset(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index has {index.Length} dims, tensor has {Rank}.");
        long o = 0;
        for (int d = 0; d < Rank; d++)
        {
            int i = index[d] < 0 ? index[d] + _shape[d] : index[d];
            if ((uint)i >= (uint)_shape[d]) throw new IndexOutOfRangeException($"Index {index[d]} out of range for dim {d} of size {_shape[d]}.");
            o += i * _strides[d];
        }
        return o;
    }

    // ---------------------------------------------------------------- views and layout

    /// <summary>torch.reshape: a view when the data is contiguous, otherwise a contiguous copy. One dim may be -1.</summary>
    public Tensor Reshape(params ReadOnlySpan<int> shape)
    {
        var s = ShapeUtil.InferReshape(_shape, shape);
        if (IsContiguous) return Recorder.Reshape(new Tensor(Storage, Offset, s, ShapeUtil.ContiguousStrides(s), false), this);
        var c = Contiguous();
        return Recorder.Reshape(new Tensor(c.Storage, c.Offset, s, ShapeUtil.ContiguousStrides(s), c._ownsStorage), this);
    }

    /// <summary>torch.permute (view).</summary>
    public Tensor Permute(params ReadOnlySpan<int> dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute needs {Rank} dims, got {dims.Length}.");
        var shape = new int[Rank];
        var strides = new long[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = NormDim(dims[i]);
            if (seen[d]) throw new ArgumentException($"Permute repeats dim {d}.");
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
        }
        return Recorder.Permute(new Tensor(Storage, Offset, shape, strides, false), this, dims);
    }

    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        dim0 = NormDim(dim0); dim1 = NormDim(dim1);
        (perm[dim0], perm[dim1]) = (perm[dim1], perm[dim0]);
        return Permute(perm);
    }

    /// <summary>torch.narrow (view): <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        dim = NormDim(dim);
        if (start < 0 || length < 0 || start + length > _shape[dim])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow [{start}, {start + length}) out of range for dim {dim} of size {_shape[dim]}.");
        var shape = (int[])_shape.Clone();
        shape[dim] = length;
        return Recorder.Narrow(new Tensor(Storage, Offset + start * _strides[dim], shape, (long[])_strides.Clone(), false), this, dim, start, length);
    }

    /// <summary>torch.select (view): index <paramref name="index"/> of <paramref name="dim"/>, removing that dim.</summary>
    public Tensor Select(int dim, int index)
    {
        dim = NormDim(dim);
        if (index < 0) index += _shape[dim];
        if ((uint)index >= (uint)_shape[dim]) throw new IndexOutOfRangeException($"Select index {index} out of range for dim {dim} of size {_shape[dim]}.");
        var shape = new List<int>(_shape); shape.RemoveAt(dim);
        var strides = new List<long>(_strides); strides.RemoveAt(dim);
        return Recorder.Select(new Tensor(Storage, Offset + index * _strides[dim], [.. shape], [.. strides], false), this, dim, index);
    }

    /// <summary>torch.chunk (views): splits <paramref name="dim"/> into <paramref name="chunks"/> pieces of ceil(n/chunks).</summary>
    public Tensor[] Chunk(int chunks, int dim)
    {
        dim = NormDim(dim);
        int n = _shape[dim];
        int size = (n + chunks - 1) / chunks;
        var parts = new List<Tensor>();
        for (int start = 0; start < n; start += size)
            parts.Add(Narrow(dim, start, Math.Min(size, n - start)));
        return [.. parts];
    }

    public Tensor Unsqueeze(int dim)
    {
        if (dim < 0) dim += Rank + 1;
        var shape = new List<int>(_shape);
        var strides = new List<long>(_strides);
        long stride = dim < Rank ? _strides[dim] * _shape[dim] : 1;
        shape.Insert(dim, 1);
        strides.Insert(dim, stride);
        return Recorder.Reshape(new Tensor(Storage, Offset, [.. shape], [.. strides], false), this);
    }

    /// <summary>torch.expand (view with zero strides); -1 keeps a dim.</summary>
    public Tensor Expand(params ReadOnlySpan<int> shape)
    {
        if (shape.Length < Rank) throw new ArgumentException("Expand cannot drop dims.");
        int lead = shape.Length - Rank;
        var s = new int[shape.Length];
        var st = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (i < lead) { s[i] = shape[i]; st[i] = 0; continue; }
            int own = _shape[i - lead];
            int want = shape[i] == -1 ? own : shape[i];
            if (own == want) { s[i] = own; st[i] = _strides[i - lead]; }
            else if (own == 1) { s[i] = want; st[i] = 0; }
            else throw new ArgumentException($"Cannot expand dim {i - lead} of size {own} to {want}.");
        }
        return Recorder.Expand(new Tensor(Storage, Offset, s, st, false), this);
    }

    /// <summary>This tensor if contiguous, otherwise a contiguous copy.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy.</summary>
    public Tensor Clone()
    {
        var t = Empty(_shape);
        StridedCopy.Gather(Data, _shape, _strides, t.Data);
        return Recorder.Copy(t, this);
    }

    /// <summary>Copies <paramref name="source"/> (same shape, any strides) into this tensor (which may be a strided view).</summary>
    public void CopyFrom(Tensor source)
    {
        Recorder.WroteInPlace(this);
        if (!Shape.SequenceEqual(source.Shape))
            throw new ArgumentException($"CopyFrom shape mismatch: {this} vs {source}.");
        if (IsContiguous)
            StridedCopy.Gather(source.Data, source._shape, source._strides, Data);
        else
        {
            var src = source.Contiguous();
            StridedCopy.Scatter(src.Data, _shape, _strides, Data);
            if (!ReferenceEquals(src, source)) src.Dispose();
        }
    }

    public int Size(int dim) => _shape[NormDim(dim)];

    public int NormDim(int dim)
    {
        int d = dim < 0 ? dim + Rank : dim;
        if ((uint)d >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dim {dim} out of range for rank {Rank}.");
        return d;
    }

    private bool _disposed;

    /// <summary>Releases this tensor's reference to its storage if it allocated it (idempotent).</summary>
    public void Dispose()
    {
        if (_ownsStorage && !_disposed)
        {
            _disposed = true;
            Storage.Release();
        }
    }

    // ---------------------------------------------------------------- autograd (see Autograd/)

    /// <summary>When set on a leaf (a parameter or an input), ops run under a recording tape track gradients to it.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient of a leaf after a backward pass (same shape), or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor under a recording tape (null for leaves and in inference).</summary>
    public Autograd.Node? GradFn { get; set; }

    /// <summary>torch.detach: a view of the same data that is cut from the graph (no GradFn, no RequiresGrad).</summary>
    public Tensor Detach() => new(Storage, Offset, _shape, _strides, false);

    public override string ToString() => $"Tensor[{string.Join(", ", _shape)}]";
}
