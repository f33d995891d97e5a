using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// A pipeline component (text encoder, prior, decoder, VQGAN) that is loaded when its stage starts and, unless
/// <see cref="KeepLoaded"/>, released when the stage ends. The released Stage C and Stage B weigh about 4 GB each in
/// float32 and the bigG text encoder 2.8 GB, so by default only one of them is resident at a time; callers that
/// generate many images keep them loaded instead of re-reading the files.
/// </summary>
public sealed class ComponentSlot<T> : IDisposable where T : class, IDisposable
{
    private readonly Func<T> _load;
    private T? _instance;

    /// <summary>A slot that loads with <paramref name="load"/>; <paramref name="name"/> is used in messages.</summary>
    public ComponentSlot(string name, Func<T> load, bool keepLoaded = false)
    {
        Name = name;
        _load = load;
        KeepLoaded = keepLoaded;
    }

    /// <summary>A slot around an already constructed component, which it disposes only in <see cref="Dispose"/>.</summary>
    public static ComponentSlot<T> Loaded(string name, T instance) => new(name, () => instance, keepLoaded: true) { _instance = instance };

    public string Name { get; }

    /// <summary>Keep the component in memory between stages and calls (it is then freed by <see cref="Dispose"/>).</summary>
    public bool KeepLoaded { get; set; }

    public bool IsLoaded => _instance != null;

    /// <summary>Loads the component if needed and returns a lease whose disposal releases it (unless kept).</summary>
    public Lease Acquire()
    {
        if (_instance == null)
        {
            using (StoragePool.Bypass()) _instance = _load();   // what loading frees (drawn, widened, packed weights) is
            StoragePool.Trim();                                 // not the stage's working set
        }
        return new(this, _instance);
    }

    private void Release()
    {
        // The model's weights go straight back to the allocator (pooled, they would sit up to the pool's cap beside the
        // next model while it loads: 1.9 GB of the text encoder's beside Stage C's 3.9 GB at 1024² f32). Then the
        // stage's cached activation blocks go too, whether or not the component stays: the next stage works at other
        // sizes, so they would only sit beside its weights and activations.
        if (!KeepLoaded && _instance != null)
        {
            using (StoragePool.Bypass()) _instance.Dispose();
            _instance = null;
        }
        StoragePool.Trim();
    }

    public void Dispose()
    {
        using (StoragePool.Bypass()) _instance?.Dispose();
        _instance = null;
        StoragePool.Trim();
    }

    /// <summary>The component for the duration of one stage.</summary>
    public readonly struct Lease(ComponentSlot<T> slot, T component) : IDisposable
    {
        public T Component { get; } = component;
        public void Dispose() => slot.Release();
    }
}
