using System.Globalization;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Tensors;

[Collection(nameof(StoragePoolTests))]
public unsafe class NativeHeapTests
{
    /// <summary>The system's transparent-huge-page mode ("always", "madvise" or "never"), or null off Linux.</summary>
    private static string? ThpMode()
    {
        const string path = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || !File.Exists(path)) return null;
        string text = File.ReadAllText(path);
        int open = text.IndexOf('['), close = text.IndexOf(']');
        return open >= 0 && close > open ? text[(open + 1)..close] : null;
    }

    /// <summary>
    /// AnonHugePages (kB) summed over the mappings of /proc/self/smaps that overlap [address, address + bytes): the
    /// advice splits a block's mapping at its 2 MiB-aligned interior.
    /// </summary>
    private static long AnonHugePagesKb(nint address, long bytes)
    {
        bool inside = false;
        long total = 0;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && long.TryParse(line[..dash], NumberStyles.HexNumber, null, out long start)
                && long.TryParse(line[(dash + 1)..space], NumberStyles.HexNumber, null, out long end))
            {
                inside = start < address + bytes && end > address;
                continue;
            }
            if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        return total;
    }

    [Fact]
    public void LargeTensorBlocksAreBackedByHugePagesWhereTheSystemAllowsThem()
    {
        string? mode = ThpMode();
        // Nothing to observe where THP is unavailable or off, or the advice is switched off (WUERSTCHEN_HUGEPAGES=0).
        if (mode is null or "never" || Environment.GetEnvironmentVariable("WUERSTCHEN_HUGEPAGES") == "0") return;
        StoragePool.Trim();
        using var t = Tensor.Empty(16 << 20);  // 64 MiB: a fresh block
        t.AsSpan().Fill(1f);                    // fault it in
        Assert.True(AnonHugePagesKb((nint)t.Data, t.Numel * sizeof(float)) >= 2048,
            $"THP mode '{mode}': a fresh 64 MiB tensor block has no huge pages (AnonHugePages of its mapping).");
    }
}
