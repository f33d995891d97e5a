using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Tensors;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// After its first step the denoising loop needs no new tensor storage: every block a step allocates (the CFG batch,
/// the model's activations, the scheduler's noise and output) comes back from the pool, and the managed garbage per
/// step stays small and constant. Runs in the pool's collection, alone, because the pool is process-wide.
/// </summary>
[Collection(nameof(StoragePoolTests))]
public class DenoisingLoopAllocationTests
{
    [Fact]
    public void StepsAfterTheFirstReuseStorageAndAllocateLittle()
    {
        StoragePool.Trim();   // as a pipeline stage starts (ComponentSlot); a full cache of stale sizes would also make room
        // Latents large enough to be pooled (≥ 256 KiB), a stand-in model with a few activations of its own.
        using var start = new TorchGenerator(3).Randn(2, 16, 64, 64);
        var latents = start.Clone();
        Tensor Model(Tensor x, Tensor r)
        {
            using var h = Ops.Gelu(x);
            using var g = Ops.Mul(h, x);
            return Ops.Add(g, x);
        }
        var timesteps = new float[] { 1f, 0.85f, 0.7f, 0.55f, 0.4f, 0.25f, 0.1f, 0f };
        var fresh = new List<long>();
        var managed = new List<long>();
        long freshBefore = StoragePool.Statistics.Fresh, managedBefore = GC.GetAllocatedBytesForCurrentThread();
        var callbacks = new PipelineCallbacks
        {
            Progress = p =>
            {
                if (p.Step == 0) return;
                long f = StoragePool.Statistics.Fresh, m = GC.GetAllocatedBytesForCurrentThread();
                fresh.Add(f - freshBefore);
                managed.Add(m - managedBefore);
                (freshBefore, managedBefore) = (f, m);
            },
        };
        var scheduler = new DdpmWuerstchenScheduler();
        scheduler.SetTimesteps(timesteps);
        using var result = DenoisingLoop.Run(latents, timesteps, guidanceScale: 4f, Model, scheduler,
            new TorchGenerator(4), PipelineStage.Prior, callbacks, CancellationToken.None);

        Assert.Equal(timesteps.Length - 1, fresh.Count);
        Assert.True(fresh[0] > 0, "the first step should have allocated its blocks");
        Assert.All(fresh.Skip(1), f => Assert.Equal(0, f));
        // Tensor objects, closures and the like: a few kilobytes a step. A step now and then allocates a little more
        // (JIT tiering, the thread pool), so the bound is per step plus a typical (median) step, not equality.
        Assert.All(managed.Skip(1), m => Assert.True(m < 64 * 1024, $"managed bytes per step: {string.Join(", ", managed)}"));
        var sorted = managed.Skip(1).Order().ToList();
        Assert.True(sorted[sorted.Count / 2] < 16 * 1024, $"managed bytes per step: {string.Join(", ", managed)}");
    }
}
