using System.Runtime.CompilerServices;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

/// <summary>
/// In-place modification counters per storage (torch's "version counter"), so a backward pass can detect that a
/// tensor it saved was overwritten after the forward op (e.g. a residual <c>AddInPlace</c> into an activation a
/// Sigmoid saved). Only storages that were saved for backward get a counter; in-place ops on anything else cost
/// one failed table lookup and allocate nothing.
/// </summary>
internal static class TensorVersions
{
    private static readonly ConditionalWeakTable<TensorStorage, StrongBox<int>> _versions = new();

    /// <summary>The current version of <paramref name="storage"/> (creates the counter: called when saving).</summary>
    public static int Of(TensorStorage storage) => _versions.GetValue(storage, static _ => new StrongBox<int>(0)).Value;

    /// <summary>Records an in-place write to <paramref name="storage"/>.</summary>
    public static void Bump(TensorStorage storage)
    {
        if (_versions.TryGetValue(storage, out var box)) Interlocked.Increment(ref box.Value);
    }
}
