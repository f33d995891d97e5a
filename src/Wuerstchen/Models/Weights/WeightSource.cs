using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>
/// A model's weights, addressed by diffusers/transformers state-dict keys and scoped by key prefix
/// (<c>ws.Scope("blocks.3").Get("depthwise.weight", …)</c> reads <c>blocks.3.depthwise.weight</c>).
/// <see cref="Get"/> returns a new float32 tensor owned by the caller, after checking the stored shape
/// against the one the model expects; a missing or mis-shaped tensor is an error naming the file and key.
/// The source records which keys were consumed so that a loader can report tensors the model never used.
/// Only the root source (from a factory method) owns the underlying files; scopes share it, and disposing
/// a scope does nothing. Tensors already returned stay valid after the source is disposed (float32 weights are
/// borrowed from the memory-mapped file, which stays mapped while any of them is alive).
/// </summary>
public sealed class WeightSource : IDisposable
{
    /// <summary>Stored tensors that are buffers rather than weights, never consumed by a model.</summary>
    private static readonly string[] IgnoredSuffixes = ["position_ids", "num_batches_tracked"];

    private readonly WeightStore _store;
    private readonly Usage _usage;
    private readonly bool _isRoot;
    private readonly bool _writable;

    /// <summary>Key prefix of this scope including its trailing dot ("" at the root).</summary>
    public string Prefix { get; }

    /// <summary>The folder, files or generator behind this source (for messages).</summary>
    public string Description => _store.Description;

    private WeightSource(WeightStore store, Usage usage, string prefix, bool isRoot, bool writable = false)
    {
        _writable = writable;
        _store = store;
        _usage = usage;
        Prefix = prefix;
        _isRoot = isRoot;
    }

    private static WeightSource Root(WeightStore store, bool writable = false) => new(store, new Usage(), "", isRoot: true, writable);

    /// <summary>
    /// True when every tensor <see cref="Get"/> returns owns private writable memory (for training); otherwise
    /// float32 weights may be borrowed from a copy-on-write mapping of the file (for inference: no copy).
    /// </summary>
    public bool Writable => _writable;

    /// <summary>
    /// The safetensors weights of a component folder — <c>diffusion_pytorch_model.safetensors</c> or
    /// <c>model.safetensors</c>, a sharded index, optionally a variant such as "fp16" or "bf16".
    /// </summary>
    /// <param name="writable">copy every tensor into owned memory, so an optimiser can update it in place</param>
    public static WeightSource FromFolder(string folder, string? variant = null, bool writable = false) =>
        Root(SafeTensorsWeightStore.OpenFolder(folder, variant), writable);

    /// <summary>The tensors of explicit safetensors files (shards of one checkpoint).</summary>
    public static WeightSource FromFiles(params string[] paths) => FromFiles(paths, writable: false);

    /// <inheritdoc cref="FromFiles(string[])"/>
    /// <param name="writable">copy every tensor into owned memory, so an optimiser can update it in place</param>
    public static WeightSource FromFiles(string[] paths, bool writable)
    {
        if (paths.Length == 0) throw new ArgumentException("At least one safetensors file is needed.", nameof(paths));
        return Root(SafeTensorsWeightStore.OpenFiles(paths), writable);
    }

    /// <summary>Deterministic random weights of whatever shapes the model asks for (benchmarks at real scale without files).</summary>
    public static WeightSource Random(ulong seed = 0) => Root(new RandomWeightStore(seed));

    /// <summary>Zero-stride placeholder tensors: builds a model's structure and counts its parameters without allocating them.</summary>
    public static WeightSource Meta() => Root(new MetaWeightStore());

    /// <summary>A view whose keys are prefixed with <paramref name="prefix"/> (a dot is added between scopes).</summary>
    public WeightSource Scope(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return new WeightSource(_store, _usage, Prefix + prefix.TrimEnd('.') + ".", isRoot: false, _writable);
    }

    /// <summary>The full state-dict key of <paramref name="name"/> in this scope.</summary>
    public string Key(string name) => Prefix + name;

    public bool Contains(string name) => _store.Contains(Key(name));

    /// <summary>Reads tensor <paramref name="name"/> as float32, checking that its shape is <paramref name="shape"/>.</summary>
    public Tensor Get(string name, params ReadOnlySpan<int> shape)
    {
        string key = Key(name);
        var expected = shape.ToArray();
        var tensor = _store.Load(key, expected);
        if (_writable && _store is SafeTensorsWeightStore)
        {
            // Borrowed float32 memory is a copy-on-write mapping: an update would touch a private page copy one
            // page at a time. Copy once into pooled memory that training owns outright.
            var owned = tensor.Clone();
            tensor.Dispose();
            tensor = owned;
        }
        lock (_usage)
        {
            if (_usage.Consumed.Add(key))
            {
                _usage.Elements += tensor.Numel;
            }
        }
        return tensor;
    }

    /// <summary>Number of distinct tensors consumed through this source and its scopes.</summary>
    public int ConsumedTensorCount { get { lock (_usage) return _usage.Consumed.Count; } }

    /// <summary>Total elements of the distinct tensors consumed (the model's parameter + buffer count).</summary>
    public long ConsumedElementCount { get { lock (_usage) return _usage.Elements; } }

    /// <summary>Keys consumed so far (sorted), under this scope's prefix.</summary>
    public IReadOnlyList<string> ConsumedKeys()
    {
        lock (_usage) return _usage.Consumed.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Stored keys under this scope's prefix that nothing consumed, ignoring known buffers
    /// (<c>text_model.embeddings.position_ids</c>, BatchNorm <c>num_batches_tracked</c>). Synthetic sources have none.
    /// </summary>
    public IReadOnlyList<string> UnusedKeys()
    {
        lock (_usage)
            return _store.Keys
                .Where(k => k.StartsWith(Prefix, StringComparison.Ordinal) && !_usage.Consumed.Contains(k))
                .Where(k => !IgnoredSuffixes.Any(s => k.EndsWith(s, StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)
                .ToList();
    }

    /// <summary>Throws if <see cref="UnusedKeys"/> is not empty: the weights belong to a different architecture or config.</summary>
    public void EnsureAllUsed(string modelName)
    {
        var unused = UnusedKeys();
        if (unused.Count == 0) return;
        const int shown = 10;
        string list = string.Join(", ", unused.Take(shown)) + (unused.Count > shown ? $", … ({unused.Count - shown} more)" : "");
        throw new InvalidDataException($"{Description}: {unused.Count} tensor(s) not used by {modelName} (does the config match the weights?): {list}.");
    }

    public void Dispose()
    {
        if (_isRoot) _store.Dispose();
    }

    public override string ToString() => Prefix.Length == 0 ? Description : $"{Description} [{Prefix.TrimEnd('.')}]";

    private sealed class Usage
    {
        public readonly HashSet<string> Consumed = new(StringComparer.Ordinal);
        public long Elements;
    }
}
