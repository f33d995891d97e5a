using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

/// <summary>The pool is process-wide: these tests run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(StoragePoolTests), DisableParallelization = true)]
public sealed class StoragePoolCollection;

[Collection(nameof(StoragePoolTests))]
public unsafe class StoragePoolTests
{
    [Fact]
    public void SizeClassesRoundUpByAtMostAQuarter()
    {
        Assert.Equal(1000, StoragePool.SizeClass(1000));                       // small: not pooled
        foreach (long bytes in new long[] { 256 * 1024, 300_001, 1 << 20, (1 << 20) + 1, 84_000_000, 3L << 30 })
        {
            long c = StoragePool.SizeClass(bytes);
            Assert.True(c >= bytes && c <= bytes * 1.25 + 1, $"{bytes} -> {c}");
            Assert.Equal(c, StoragePool.SizeClass(c));                          // classes are fixed points
        }
    }

    [Fact]
    public void AFreedLargeBlockIsReusedForTheSameSizeClassAndTrimReleasesIt()
    {
        StoragePool.Trim();
        var a = Tensor.Empty(1000, 1000);
        float* p = a.Data;
        a.Dispose();
        Assert.True(StoragePool.CachedBytes >= 4_000_000);
        using (var b = Tensor.Empty(999, 1001)) Assert.True(b.Data == p);      // same class → same block
        StoragePool.Trim();
        Assert.Equal(0, StoragePool.CachedBytes);
    }

    [Fact]
    public void AFullCacheFreesStaleSizesToKeepTheBlockJustReturned()
    {
        long saved = StoragePool.CapacityBytes;
        try
        {
            StoragePool.Trim();
            StoragePool.CapacityBytes = 10_000_000;
            var stale = Enumerable.Range(0, 2).Select(_ => Tensor.Empty(1000, 1000)).ToList();   // 2 × 4 MB: the cache is nearly full
            foreach (var t in stale) t.Dispose();
            var current = Tensor.Empty(500, 1500);                                                // 3 MB, another size class
            float* p = current.Data;
            current.Dispose();
            Assert.True(StoragePool.CachedBytes <= StoragePool.CapacityBytes);
            long reused = StoragePool.Statistics.Reused;
            using (var again = Tensor.Empty(500, 1500)) Assert.True(again.Data == p);           // kept: a stale block made room
            Assert.Equal(reused + 1, StoragePool.Statistics.Reused);
        }
        finally
        {
            StoragePool.CapacityBytes = saved;
            StoragePool.Trim();
        }
    }

    [Fact]
    public void BlocksFreedUnderBypassGoToTheAllocatorAndPoolingResumesAfterIt()
    {
        StoragePool.Trim();
        using (StoragePool.Bypass())
        {
            using (StoragePool.Bypass()) Tensor.Empty(1000, 1000).Dispose();     // scopes nest
            Tensor.Empty(1000, 1000).Dispose();
            Assert.Equal(0, StoragePool.CachedBytes);
        }
        Tensor.Empty(1000, 1000).Dispose();
        Assert.True(StoragePool.CachedBytes >= 4_000_000);
        StoragePool.Trim();
    }

    [Fact]
    public void RetainedStorageOutlivesTheDisposeOfItsTensor()
    {
        var t = Tensor.Full(3f, 512, 512);
        t.Storage.Retain();
        t.Dispose();
        Assert.False(t.Storage.IsDisposed);
        Assert.Equal(3f, t[511, 511]);
        t.Storage.Release();
        Assert.True(t.Storage.IsDisposed);
    }

    [Fact]
    public void BorrowedStorageRunsItsReleaseActionOnce()
    {
        int released = 0;
        var data = new float[16];
        fixed (float* p = data)
        {
            var s = TensorStorage.Borrow(p, 16, owner: null, onRelease: () => released++);
            s.Retain();
            s.Release();
            Assert.Equal(0, released);
            s.Release();
            Assert.Equal(1, released);
        }
    }
}
