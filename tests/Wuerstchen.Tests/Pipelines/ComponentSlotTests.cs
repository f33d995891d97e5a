using Wuerstchen.Pipelines;

namespace Wuerstchen.Tests.Pipelines;

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
}
