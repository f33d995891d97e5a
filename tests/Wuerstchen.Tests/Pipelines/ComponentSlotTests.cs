using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Tensors;

namespace Wuerstchen.Tests.Pipelines;

[Collection(nameof(StoragePoolTests))]   // the memory tests read the process-wide pool
public class ComponentSlotTests
{
    private sealed class Counted : IDisposable
    {
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Component_is_loaded_per_stage_and_released_after_it()
    {
        int loads = 0;
        var instances = new List<Counted>();
        using var slot = new ComponentSlot<Counted>("prior", () => { loads++; var c = new Counted(); instances.Add(c); return c; });
        using (var lease = slot.Acquire()) Assert.False(lease.Component.Disposed);
        Assert.False(slot.IsLoaded);
        Assert.True(instances[0].Disposed);
        using (slot.Acquire()) { }
        Assert.Equal(2, loads);
    }

    [Fact]
    public void Kept_component_is_loaded_once_and_freed_with_the_slot()
    {
        int loads = 0;
        Counted? instance = null;
        var slot = new ComponentSlot<Counted>("prior", () => { loads++; return instance = new Counted(); }, keepLoaded: true);
        using (slot.Acquire()) { }
        using (slot.Acquire()) { }
        Assert.Equal(1, loads);
        Assert.False(instance!.Disposed);
        slot.Dispose();
        Assert.True(instance.Disposed);
    }

    /// <summary>A component holding one pooled-size tensor (4 MB), like a model holding its weights.</summary>
    private sealed class Weighted : IDisposable
    {
        public Tensor Weight { get; } = Tensor.Empty(1000, 1000);
        public void Dispose() => Weight.Dispose();
    }

    [Fact]
    public void What_loading_frees_and_the_released_weights_go_back_to_the_allocator_not_the_pool()
    {
        // Pooled, a released model's weights would sit beside the next model as it loads (the whole image's peak).
        StoragePool.Trim();
        long cachedAfterTemporary = -1;
        using var slot = new ComponentSlot<Weighted>("decoder", () =>
        {
            Tensor.Empty(1000, 1000).Dispose();                  // a converted or drawn weight that loading drops
            cachedAfterTemporary = StoragePool.CachedBytes;
            return new Weighted();
        });
        using (var lease = slot.Acquire())
        {
            Assert.Equal(0, cachedAfterTemporary);
            Tensor.Empty(1000, 1000).Dispose();                  // an activation of the stage: pooled while it runs
            Assert.True(StoragePool.CachedBytes >= 4_000_000);
        }
        Assert.Equal(0, StoragePool.CachedBytes);                // the stage's blocks and the weights are gone
    }
}
